"""The three stages of a council run: compose, respond, judge."""

from council.stages import compose, judge, respond

__all__ = ["compose", "judge", "respond"]
