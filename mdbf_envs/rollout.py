"""Batched episodes of a VCG mechanism with scripted or learned reporting strategies.

R replications run together, each agent either truthful or following a batch strategy that
sees exactly the observation the PettingZoo env would give it (:class:`ObservationBuilder`).
Realisations come from ``seed`` alone, whatever the agents do, so two rollouts with the same
seed are paired on common random numbers: the audit's gain E[U^pi_iT - U_iT] is a paired
difference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mdbf_envs.envs.vcg_observation import AgentTallies, ObservationBuilder
from mdbf_envs.protocol import Mechanism, bidders, optimizer_of
from mdbf_envs.vcg_learn.regret import RegretAccount

BatchStrategy = Callable[[dict[str, np.ndarray], np.random.Generator], np.ndarray]
"""Decoded observation fields ``{name: (R, width)}`` of one agent -> its reports ``(R,)``."""


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
    R = mechanism.replications
    strategies = dict(strategies or {})
    bidder = bidders(mechanism)
    for i in strategies:
        if not 0 <= i < sc.n_agents or bidder[i]:
            raise ValueError(f"agent {i} cannot report: agents are 0..{sc.n_agents - 1}, bidders {np.flatnonzero(bidder)}")
    rng, policy_rng = np.random.default_rng(seed), np.random.default_rng(policy_seed)
    mechanism.reset()
    account = RegretAccount(sc, R, optimizer_of(mechanism))
    observer = ObservationBuilder(sc, horizon, publish, mechanism)
    tallies = AgentTallies(R, sc)
    utility = np.zeros((R, sc.n_agents))
    curve = np.empty((horizon, R)) if track is not None else None
    for t in range(horizon):
        rnd = mechanism.propose()
        realised = sc.realise(rnd.outcome, rng)
        allocation = sc.allocation_of(rnd.outcome)
        tallies.experience(allocation, realised)
        reports = realised.copy()
        if strategies:
            obs = observer.build(rnd, realised, tallies, mechanism)
            for i, strategy in strategies.items():
                reports[:, i] = strategy(observer.decode(obs[:, i]), policy_rng)
        if not np.all(np.isfinite(reports)):
            raise ValueError(f"a strategy reported a non-finite value in round {rnd.t}")
        tallies.report(allocation, reports, ~bidder)
        mechanism.observe(reports)
        utility += account.record(rnd.outcome, rnd.prices).agents
        if curve is not None:
            curve[t] = utility[:, track]
    return RolloutResult(utility, account.welfare.copy(), account.seller.copy(), curve)
