"""Errors the scoring functions raise for data they cannot rank."""

from __future__ import annotations

__all__ = ["DisconnectedComparisonsError", "ScoringError"]


class ScoringError(ValueError):
    """The votes cannot give the ranking asked for (too few models, no votes, …)."""


class DisconnectedComparisonsError(ScoringError):
    """The comparison graph falls apart: some models were never compared, even
    indirectly, so their relative strength is not identified."""

    def __init__(self, groups: list[list[str]]):
        self.groups = groups
        shown = "; ".join("{" + ", ".join(group) + "}" for group in groups)
        super().__init__(f"the comparisons form {len(groups)} disconnected groups of models: {shown}")
