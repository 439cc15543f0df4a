"""Council: rank language models on open-ended tasks by consensus of an LLM jury.

Names are re-exported lazily so that ``council score`` starts without loading what
runs need (pydantic, litellm).
"""

from importlib import import_module

_EXPORTS = {
    "BadInput": "council.errors",
    "load_config": "council.config",
    "VoteSource": "council.source",
    "build_report": "council.report",
    "open_run": "council.store.frames",
    "open_source": "council.source",
    "read_votes": "council.votes_file",
    "run": "council.runner",
    "run_async": "council.runner",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'council' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
