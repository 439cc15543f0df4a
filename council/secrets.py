"""Keeping keys out of everything Council stores, prints or exports.

Council never writes a key itself, but providers' error messages sometimes repeat the
key they were sent ("Incorrect API key provided: sk-…"). Every error text therefore
passes through `redact`: the values of the members' key variables go, and so does
anything shaped like a common provider key or bearer token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["REDACTED", "redact"]

REDACTED = "[redacted]"
#: Shapes of keys that must never be shown even when nobody told us they are keys.
_KEY_SHAPES = re.compile(
    r"""(
        \bsk-[A-Za-z0-9_\-]{8,}            # OpenAI, Anthropic (sk-ant-…), many compatible servers
      | \bAIza[0-9A-Za-z_\-]{20,}          # Google
      | \b(?:gsk|xai|hf|pplx|r8)_[A-Za-z0-9]{16,}   # Groq, xAI, Hugging Face, Perplexity, Replicate
      | \bAKIA[0-9A-Z]{16}\b               # AWS access key ids
      | (?<=Bearer\s)[A-Za-z0-9._\-]{8,}   # any bearer token
    )""",
    re.VERBOSE,
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without the given secret values and without key-shaped strings."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _KEY_SHAPES.sub(REDACTED, text)
