"""The paired market: each replication beside its truthful shadow, on the same random draws.

The manipulator's question is a paired one: how much more does agent i get by following a
policy than by reporting truthfully, *in the same world* (the same realisation noise, the same
randomness of the other agents' strategies)? :class:`PairedMarket` answers it in one batched
mechanism of 2R replications: replication r is the world where agent i follows its policy,
replication R + r its shadow, where agent i reports truthfully. Both halves draw the same
standard normals and uniforms each round (:class:`PairedDraws`), and the other agents'
strategies get identically seeded generators in the two halves. The paired gain
``gain[r] = U_iT(r) - U_iT(R + r)`` is then exact per replication: an action of 0 (truthful)
gives a gain of exactly 0 at every round.

Decision points (``decisions="influential"``): a report matters only if the mechanism keeps it
(:func:`mdbf_envs.protocol.influence_of`): under ETC about 43 of 2 000 rounds for the
efficient winner of Appendix F. The market then asks for the agent's action only in rounds
where its report is kept in some replication (elsewhere it reports truthfully, which changes no
utility: a discarded report cannot), and plays the rounds in between at once. Under ETC, with
others truthful or blind to their own reports (:class:`ReportBlind`), it also fast-forwards
each exploit phase (:meth:`VCGLearn.skip_exploit`),
still drawing every round's realisations so the random stream and the agents' tallies are those
of the round-by-round run.

The agent sees :meth:`PairedMarket.features`: the env's observation fields (what the agent may
know, nothing private to others) scaled by construction into about [0, 1] (counts and the
bracket as log(1 + x) / log(1 + T)), plus the rounds since its last decision and whether this
round is a decision. :meth:`PairedMarket.run` plays whole episodes with a batch policy; the
Gymnasium envs of :mod:`mdbf_envs.envs.paired` step it one decision at a time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from mdbf_envs.checks import check_int, check_real
from mdbf_envs.envs.vcg_observation import AgentTallies, ObservationBuilder
from mdbf_envs.protocol import (
    Mechanism,
    Round,
    bidders,
    influence_of,
    optimizer_of,
)
from mdbf_envs.rollout import BatchStrategy
from mdbf_envs.streams import ReplicationStreams
from mdbf_envs.vcg_learn.mechanism import VCGLearn
from mdbf_envs.vcg_learn.regret import RegretAccount

BatchPolicy = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""Features ``(k, d)`` of the deciding replications and their indices ``(k,)`` -> actions
``(k,)`` in [-1, 1] (the indices let one batch hold several policies, e.g. CMA-ES candidates)."""
DECISIONS = ("every", "influential")


@runtime_checkable
class ReportBlind(Protocol):
    """A batch strategy that says whether it reads its own past reports (``report_count``,
    ``report_mean``). Strategies with ``reads_own_reports = False`` lose nothing when a round
    whose reports the mechanism discards is played truthfully for them, which lets the ETC
    fast-forward run beside them."""

    reads_own_reports: bool


class PairedDraws:
    """The random source of a paired market: each call draws ``(R, n)`` from ``base`` and hands
    the same numbers to both halves, ``(2R, n)``."""

    def __init__(self, base: np.random.Generator | ReplicationStreams, pairs: int):
        self.base, self.pairs = base, pairs

    def _pair(self, method: str, shape: tuple[int, int]) -> np.ndarray:
        if shape[0] != 2 * self.pairs:
            raise ValueError(f"a paired draw of {shape[0]} rows; expected 2 x {self.pairs}")
        z = getattr(self.base, method)((self.pairs, shape[1]))
        return np.concatenate([z, z])

    def standard_normal(self, shape: tuple[int, int]) -> np.ndarray:
        return self._pair("standard_normal", shape)

    def random(self, shape: tuple[int, int]) -> np.ndarray:
        return self._pair("random", shape)


@dataclass(frozen=True)
class PairedResult:
    """An episode of R pairs: the agent's utility with the policy and truthful ``(R,)``, their
    difference (the paired gain), the per-round mean cumulative gain and its standard error over
    the pairs ``(T, 2)`` if tracked, and how many
    decisions were taken and how many of them sat at the action bound."""

    utility: np.ndarray
    truthful_utility: np.ndarray
    gain: np.ndarray
    seller_change: np.ndarray  # (R,) the seller's utility (revenue) with the policy minus truthful
    curve: np.ndarray | None
    decisions: int
    at_bound: int


class PairedGame(ABC):
    """The engine every paired game shares: R pairs of replications (r with the agent's policy,
    R + r with truthful reports), stepped from one decision of the agent to the next.

    A game fills in how an episode starts (:meth:`_start`), how a round begins (the agents
    experience it, the others choose; sets ``_deciding``) and ends (:meth:`_finish_round`, which
    adds to ``utility`` and ``seller`` and sets ``done``), and what the agent sees
    (:meth:`features` for policies, :meth:`strategy_fields` for scripted strategies).
    """

    pairs: int
    horizon: int
    agent: int
    feature_size: int
    draws: tuple[str, ...]  # the stream methods a round draws from (see ReplicationStreams)
    n_agents: int

    def reset(self, rng: np.random.Generator | ReplicationStreams, policy_seed: int = 0, track: bool = False) -> None:
        """Start an episode: the world's randomness from ``rng`` (R streams' worth: each draw is
        shared by the two halves), the others' strategy randomness from ``policy_seed``."""
        self._policy_rngs = (np.random.default_rng(policy_seed), np.random.default_rng(policy_seed))
        self.utility = np.zeros((2 * self.pairs, self.n_agents))
        self.seller = np.zeros(2 * self.pairs)
        self.curve = np.zeros((self.horizon, 2)) if track else None
        self._since = np.zeros(self.pairs)  # rounds since the agent's last decision
        self.decision_counts = np.zeros(self.pairs, np.int64)  # decisions of each pair so far
        self.at_bound, self._played = 0, 0
        self.done = False
        self._start(rng)
        self._begin_round()
        self._advance()

    @property
    def decisions_taken(self) -> int:
        """Decisions taken so far, over all pairs."""
        return int(self.decision_counts.sum())

    @property
    def gain(self) -> np.ndarray:
        """``(R,)`` the agent's cumulative paired gain so far."""
        i, R = self.agent, self.pairs
        return self.utility[:R, i] - self.utility[R:, i]

    @property
    def deciding(self) -> np.ndarray:
        """``(R,)`` bool: the replications whose current round awaits the agent's action."""
        return self._deciding

    def step(self, actions: np.ndarray) -> np.ndarray:
        """Play the current round with ``actions`` ``(R,)`` in [-1, 1] (used where
        :attr:`deciding`; ignored elsewhere) and the rounds up to the next decision; returns
        each pair's gain over them ``(R,)``."""
        if self.done:
            raise RuntimeError("the episode is over: call reset() before step()")
        a = np.asarray(actions, dtype=np.float64).reshape(-1)
        if a.shape != (self.pairs,) or not np.all((a >= -1) & (a <= 1)):  # NaN fails too
            bad = a.tolist() if a.size != self.pairs else a[~((a >= -1) & (a <= 1))].tolist()
            raise ValueError(f"actions {bad} must be {self.pairs} numbers in [-1, 1]")
        before = self.gain
        self._finish_round(a)
        self._advance()
        return self.gain - before

    def run(self, policy: BatchPolicy | None, rng: np.random.Generator | ReplicationStreams, policy_seed: int = 0,
            track: bool = False, strategy: BatchStrategy | None = None) -> PairedResult:
        """A whole episode where the agent follows ``policy`` (called on the deciding
        replications' features and indices) or a scripted ``strategy`` (called on their
        :meth:`strategy_fields`, reports as it returns them); ``track`` records the mean gain
        curve."""
        if (policy is None) == (strategy is None):
            raise ValueError("give a policy or a strategy")
        self.reset(rng, policy_seed, track)
        own_rng = np.random.default_rng([policy_seed, self.agent])
        actions = np.zeros(self.pairs)
        while not self.done:
            rows = self._deciding
            if strategy is not None:
                self._finish_round(None, np.asarray(strategy(self.strategy_fields(), own_rng), dtype=np.float64))
                self._advance()
                continue
            actions[:] = 0.0
            actions[rows] = policy(self.features()[rows], np.flatnonzero(rows))
            self.step(actions)
        i, R = self.agent, self.pairs
        return PairedResult(self.utility[:R, i].copy(), self.utility[R:, i].copy(), self.gain,
                            self.seller[:R] - self.seller[R:], self.curve, self.decisions_taken, self.at_bound)

    def _advance(self) -> None:
        """Play truthful rounds until some replication decides or the episode ends."""
        while not self.done and not self._deciding.any():
            self._finish_round(None)

    def _record_curve(self, start: int, gains: np.ndarray) -> None:
        """Mean and standard error over the pairs of the cumulative gains ``(rounds, R)`` of
        rounds ``start + 1 ..``."""
        if self.curve is None:
            return
        rounds = slice(start, start + len(gains))
        self.curve[rounds, 0] = gains.mean(axis=1)
        if self.pairs > 1:
            self.curve[rounds, 1] = gains.std(axis=1, ddof=1) / np.sqrt(self.pairs)

    def _record_decisions(self, actions: np.ndarray | None, reports: np.ndarray, clipped: np.ndarray) -> None:
        """Count the round's decisions and those at a bound: the action's (|a| = 1) or the
        report space's (the report or bid was clipped)."""
        rows = self._deciding
        at = clipped != reports
        if actions is not None:
            at |= np.abs(actions[rows]) >= 1
        self.at_bound += int(at.sum())
        self.decision_counts += rows
        self._since[rows] = 0

    @abstractmethod
    def _start(self, rng: np.random.Generator | ReplicationStreams) -> None:
        """Reset the game's own state for a new episode."""

    @abstractmethod
    def _begin_round(self) -> None:
        """Begin the next round: the agents experience it, the others choose; set ``_deciding``."""

    @abstractmethod
    def _finish_round(self, actions: np.ndarray | None, reports: np.ndarray | None = None) -> None:
        """Play the current round (the agent's action or report where deciding, truthful
        elsewhere), add to ``utility`` and ``seller``, and begin the next round or set ``done``."""

    @abstractmethod
    def features(self) -> np.ndarray:
        """``(R, d)`` the agent's scaled observation in the current round."""

    @abstractmethod
    def strategy_fields(self) -> dict[str, np.ndarray]:
        """The deciding replications' observation fields, as scripted strategies read them."""


class PairedMarket(PairedGame):
    """R pairs of one market (module docstring): agent ``agent`` follows a policy in replication
    r and reports truthfully in replication R + r; everything else is shared.

    Args:
        mechanism: built with 2R replications (``make_mechanism(..., replications=2 * R)``).
        horizon: T rounds per episode.
        agent: the manipulating agent's index (a realisation agent, not a bidder).
        others: agent index -> batch strategy of the other agents (truthful if absent); each is
            called on both halves with identically seeded generators, once per round for all
            the agents that share it (their rows stacked: strategies act row by row).
        decisions: "every" (the agent acts every round) or "influential" (only where its report
            is kept, module docstring).
        deviation_scale: the report is X + ``deviation_scale`` a for an action a in [-1, 1].
        report_bounds: reports are clipped to these bounds (the env's report space).
        publish: as the VCG-Learn env's ``publish``.
    """

    def __init__(
        self,
        mechanism: Mechanism,
        horizon: int,
        agent: int,
        others: Mapping[int, BatchStrategy] | None = None,
        decisions: str = "influential",
        deviation_scale: float = 3.0,
        report_bounds: tuple[float, float] = (-5.0, 6.0),
        publish: Sequence[str] = (),
    ):
        if not isinstance(mechanism, Mechanism):
            raise TypeError(f"{mechanism!r} lacks the Mechanism protocol (scenario, replications, reset, propose, observe)")
        if mechanism.replications % 2:
            raise ValueError(f"a paired market needs 2R replications, the mechanism has {mechanism.replications}")
        if decisions not in DECISIONS:
            raise ValueError(f"decisions = {decisions!r}; use one of {DECISIONS}")
        check_real("deviation_scale", deviation_scale, positive=True)
        sc = self.scenario = mechanism.scenario
        self.mechanism, self.horizon, self.decisions = mechanism, check_int("horizon", horizon, 1), decisions
        self.pairs = mechanism.replications // 2
        self._reporting = ~bidders(mechanism)
        if not (0 <= agent < sc.n_agents) or not self._reporting[agent]:
            raise ValueError(f"agent {agent} cannot report: reporting agents are {np.flatnonzero(self._reporting).tolist()}")
        self.others = dict(others or {})
        for j in self.others:
            if j == agent or not (0 <= j < sc.n_agents) or not self._reporting[j]:
                raise ValueError(f"others name agent {j}, which is the manipulator, unknown or a bidder")
        self.agent, self.scale = int(agent), float(deviation_scale)
        groups: dict[int, tuple[BatchStrategy, list[int]]] = {}
        for j, strategy in sorted(self.others.items()):
            groups.setdefault(id(strategy), (strategy, []))[1].append(j)
        self._groups = [(strategy, np.array(agents)) for strategy, agents in groups.values()]
        self.low, self.high = map(float, report_bounds)
        self.observer = ObservationBuilder(sc, self.horizon, publish, mechanism)
        fields = self.observer.layout()
        self._log_T = np.log1p(self.horizon)
        self._log_scaled = [fields[k] for k in fields if k.endswith("_count")]
        self.feature_size = self.observer.size + 2
        self.draws, self.n_agents = sc.draws, sc.n_agents
        self._influential = influence_of(mechanism)
        blind = all(isinstance(s, ReportBlind) and not s.reads_own_reports for s in self.others.values())
        self._fast_forward = (
            decisions == "influential" and blind and type(mechanism) is VCGLearn
            and mechanism.zeta == "etc" and mechanism.f == mechanism.g and not mechanism.learn_seller_value
        )
        self.done = True

    # ---- episode ---------------------------------------------------------------------------
    def _start(self, rng: np.random.Generator | ReplicationStreams) -> None:
        self._draws = PairedDraws(rng, self.pairs)
        self.mechanism.reset()
        self.account = RegretAccount(self.scenario, 2 * self.pairs, optimizer_of(self.mechanism))
        self.tallies = AgentTallies(2 * self.pairs, self.scenario)

    def features(self) -> np.ndarray:
        """``(R, d)`` the agent's scaled observation in the current round (module docstring)."""
        obs = self._agent_obs.copy()
        for a, b in self._log_scaled:  # count / T -> log(1 + count) / log(1 + T)
            obs[:, a:b] = np.log1p(obs[:, a:b] * self.horizon) / self._log_T
        at = self.observer.layout()["bracket"][0]
        obs[:, at] = np.log1p(obs[:, at]) / self._log_T
        extra = np.stack([np.log1p(self._since) / self._log_T, self._deciding.astype(np.float64)], axis=1)
        return np.concatenate([obs, extra], axis=1)

    def strategy_fields(self) -> dict[str, np.ndarray]:
        return self.observer.decode(self._agent_obs[self._deciding])

    # ---- rounds ----------------------------------------------------------------------------
    def _begin_round(self) -> None:
        """Propose the next round; everyone experiences it; the others choose their reports."""
        sc, R = self.scenario, self.pairs
        self._round: Round = self.mechanism.propose()
        self._realised = sc.realise(self._round.outcome, self._draws)  # (2R, n)
        self._allocation = sc.allocation_of(self._round.outcome)
        self.tallies.experience(self._allocation, self._realised)
        self._reports = self._realised.copy()
        self._deciding = np.ones(R, bool)
        if self.decisions == "influential":
            self._deciding = self._influential()[:R, self.agent].copy()
        build = self.observer.build
        if self.others:
            obs = build(self._round, self._realised, self.tallies, self.mechanism)
            for strategy, agents in self._groups:  # agents sharing a strategy report in one call
                for half, rng in zip((slice(0, R), slice(R, 2 * R)), self._policy_rngs, strict=True):
                    rows = obs[half][:, agents].reshape(-1, self.observer.size)
                    self._reports[half, agents] = np.reshape(strategy(self.observer.decode(rows), rng), (R, len(agents)))
            self._agent_obs = obs[:R, self.agent]
        elif self._deciding.any():  # only the agent's own rows are needed
            i = self.agent
            self._agent_obs = build(self._round, self._realised, self.tallies, self.mechanism,
                                    slice(0, R), slice(i, i + 1))[:, 0]
        if not np.all(np.isfinite(self._reports)):
            raise ValueError(f"a strategy reported a non-finite value in round {self._round.t}")

    def _finish_round(self, actions: np.ndarray | None, reports: np.ndarray | None = None) -> None:
        """Play the current round: where deciding, the agent reports X + scale a for ``actions``
        ``(R,)``, or ``reports`` (one per deciding replication)."""
        i, R, rnd = self.agent, self.pairs, self._round
        rows = self._deciding
        if (actions is not None or reports is not None) and rows.any():
            if reports is None:
                reports = self._realised[:R, i][rows] + self.scale * actions[rows]
            clipped = np.clip(reports, self.low, self.high)
            own = self._reports[:R, i]
            own[rows] = clipped
            self._record_decisions(actions, reports, clipped)
        self._since += 1
        self.tallies.report(self._allocation, self._reports, self._reporting)
        self.mechanism.observe(self._reports)
        u = self.account.record(rnd.outcome, rnd.prices)
        self.utility += u.agents
        self.seller += u.seller
        self._record_curve(rnd.t - 1, self.gain[None])
        self._played = rnd.t
        if self._fast_forward and not rnd.explore:
            self._skip_exploit_phase()
        if self._played >= self.horizon:
            self.done = True
        else:
            self._begin_round()

    def _skip_exploit_phase(self) -> None:
        """ETC, others truthful or blind to their own reports (:class:`ReportBlind`): the rest of
        the exploit phase changes nothing but utilities and the agents' own tallies (module
        docstring), whatever anyone reports there; account for it at once."""
        rnd = self._round
        left = self.mechanism.skip_exploit(self.horizon - rnd.t)
        if left == 0:
            return
        realised_sum = np.zeros_like(self._realised)
        for _ in range(left):  # the same draws, in the same order, as round by round
            realised_sum += self.scenario.realise(rnd.outcome, self._draws)
        self.tallies.experience(self._allocation, realised_sum, rounds=left)
        self.tallies.report(self._allocation, realised_sum, self._reporting, rounds=left)
        u = self.account.record(rnd.outcome, rnd.prices, left)
        if self.curve is not None:  # each pair's gain grows linearly over the block
            step = u.agents[: self.pairs, self.agent] - u.agents[self.pairs:, self.agent]
            self._record_curve(rnd.t, self.gain[None] + np.arange(1, left + 1)[:, None] * step[None])
        self.utility += left * u.agents
        self.seller += left * u.seller
        self._since += left
        self._played += left
