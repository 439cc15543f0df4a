"""Calling models: the litellm adapter, a member's parameters, pacing, retries, and
the embedded local model's server."""
