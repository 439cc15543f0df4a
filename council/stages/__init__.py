"""The three stages of a council run, in order: compose, respond, judge."""

from __future__ import annotations

from council.stages.base import Stage
from council.stages.compose import COMPOSE
from council.stages.judge import JUDGE
from council.stages.respond import RESPOND

__all__ = ["STAGES", "stage_named"]

STAGES: tuple[Stage, ...] = (COMPOSE, RESPOND, JUDGE)


def stage_named(name: str) -> Stage:
    return next(stage for stage in STAGES if stage.name == name)
