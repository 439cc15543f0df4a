"""A council member as litellm sees it: model string, endpoint, key and parameters."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from council.config import MemberConfig

__all__ = ["completion_params", "is_remote"]

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}
_LOCAL_PROVIDERS = ("local/", "ollama/", "ollama_chat/", "llamafile/", "lm_studio/")


def is_remote(member: MemberConfig) -> bool:
    """Whether calling this member leaves the machine."""
    if member.api_base:
        return urlparse(member.api_base).hostname not in _LOCAL_HOSTS
    return not member.model.startswith(_LOCAL_PROVIDERS)


def completion_params(member: MemberConfig) -> dict:
    """Keyword arguments for ``litellm.acompletion`` that come from the member."""
    params: dict = {"model": member.model, "timeout": member.timeout, "num_retries": 0}
    if member.api_base:
        params["api_base"] = member.api_base
    if member.api_key_env:
        params["api_key"] = os.environ[member.api_key_env]
    elif member.api_base and not is_remote(member):
        # OpenAI-compatible local servers ignore the key, but the client insists on one.
        params["api_key"] = "sk-local"
    for name in ("temperature", "max_tokens", "extra_body"):
        value = getattr(member, name)
        if value is not None:
            params[name] = value
    return params
