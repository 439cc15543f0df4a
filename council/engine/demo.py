"""``council demo``: a whole council, offline, on the embedded local model.

Three personas (or four) of SmolLM2-135M-Instruct co-author dilemmas from the project's seed
scenarios, answer them all, and judge every pair in both orders. The models are tiny
stand-ins: the point is to watch the method run end to end on any machine, not to
learn which persona is best.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from council.config import CouncilConfig, parse_config
from council.engine.status import RunStatus
from council.inputs.items import bundled_seeds
from scoring import Leaderboard, PositionPreference

__all__ = ["DEMO_NOTE", "PERSONAS", "DemoSummary", "demo_config", "demo_summary"]

PERSONAS = {
    "ada": ("You are Ada, a calm and practical counsellor who gives concrete next steps.", 0.2),
    "ben": ("You are Ben, a warm friend who listens first and validates feelings.", 0.7),
    "cleo": ("You are Cleo, a blunt coach who says what others will not.", 1.0),
    "dev": ("You are Dev, a thoughtful philosopher who weighs every side.", 0.5),
}


def demo_config(*, members: int = 3, items_per_author: int = 2, word_limit: int = 50,
                seeds: Path | None = None) -> CouncilConfig:
    """The demo council: ``members`` personas of the embedded model, all pairs judged."""
    seeds = seeds or bundled_seeds()
    listed = [
        {"name": name, "model": "local/smollm2", "persona": persona, "temperature": temperature,
         "max_tokens": 150, "timeout": 300, "max_concurrency": 1}
        for name, (persona, temperature) in list(PERSONAS.items())[:members]
    ]
    document = {
        "name": "council-demo",
        "seed": 0,
        "members": listed,
        "test_set": {"seeds": seeds.name, "items_per_author": items_per_author},
        "respond": {"word_limit": word_limit},
        "judge": {"pairing": "all_pairs", "max_reasks": 1},
        "retry": {"max_attempts": 3, "base_delay": 0.5, "max_delay": 5},
        "workers": 1,  # one llama.cpp server does one request at a time anyway
    }
    return parse_config(document, path="(demo council)", base_dir=str(seeds.parent))


DEMO_NOTE = """\
These are personas of one tiny local model (SmolLM2, 135M parameters): stand-ins for
real LLMs. Their verdicts are close to chance, so expect wide intervals, few
separations, and judges whose preferences mean little (runs differ: they sample). The method is what you are watching.
To run a real council, point members at providers: see examples/openai-anthropic.yaml,
examples/ollama.yaml and examples/vllm.yaml, then `council run FILE --run-dir DIR`."""


@dataclass(frozen=True)
class DemoSummary:
    """What the demo shows: the run's status, its leaderboard and each judge's position
    bias; ``to_dict`` is `council demo --json`."""

    status: RunStatus
    leaderboard: Leaderboard
    judges: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.to_dict(), "leaderboard": self.leaderboard.to_dict(), "judges": self.judges}


def demo_summary(status: RunStatus, board: Leaderboard, bias: PositionPreference) -> DemoSummary:
    """The demo's summary from its run's status, leaderboard and position bias."""
    judges = [
        {"judge": j, "n_decided": int(bias.n_decided[i]), "n_unscored": int(bias.n_unscored[i]),
         "position_bias_first": float(bias.first_share[i]), "lower": float(bias.lower[i]),
         "upper": float(bias.upper[i])}
        for i, j in enumerate(bias.judges)
    ]
    return DemoSummary(status, board, judges)
