"""One round of repeated joint ads, written once for the env and the paired game.

Paper 2, Sec. 2: the seller posts a DSIC mechanism M_t (:meth:`Learner.post`); the merchant and
the brand bid; the ad is shown iff the bid pair lies in M_t's region, each buyer pays its
critical price; the learner then learns from the bids. A buyer sees :data:`FIELDS`. Rounds are
settled for a batch of replications at once (:mod:`mdbf_envs.joint_ads.batched`); the env is a
batch of one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mdbf_envs.joint_ads.batched import BatchLearner

FIELDS = ("value", "time", "last_bid", "last_allocated", "last_payment")
"""A buyer's observation: its value this round, t / T, and its own bid, whether the ad was shown
and its payment last round (all in [0, 1])."""


def settle(
    mechanisms: Any, learner: BatchLearner, values: np.ndarray, bids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Play the posted ``mechanisms`` (one per replication) on ``bids`` ``(R, 2)`` and let
    ``learner`` learn from them; returns whether each ad was shown ``(R,)``, the payments
    ``(R, 2)`` and the buyers' utilities v_i 1{shown} - p_i ``(R, 2)``."""
    pay = mechanisms.payments(bids)
    sold = mechanisms.allocate(bids)
    learner.update(bids)
    return sold, pay, values * sold[:, None] - pay


def observe(values: np.ndarray, time: float, last: np.ndarray) -> np.ndarray:
    """``(k, 5)`` observations in :data:`FIELDS` order from values ``(k,)``, t / T and the last
    round's (bid, allocated, payment) ``(k, 3)``."""
    values = np.asarray(values, dtype=np.float64)
    return np.concatenate([values[:, None], np.full((len(values), 1), time), last], axis=1)


def decode(observations: np.ndarray) -> dict[str, np.ndarray]:
    """Named ``(k, 1)`` fields of observations ``(k, 5)``."""
    return {name: observations[:, k : k + 1] for k, name in enumerate(FIELDS)}
