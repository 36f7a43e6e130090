"""Repeated joint ads for two non-excludable buyers (paper 2: Aggarwal et al.)."""

from mdbf_envs.joint_ads.learners import (
    AugmentTheBest,
    FixedMechanism,
    FollowTheLeader,
    PathLearning,
    PostedPriceLeader,
    hindsight_revenue,
    play,
)
from mdbf_envs.joint_ads.mechanism import Staircase, ThresholdMechanism, check_valuations, revenue
from mdbf_envs.joint_ads.optimal import PathSolution, augment, best_path, best_posted_prices, uniform_grid

__all__ = [
    "AugmentTheBest",
    "FixedMechanism",
    "FollowTheLeader",
    "PathLearning",
    "PathSolution",
    "PostedPriceLeader",
    "Staircase",
    "ThresholdMechanism",
    "augment",
    "best_path",
    "best_posted_prices",
    "check_valuations",
    "hindsight_revenue",
    "play",
    "revenue",
    "uniform_grid",
]
