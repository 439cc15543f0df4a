"""Every choice that turns votes into a leaderboard, in one frozen record."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Literal, get_args

from scoring.bradley_terry import DEFAULT_ALPHA

__all__ = ["MAX_AUTO_ROUNDS", "SCORES_VERSION", "AdaptiveChoice", "Aggregation", "Consistency", "CountTie",
           "LabelChoice", "Mode", "Resample", "ScoringSettings", "scoring_settings"]

# Each vocabulary once: the settings check against these, and the CLI's choices are them.
Mode = Literal["recommended", "reference"]
Aggregation = Literal["none", "majority", "mean"]
CountTie = Literal["tie", "first_label"]
Consistency = Literal["strict", "sidewise"]
Resample = Literal["item", "vote"]
#: The most rounds `mc_tolerance` may draw (about 4 s for 76,000 votes of 20 models).
MAX_AUTO_ROUNDS = 32_000
#: Changes whenever a leaderboard of the same votes and settings gives other numbers, so a
#: stored leaderboard can tell it was made by an older definition. 2: the point is the
#: fit with the prior's pseudo-items (`scoring.leaderboard.point_wins`).
SCORES_VERSION = 2
#: How adaptive judging chooses its next slots (`scoring.adaptive.adaptive_step`).
AdaptiveChoice = Literal["doubt", "random"]
#: Which comparison a labelling page offers next: uniformly at random, or likelier where
#: the jury splits (`scoring.ppi.labelling_chances`).
LabelChoice = Literal["random", "split"]


@dataclass(frozen=True)
class ScoringSettings:
    """How votes become a leaderboard.

    Attributes
    ----------
    mode : {"recommended", "reference"}
        Where the defaults came from: ours, or the paper code's (`scoring.compat`).
    reference : str or None
        Model anchored at strength 0; scores become its expected win rate × 100.
    aggregation : {"none", "majority", "mean"}
        How judges' votes on one (item, model_a, model_b) combine (`aggregate_votes`).
    count_tie : {"tie", "first_label"}
        How a majority draw is settled.
    consistency : {None, "strict", "sidewise"}
        Position-consistency filter applied before aggregation.
    include_self : bool
        Whether self-judgments enter the fit.
    strong_weight, tie_weight : float
        Weight of a strong win, and win credited to each side of a tie.
    resample : {"item", "vote"}
        Bootstrap unit.
    prior_items : float
        Weight of the prior in the boundary-honest intervals: per compared pair, this
        many pseudo-units won by each side (`scoring.bootstrap.resampled_win_matrices`).
        0 gives plain percentile intervals, which collapse when a model wins, loses or
        ties everything.
    rounds : int
        Bootstrap rounds; with ``mc_tolerance``, the rounds to start from.
    mc_tolerance : float or None
        Elo points: `rank_models` doubles the rounds until every interval end's Monte
        Carlo standard error is under it, or `MAX_AUTO_ROUNDS` are reached.
    level : float
        Coverage of the intervals.
    seed : int or None
    alpha : float
        Bradley–Terry ridge (`fit_bradley_terry`).
    """

    mode: Mode = "recommended"
    reference: str | None = None
    aggregation: Aggregation = "none"
    count_tie: CountTie = "tie"
    consistency: Consistency | None = None
    include_self: bool = False
    strong_weight: float = 1.0
    tie_weight: float = 0.5
    resample: Resample = "item"
    prior_items: float = 1.0
    rounds: int = 1000
    mc_tolerance: float | None = None
    level: float = 0.95
    seed: int | None = 0
    alpha: float = DEFAULT_ALPHA

    def __post_init__(self) -> None:
        choices = {
            "mode": get_args(Mode),
            "aggregation": get_args(Aggregation),
            "count_tie": get_args(CountTie),
            "consistency": (None, *get_args(Consistency)),
            "resample": get_args(Resample),
        }
        for field, allowed in choices.items():
            if getattr(self, field) not in allowed:
                raise ValueError(f"{field} must be one of {allowed}, got {getattr(self, field)!r}")
        if self.rounds < 1:
            raise ValueError(f"rounds must be at least 1, got {self.rounds}")
        if self.mc_tolerance is not None and not self.mc_tolerance > 0:
            raise ValueError(f"mc_tolerance must be positive, got {self.mc_tolerance}")
        if not 0.0 < self.level < 1.0:
            raise ValueError(f"level must be between 0 and 1, got {self.level}")
        if self.strong_weight <= 0 or self.tie_weight < 0 or self.alpha < 0 or self.prior_items < 0:
            raise ValueError("strong_weight must be positive; tie_weight, alpha and prior_items non-negative")
        if self.mode == "reference" and self.reference is None:
            raise ValueError("mode 'reference' scores against a reference model: give one")

    def to_dict(self) -> dict:
        return asdict(self)

    def replace(self, **changes) -> ScoringSettings:
        return replace(self, **changes)


def scoring_settings(mode: Mode = "recommended", **given) -> ScoringSettings:
    """Settings for ``mode``, with any explicitly ``given`` value (not None) on top.

    ``mode="reference"`` starts from the paper code's conventions
    (`scoring.compat.PAPER_CONVENTIONS`).
    """
    base: dict = {}
    if mode == "reference":
        from scoring.compat import PAPER_CONVENTIONS

        base.update(PAPER_CONVENTIONS)
    base.update({key: value for key, value in given.items() if value is not None})
    return ScoringSettings(mode=mode, **base)
