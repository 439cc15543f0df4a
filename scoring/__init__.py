"""Bradley–Terry rankings of language models from jury votes, with honest intervals.

A pure statistics library: arrays and frozen dataclasses in and out, no I/O.
"""

from scoring._json import Estimate
from scoring.ablation import JuryAblation, jury_ablation, rank_stability
from scoring.adaptive import (
    AdaptiveStep,
    DesignComparison,
    adaptive_step,
    compare_designs,
    random_design,
    replay_adaptive,
    separated_pairs,
    start_design,
)
from scoring.aggregation import aggregate_votes, consistent_votes, drop_self_judgments, scored_votes
from scoring.agreement import MIN_KAPPA_KEYS, JudgeAgreement, contrarianism, judge_agreement, vote_table
from scoring.bootstrap import bootstrap_ratings, point_win_matrix, resample_items, resampled_win_matrices, take_items
from scoring.boundary import item_weight_draws, kappa_draws, kappa_from_cells, share_draws
from scoring.bradley_terry import (
    DEFAULT_ALPHA,
    check_connected,
    fit_bradley_terry,
    vote_cells,
    win_matrix,
    win_probabilities,
)
from scoring.changes import PreferenceShift, ScoreChanges, preference_shift, score_changes
from scoring.diagnostics import JUDGE_METRICS, JudgeMetrics, judge_metrics
from scoring.errors import DisconnectedComparisonsError, ScoringError
from scoring.human import HumanAgreement, human_agreement
from scoring.judges import (
    JudgeAffinity,
    JudgeProfiles,
    PositionPreference,
    judge_affinity,
    judge_profiles,
    polarization,
    position_preference,
)
from scoring.leaderboard import (
    ELO_PER_STRENGTH,
    Leaderboard,
    assemble_leaderboard,
    elo_scale,
    point_scores,
    prepare_votes,
    rank_models,
    win_rate_percent,
)
from scoring.length import (
    LengthBias,
    LengthControlled,
    length_bias,
    length_difference,
    length_log_ratio,
    length_summary,
    rank_models_length_controlled,
    word_count,
)
from scoring.ppi import HumanLeaderboard, rank_human_preference
from scoring.ranking import (
    implied_rank_intervals,
    leader_groups,
    percentile_intervals,
    point_ranks,
    rank_intervals,
    rank_upper_bounds,
    separability,
    tiers,
)
from scoring.settings import SCORES_VERSION, ScoringSettings, scoring_settings
from scoring.simulate import LabelledCouncil, SimulatedCouncil, simulate_council, simulate_labelled_council
from scoring.slices import AuthorshipBias, SliceBoard, SlicedLeaderboards, authorship_bias, rank_slices
from scoring.votes import LABELS, UNSCORED, Votes, label_of, make_votes, outcome_of
from scoring.weighting import JudgeWeighting, judge_weighting

__all__ = [
    "AdaptiveStep",
    "AuthorshipBias",
    "SliceBoard",
    "SlicedLeaderboards",
    "authorship_bias",
    "rank_slices",
    "DEFAULT_ALPHA",
    "DesignComparison",
    "DisconnectedComparisonsError",
    "ELO_PER_STRENGTH",
    "Estimate",
    "HumanAgreement",
    "HumanLeaderboard",
    "JUDGE_METRICS",
    "JudgeAffinity",
    "JudgeAgreement",
    "JudgeMetrics",
    "JudgeProfiles",
    "JudgeWeighting",
    "JuryAblation",
    "LABELS",
    "LabelledCouncil",
    "MIN_KAPPA_KEYS",
    "Leaderboard",
    "LengthBias",
    "LengthControlled",
    "PositionPreference",
    "PreferenceShift",
    "ScoreChanges",
    "ScoringError",
    "ScoringSettings",
    "SCORES_VERSION",
    "SimulatedCouncil",
    "UNSCORED",
    "Votes",
    "adaptive_step",
    "aggregate_votes",
    "assemble_leaderboard",
    "bootstrap_ratings",
    "check_connected",
    "compare_designs",
    "consistent_votes",
    "contrarianism",
    "drop_self_judgments",
    "elo_scale",
    "fit_bradley_terry",
    "human_agreement",
    "judge_affinity",
    "judge_agreement",
    "judge_metrics",
    "judge_profiles",
    "judge_weighting",
    "jury_ablation",
    "label_of",
    "length_bias",
    "length_difference",
    "length_log_ratio",
    "length_summary",
    "make_votes",
    "outcome_of",
    "leader_groups",
    "percentile_intervals",
    "point_ranks",
    "polarization",
    "preference_shift",
    "point_scores",
    "position_preference",
    "prepare_votes",
    "random_design",
    "rank_intervals",
    "rank_human_preference",
    "rank_models",
    "rank_upper_bounds",
    "implied_rank_intervals",
    "item_weight_draws",
    "kappa_draws",
    "kappa_from_cells",
    "point_win_matrix",
    "share_draws",
    "rank_models_length_controlled",
    "rank_stability",
    "replay_adaptive",
    "resample_items",
    "resampled_win_matrices",
    "score_changes",
    "scored_votes",
    "scoring_settings",
    "separability",
    "separated_pairs",
    "simulate_council",
    "simulate_labelled_council",
    "start_design",
    "take_items",
    "tiers",
    "vote_cells",
    "vote_table",
    "win_matrix",
    "win_probabilities",
    "win_rate_percent",
    "word_count",
]
