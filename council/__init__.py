"""Council: rank language models on open-ended tasks by consensus of an LLM jury.

The public names below are re-exported lazily, so that ``council score`` starts
without loading what runs need (pydantic, litellm). The layers behind them are one
folder each: ``engine`` (runs), ``stages``, ``providers``, ``store``, ``inputs``,
``analysis`` and ``cli``; ``CONTRIBUTING.md`` draws the map.
"""

from importlib import import_module

_EXPORTS = {
    "BadInput": "council.errors",
    "CouncilConfig": "council.config",
    "MemberConfig": "council.config",
    "Member": "council.config",
    "Task": "council.config",
    "TaskConfig": "council.config",
    "CandidateConfig": "council.config",
    "Jury": "council.engine.jury",
    "RankResult": "council.engine.jury",
    "Comparison": "council.engine.jury",
    "JudgeVote": "council.engine.jury",
    "CandidateFailed": "council.engine.candidates",
    "load_config": "council.config",
    "parse_config": "council.config",
    "RunReport": "council.engine.runner",
    "run": "council.engine.runner",
    "run_async": "council.engine.runner",
    "plan_calls": "council.engine.plan",
    "RoundReport": "council.engine.rounds",
    "run_round": "council.engine.rounds",
    "run_round_async": "council.engine.rounds",
    "series_history": "council.analysis.history",
    "write_site": "council.analysis.site",
    "open_run": "council.store.frames",
    "RunStore": "council.store.frames",
    "read_votes": "council.inputs.votes",
    "VoteSource": "council.analysis.source",
    "open_source": "council.analysis.source",
    "build_report": "council.analysis.report",
}
#: Modules reachable as ``council.<name>`` (``from council import figures``).
_MODULES = {"figures": "council.analysis.figures"}
__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    if name in _MODULES:
        return import_module(_MODULES[name])
    raise AttributeError(f"module 'council' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
