"""Bradley–Terry rankings of language models from jury votes, with honest intervals.

A pure statistics library: arrays and frozen dataclasses in and out, no I/O.
"""

from scoring.aggregation import aggregate_votes, consistent_votes, drop_self_judgments, scored_votes
from scoring.bootstrap import bootstrap_ratings, resampled_win_matrices
from scoring.bradley_terry import (
    DEFAULT_ALPHA,
    check_connected,
    fit_bradley_terry,
    vote_cells,
    win_matrix,
    win_probabilities,
)
from scoring.errors import DisconnectedComparisonsError, ScoringError
from scoring.judges import (
    JudgeAffinity,
    JudgeProfiles,
    PositionPreference,
    judge_affinity,
    judge_profiles,
    position_preference,
)
from scoring.leaderboard import (
    ELO_PER_STRENGTH,
    Leaderboard,
    elo_scale,
    point_scores,
    prepare_votes,
    rank_models,
    win_rate_percent,
)
from scoring.ranking import percentile_intervals, point_ranks, rank_intervals, separability, tiers
from scoring.simulate import SimulatedCouncil, simulate_council
from scoring.settings import ScoringSettings, scoring_settings
from scoring.votes import LABELS, UNSCORED, Votes, label_of, make_votes, outcome_of

__all__ = [
    "DEFAULT_ALPHA",
    "DisconnectedComparisonsError",
    "ELO_PER_STRENGTH",
    "JudgeAffinity",
    "JudgeProfiles",
    "LABELS",
    "PositionPreference",
    "Leaderboard",
    "ScoringError",
    "ScoringSettings",
    "SimulatedCouncil",
    "UNSCORED",
    "Votes",
    "aggregate_votes",
    "bootstrap_ratings",
    "check_connected",
    "consistent_votes",
    "drop_self_judgments",
    "elo_scale",
    "fit_bradley_terry",
    "judge_affinity",
    "judge_profiles",
    "label_of",
    "make_votes",
    "outcome_of",
    "percentile_intervals",
    "point_ranks",
    "point_scores",
    "position_preference",
    "prepare_votes",
    "rank_intervals",
    "rank_models",
    "resampled_win_matrices",
    "scored_votes",
    "scoring_settings",
    "separability",
    "simulate_council",
    "tiers",
    "vote_cells",
    "win_matrix",
    "win_probabilities",
    "win_rate_percent",
]
