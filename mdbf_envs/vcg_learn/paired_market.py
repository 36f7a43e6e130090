"""VCG-Learn's paired market: each replication beside its truthful shadow (paper 1, App. F's audit).

:class:`PairedMarket` is the :class:`~mdbf_envs.core.paired_engine.PairedGame` of any
:class:`~mdbf_envs.core.protocol.Mechanism` over a :class:`~mdbf_envs.vcg_learn.scenario.Scenario`:
one batched mechanism of 2P replications, r with the agent's policy and P + r truthful. Both
halves draw the same standard normals and uniforms each round.

Decision points (``decisions="influential"``): a report matters only if the mechanism keeps it
(:func:`mdbf_envs.core.protocol.influence_of`): under ETC about 43 of 2 000 rounds for the
efficient winner of Appendix F. The market asks for the agent's action only in rounds where its
report is kept in some replication (elsewhere it reports truthfully, which changes no utility:
a discarded report cannot), and plays the rounds in between at once. A mechanism that declares
:class:`~mdbf_envs.core.protocol.SkipsRounds` (VCG-Learn under ETC with f = g) lets it also
fast-forward each exploit phase when the others are truthful, or blind to their own reports and
deterministic (:class:`~mdbf_envs.core.paired_engine.ReportBlind`), still drawing every round's realisations so the
random stream and the agents' tallies are those of the round-by-round run.

When the others report affine functions of their values, the rounds are compiled
(:mod:`mdbf_envs.vcg_learn.compiled_paired`): :meth:`PairedMarket.run` plays a whole episode in
one call when the policy is linear in the features (or the agent's scripted strategy is affine
too), and a stepped episode (the Gymnasium envs, PPO, any other batch policy) plays the rounds
between two decisions in one call. A scripted strategy that is not affine, and everything the
compiled loop declines, plays the rounds here.

The agent sees :meth:`PairedMarket.features`: the env's observation fields (what the agent may
know, nothing private to others) scaled by construction into about [0, 1] (counts and the
bracket as log(1 + x) / log(1 + T)), plus the rounds since its last decision and whether this
round is a decision.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from mdbf_envs.core.checks import check_int, check_real
from mdbf_envs.core.paired_engine import (
    DECISIONS,
    BatchPolicy,
    BatchStrategy,
    PairedDraws,
    PairedGame,
    PairedResult,
    ReportBlind,
    by_strategy,
)
from mdbf_envs.core.protocol import Mechanism, SlowPathWarning, influence_of
from mdbf_envs.core.streams import ReplicationStreams
from mdbf_envs.vcg_learn.market import Market
from mdbf_envs.vcg_learn.observation import ObservationBuilder

BACKENDS = ("auto", "numpy")


class PairedMarket(PairedGame):
    """P pairs of one market (module docstring): agent ``agent`` follows a policy in replication
    r and reports truthfully in replication P + r; everything else is shared.

    Args:
        mechanism: built with 2P replications (``make_mechanism(..., replications=2 * P)``).
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
        backend: "auto" plays compiled where :mod:`mdbf_envs.vcg_learn.compiled_paired`
            allows it (whole episodes of a linear policy or an affine strategy; stepped
            episodes; the same gains up to summation order); "numpy" always plays round by
            round here.
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
        backend: str = "auto",
    ):
        if backend not in BACKENDS:
            raise ValueError(f"backend = {backend!r}; use one of {BACKENDS}")
        self.backend = backend
        self.market = Market(mechanism)
        if mechanism.replications % 2:
            raise ValueError(f"a paired market needs 2P replications, the mechanism has {mechanism.replications}")
        if decisions not in DECISIONS:
            raise ValueError(f"decisions = {decisions!r}; use one of {DECISIONS}")
        check_real("deviation_scale", deviation_scale, positive=True)
        sc = self.scenario = mechanism.scenario
        self.mechanism, self.horizon, self.decisions = mechanism, check_int("horizon", horizon, 1), decisions
        self.pairs = mechanism.replications // 2
        self._reporting = self.market.reporting
        if not (0 <= agent < sc.n_agents) or not self._reporting[agent]:
            raise ValueError(
                f"agent {agent} cannot report: reporting agents are {np.flatnonzero(self._reporting).tolist()}"
            )
        self.others = dict(others or {})
        for j in self.others:
            if j == agent or not (0 <= j < sc.n_agents) or not self._reporting[j]:
                raise ValueError(f"others name agent {j}, which is the manipulator, unknown or a bidder")
        self.agent, self.scale = int(agent), float(deviation_scale)
        self._groups = by_strategy(self.others)
        self.low, self.high = map(float, report_bounds)
        self.observer = ObservationBuilder(sc, self.horizon, publish, mechanism)
        fields = self.observer.layout()
        self._log_T = np.log1p(self.horizon)
        self._log_scaled = [fields[k] for k in fields if k.endswith("_count")]
        self.feature_size = self.observer.size + 2
        self.draws, self.n_agents = self.market.draws, sc.n_agents
        self._influential = influence_of(mechanism)
        blind = all(
            isinstance(s, ReportBlind) and not s.reads_own_reports and not s.stochastic for s in self.others.values()
        )
        self._fast_forward = decisions == "influential" and blind and self.market.repeats_rounds
        self.done, self._scripted, self._episode = True, False, None
        self._slow_warned = False

    # ---- episode ---------------------------------------------------------------------------
    def run(
        self,
        policy: BatchPolicy | None,
        rng: np.random.Generator | ReplicationStreams,
        policy_seed: int = 0,
        track: bool = False,
        strategy: BatchStrategy | None = None,
    ) -> PairedResult:
        """:meth:`PairedGame.run`, compiled where the backend and
        :func:`~mdbf_envs.vcg_learn.compiled_paired.unsupported` allow."""
        if self.backend == "auto":
            from mdbf_envs.vcg_learn import compiled_paired  # imported here: numba loads in a second

            self._warn_if_mechanism_is_slow()
            if compiled_paired.unsupported(self, policy, strategy) is None:
                self._episode = None
                return compiled_paired.run(self, policy, rng, track, strategy)
        self._scripted = strategy is not None  # it reads observation fields the compiled steps do not build
        try:
            return super().run(policy, rng, policy_seed, track, strategy)
        finally:
            self._scripted = False

    def _start(self, rng: np.random.Generator | ReplicationStreams) -> None:
        self._episode = None
        if self.backend == "auto" and not self._scripted:
            from mdbf_envs.vcg_learn import compiled_paired

            self._warn_if_mechanism_is_slow()
            if compiled_paired.unsupported_steps(self) is None:
                self._episode = compiled_paired.Episode(self, rng)
                return
        self.market.reset(PairedDraws(rng, self.pairs))

    def _warn_if_mechanism_is_slow(self) -> None:
        """Once per market: say why ``backend="auto"`` plays this mechanism in numpy (a subclass
        that overrides a compiled method, an outcome space or noise the loop does not handle)."""
        if self._slow_warned:
            return
        from mdbf_envs.vcg_learn import compiled

        self._slow_warned = True
        reason = compiled.unsupported(self.mechanism)
        if reason is not None:
            warnings.warn(
                f"backend='auto' plays this market round by round in numpy: {reason} "
                "(pass backend='numpy' to choose that)",
                SlowPathWarning,
                stacklevel=3,
            )

    def features(self) -> np.ndarray:
        """``(P, d)`` the agent's scaled observation in the current round (module docstring)."""
        if self._episode is not None:
            return self._episode.features()
        obs = self._agent_obs.copy()
        for a, b in self._log_scaled:  # count / T -> log(1 + count) / log(1 + T)
            obs[:, a:b] = np.log1p(obs[:, a:b] * self.horizon) / self._log_T
        at = self.observer.layout()["bracket"][0]
        obs[:, at] = np.log1p(obs[:, at]) / self._log_T
        extra = np.stack([np.log1p(self.since) / self._log_T, self._deciding.astype(np.float64)], axis=1)
        return np.concatenate([obs, extra], axis=1)

    def strategy_fields(self) -> dict[str, np.ndarray]:
        return self.observer.decode(self._agent_obs[self._deciding])

    # ---- rounds ----------------------------------------------------------------------------
    def _begin_round(self) -> None:
        """Propose the next round; everyone experiences it; the others choose their reports
        (compiled: play on to the first round where some replication decides)."""
        if self._episode is not None:
            self._episode.play()
            return
        P, market = self.pairs, self.market
        self._round = market.begin()
        self._realised = market.realised  # (2P, n)
        self._reports = self._realised.copy()
        self._deciding = np.ones(P, bool)
        if self.decisions == "influential":
            self._deciding = self._influential()[:P, self.agent].copy()
        build = self.observer.build
        if self.others:
            obs = build(self._round, self._realised, market.tallies, self.mechanism)
            for strategy, agents in self._groups:  # agents sharing a strategy report in one call
                for half, rng in zip((slice(0, P), slice(P, 2 * P)), self._policy_rngs, strict=True):
                    rows = obs[half][:, agents].reshape(-1, self.observer.size)
                    self._reports[half, agents] = np.reshape(
                        strategy(self.observer.decode(rows), rng), (P, len(agents))
                    )
            self._agent_obs = obs[:P, self.agent]
        elif self._deciding.any():  # only the agent's own rows are needed
            i = self.agent
            self._agent_obs = build(
                self._round, self._realised, market.tallies, self.mechanism, slice(0, P), slice(i, i + 1)
            )[:, 0]
        if not np.all(np.isfinite(self._reports)):
            raise ValueError(f"a strategy reported a non-finite value in round {self._round.t}")

    def _finish_round(self, actions: np.ndarray | None, reports: np.ndarray | None = None) -> None:
        """Play the current round: where deciding, the agent reports X + scale a for ``actions``
        ``(P,)``, or ``reports`` (one per deciding replication). Compiled, it plays on to the
        next round where some replication decides."""
        if self._episode is not None:
            self._episode.play(actions)
            return
        i, P, rnd = self.agent, self.pairs, self._round
        rows = self._deciding
        if (actions is not None or reports is not None) and rows.any():
            if reports is None:
                reports = self._realised[:P, i][rows] + self.scale * actions[rows]
            clipped = np.clip(reports, self.low, self.high)
            own = self._reports[:P, i]
            own[rows] = clipped
            self._record_decisions(actions, reports, clipped)
        self.since += 1
        u = self.market.finish(self._reports)
        self.utility += u.agents
        self.seller += u.seller
        self._record_curve(rnd.t - 1, self.gain[None])
        self._played = rnd.t
        if self._fast_forward:
            self._skip_repeats()
        if self._played >= self.horizon:
            self.done = True
        else:
            self._begin_round()

    def _skip_repeats(self) -> None:
        """Others truthful, or blind to their own reports and deterministic (:class:`ReportBlind`): the rounds that
        repeat this one (an ETC exploit phase) change nothing but utilities and the agents' own
        tallies, whatever anyone reports there; account for them at once."""
        rnd = self._round
        left, u = self.market.skip(self.horizon - rnd.t)
        if left == 0:
            return
        if self.curve is not None:  # each pair's gain grows linearly over the block
            step = u.agents[: self.pairs, self.agent] - u.agents[self.pairs :, self.agent]
            self._record_curve(rnd.t, self.gain[None] + np.arange(1, left + 1)[:, None] * step[None])
        self.utility += left * u.agents
        self.seller += left * u.seller
        self.since += left
        self._played += left
