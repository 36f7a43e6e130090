"""A third, toy paper in three parts, all in this file: a seller who posts the mean of a staying
buyer's past bids as today's price, the paired game of that buyer, and its audit entry.

Truthful bidding is plainly not optimal here: a buyer who bids 0 whenever its value is below the
price (it buys nothing either way) drags tomorrow's price down. The audit should find that.

    python -m agents.audit --imports examples.posted_price --papers posted_price --out OUT

Registered with one call (:func:`agents.audit.register_paper`); nothing outside this file changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.audit import PaperAudit, Setting, register_paper
from agents.search.cmaes import SearchConfig
from mdbf_envs.core.paired_engine import PairedDraws, PairedGame
from mdbf_envs.core.streams import ReplicationStreams


class MeanBidPriceGame(PairedGame):
    """P pairs of T rounds: each round the buyer draws v ~ U[0, 1], the seller posts p_t = the
    mean of the buyer's past bids (1/2 before any), and the buyer buys at p_t if its bid is at
    least p_t. An action a bids clip(v + scale a, 0, 1)."""

    draws = ("random",)
    n_agents = 1
    feature_size = 3  # value, price, t / T

    def __init__(self, pairs: int, horizon: int = 50, deviation_scale: float = 1.0):
        self.pairs, self.horizon, self.scale, self.agent = int(pairs), int(horizon), float(deviation_scale), 0
        self.done = True

    def _start(self, rng: np.random.Generator | ReplicationStreams) -> None:
        self._draws = PairedDraws(rng, self.pairs)
        self._bid_sum = np.zeros(2 * self.pairs)

    def _begin_round(self) -> None:
        self._v = self._draws.random((2 * self.pairs, 1))[:, 0]
        played = self.rounds_played
        self._p = self._bid_sum / played if played else np.full(2 * self.pairs, 0.5)
        self._deciding = np.ones(self.pairs, bool)

    def features(self) -> np.ndarray:
        R = self.pairs
        return np.stack([self._v[:R], self._p[:R], np.full(R, self.rounds_played / self.horizon)], axis=1)

    def strategy_fields(self) -> dict[str, np.ndarray]:
        f = self.features()[self._deciding]
        return {"value": f[:, :1], "price": f[:, 1:2], "time": f[:, 2:]}

    def _finish_round(self, actions: np.ndarray | None, reports: np.ndarray | None = None) -> None:
        R, bids = self.pairs, self._v.copy()
        if actions is not None or reports is not None:
            wanted = self._v[:R] + self.scale * actions if reports is None else reports
            bids[:R] = np.clip(wanted, 0.0, 1.0)
            self._record_decisions(actions, wanted, bids[:R])
        self.since += 1
        sold = bids >= self._p
        self.utility[:, 0] += np.where(sold, self._v - self._p, 0.0)
        self.seller += np.where(sold, self._p, 0.0)
        self._bid_sum += bids
        self._next_round()


def bid_value(fields: dict, rng: np.random.Generator) -> np.ndarray:
    """Bid the value (truthful)."""
    return fields["value"][:, 0]


def zero_unless_buying(fields: dict, rng: np.random.Generator) -> np.ndarray:
    """Bid the value where it buys, 0 where it would not buy anyway."""
    v, p = fields["value"][:, 0], fields["price"][:, 0]
    return np.where(v >= p, v, 0.0)


@dataclass
class PostedPriceOptions:
    horizon: int = 50
    n_pairs: int = 64
    search_episodes: int = 2_000
    search_pairs: int = 8


class PostedPriceAudit(PaperAudit):
    name = "posted_price"
    section = PostedPriceOptions

    def settings(self, options: PostedPriceOptions, cfg: Any) -> list[dict]:
        return [{}]

    def build(self, o: PostedPriceOptions, cfg: Any) -> Setting:
        return Setting(
            {"mechanism": "mean_bid_price", "others": "none", "agent": "buyer"},
            lambda pairs: MeanBidPriceGame(pairs, o.horizon),
            {"truthful": bid_value, "zero_unless_buying": zero_unless_buying},
            SearchConfig(o.search_episodes, o.search_pairs, final_pairs=o.n_pairs),
            o.n_pairs,
            theory_basis="toy: the price learns from bids, so no truthfulness is claimed",
        )


register_paper(PostedPriceAudit())
