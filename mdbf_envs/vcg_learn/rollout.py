"""Batched episodes of a VCG mechanism with scripted or learned reporting strategies.

R replications run together, each agent either truthful or following a batch strategy that
sees exactly the observation the PettingZoo env would give it (:class:`ObservationBuilder`).
Realisations come from ``seed`` alone, whatever the agents do, so two rollouts with the same
seed are paired on common random numbers: the audit's gain E[U^pi_iT - U_iT] is a paired
difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mdbf_envs.core.paired_engine import BatchStrategy, by_strategy
from mdbf_envs.core.protocol import Mechanism
from mdbf_envs.vcg_learn.market import Market
from mdbf_envs.vcg_learn.observation import ObservationBuilder


@dataclass(frozen=True)
class RolloutResult:
    """Cumulative expected utilities U_iT ``(R, n)``, and the tracked agent's per-round
    cumulative utility ``(T, R)`` (None if no agent was tracked)."""

    utility: np.ndarray
    welfare_regret: np.ndarray  # (R,)
    seller_regret: np.ndarray  # (R,)
    curve: np.ndarray | None


def rollout(
    mechanism: Mechanism,
    horizon: int,
    seed: int,
    strategies: Mapping[int, BatchStrategy] | None = None,
    publish: Sequence[str] = (),
    policy_seed: int = 0,
    track: int | None = None,
) -> RolloutResult:
    """Run ``horizon`` rounds of ``mechanism`` (reset first) on its R replications.

    Args:
        mechanism: any :class:`Mechanism`; its ``replications`` set R.
        horizon: T, also the observations' time scale (as in the env).
        seed: seeds the realisations (common random numbers across rollouts).
        strategies: agent index -> batch strategy; other agents report truthfully.
        publish: as the env's ``publish``.
        policy_seed: seeds the strategies' own randomness (separate from the realisations).
        track: an agent whose cumulative utility is recorded every round.
    """
    sc = mechanism.scenario
    strategies = dict(strategies or {})
    market = Market(mechanism)
    for i in strategies:
        if not 0 <= i < sc.n_agents or not market.reporting[i]:
            raise ValueError(
                f"agent {i} cannot report: agents are 0..{sc.n_agents - 1}, bidders {np.flatnonzero(~market.reporting)}"
            )
    policy_rng = np.random.default_rng(policy_seed)
    market.reset(np.random.default_rng(seed))
    observer = ObservationBuilder(sc, horizon, publish, mechanism)
    groups = by_strategy(strategies)
    utility = np.zeros((mechanism.replications, sc.n_agents))
    curve = np.empty((horizon, mechanism.replications)) if track is not None else None
    for t in range(horizon):
        rnd = market.begin()
        reports = market.realised.copy()
        if strategies:
            obs = observer.build(rnd, market.realised, market.tallies, mechanism)
            for strategy, agents in groups:  # as the paired market calls them
                rows = obs[:, agents].reshape(-1, observer.size)
                reports[:, agents] = np.reshape(strategy(observer.decode(rows), policy_rng), (-1, len(agents)))
        if not np.all(np.isfinite(reports)):
            raise ValueError(f"a strategy reported a non-finite value in round {rnd.t}")
        utility += market.finish(reports).agents
        if curve is not None:
            curve[t] = utility[:, track]
    return RolloutResult(utility, market.account.welfare.copy(), market.account.seller.copy(), curve)
