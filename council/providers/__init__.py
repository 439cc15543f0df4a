"""Calling models: litellm, pacing, retries."""

from council.providers.client import CallFailed, MemberClient

__all__ = ["CallFailed", "MemberClient"]
