"""Paper 2: *Selling Joint Ads: A Regret Minimization Perspective* (Aggarwal, Badanidiyuru, Dütting, Fusco).

One room for the paper: DSIC mechanisms as monotone regions (Secs. 2-3), the optimal mechanism
by longest path (Thm. 1) and Lemma 1's augmentation, edge weights (Prop. 2), the learners
(Secs. 4-5), valuation sequences (stochastic, smooth, adversarial; Thm. 5, Sec. 6), and the
paired game of a buyer who stays. Open decisions: ``docs/decisions.md``.
"""

from mdbf_envs.joint_ads.learners import (
    AugmentTheBest,
    EpochLearner,
    FixedMechanism,
    FollowTheLeader,
    Learner,
    LearnerFactory,
    PathLearning,
    PostedPriceLeader,
    hindsight_revenue,
    play,
)
from mdbf_envs.joint_ads.mechanism import Staircase, ThresholdMechanism, check_valuations, revenue
from mdbf_envs.joint_ads.optimal import (
    PathSolution,
    augment,
    best_path,
    best_posted_prices,
    uniform_grid,
)

__all__ = [
    "AugmentTheBest",
    "EpochLearner",
    "FixedMechanism",
    "FollowTheLeader",
    "Learner",
    "LearnerFactory",
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
