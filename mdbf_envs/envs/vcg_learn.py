"""
# VCG-Learn (`mdbf_envs/vcg_learn-v0`)

| Import | `mdbf_envs.vcg_learn_v0.parallel_env()`, `pettingzoo.make("parallel", "mdbf_envs/vcg_learn-v0")` |
|---|---|
| Agents | the scenario's agents that take part by realisations (bidders are configuration); 10 by default |
| Action Space | `Box(-5.0, 6.0, (1,), float32)`: the report Y_it (bounds: ``report_bounds``) |
| Observation Space | `Box(-inf, inf, (20,), float32)` (single item, 10 agents; width below) |
| Reward | u_it = v_i(omega_t) - p_it (expected, the paper's objective) or X_it - p_it (realised) |
| Episode end | truncation after ``horizon`` rounds (default 2000) |

Each step is one round of paper 1's repeated mechanism: the mechanism has chosen omega_t and
prices p_it; every agent has experienced its allocation s_i(omega_t) and realised X_it (both in
its observation); the agents' actions are their reports Y_it, which the mechanism learns from
before choosing round t + 1. The episode ends (truncation) after ``horizon`` rounds.

## Observation Space
``Box(-inf, inf, (d,), float32)``, laid out by :class:`ObservationBuilder` (``observation_layout()``
gives the slices); k = |S| allocations, n agents. Nothing private to another agent (values,
realisations, reports) is shown.

| Field | Width | Meaning |
|---|---|---|
| `realised` | 1 | own realised value X_it of the allocation just experienced |
| `price` | 1 | own price p_it this round |
| `explore` | 1 | 1 in explore rounds, 0 in exploit rounds |
| `bracket` | 1 | bracket q |
| `bracket_progress` | 1 | position in the bracket over its length (0 without a bracket clock) |
| `time` | 1 | t / T |
| `allocation` | k | one-hot own allocation s_i(omega_t) |
| `own_count` | k | per allocation: rounds the agent got it, over T |
| `own_mean` | k | per allocation: mean of its realised values |
| `report_count` | k | per allocation: its reports, over T |
| `report_mean` | k | per allocation: mean of its reports |
| `held_count` | k | per allocation: reports the mechanism holds about it, over T (if `HoldsReports`) |
| `held_mean` | k | per allocation: their mean (if `HoldsReports`) |
| `all_prices` | n | every agent's price (with ``publish=("prices",)``) |
| `all_allocations` | n k | every agent's one-hot allocation (with ``publish=("outcome",)``) |

## Action Space
``Box(report_low, report_high, (1,), float32)``: the report Y_it (default bounds [-5, 6]).

## Info
Own figures: ``utility``, ``realised_utility``, ``price``, ``allocation``, ``explore``,
``bracket`` and ``regret`` (own cumulative R_iT against VCG, an analysis figure the agent could
not compute), and ``individually_rational``: False when the mechanism's f is more optimistic
than its g, so that eq. (7)'s prices can exceed any value (docs/decisions.md#individual-rationality;
True for mechanisms that do not say). With ``designer_info=True`` also ``designer``: welfare, seller and all-agents
regrets (the designer's view, off by default).

## Version History
* v0: initial release (0.2.0: ``others`` of the Gymnasium views take batch strategies).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv
from pettingzoo.utils.conversions import parallel_to_aec_wrapper
from pettingzoo.utils.wrappers import OrderEnforcingWrapper

from mdbf_envs.core.checks import (
    check_action,
    check_bool,
    check_bounds,
    check_choice,
    check_horizon,
    check_int,
    check_names,
    check_seed,
)
from mdbf_envs.core.protocol import HasEstimates, Mechanism, Round
from mdbf_envs.core.streams import ReplicationStreams
from mdbf_envs.envs.render import finish, new_figure
from mdbf_envs.registry import make_mechanism, make_scenario
from mdbf_envs.vcg_learn.market import Market
from mdbf_envs.vcg_learn.mechanism import VCGLearn
from mdbf_envs.vcg_learn.observation import ObservationBuilder
from mdbf_envs.vcg_learn.scenario import Scenario

REWARD_MODES = ("expected", "realised")


class VCGLearnParallelEnv(ParallelEnv):
    """Paper 1's repeated mechanism as a PettingZoo ParallelEnv (module docstring has details).

    Args:
        scenario: a registered scenario name or a :class:`Scenario`.
        scenario_kwargs: builder arguments for a named scenario.
        mechanism: a registered mechanism name ("vcg_learn", "pay_your_estimate", or yours).
        zeta, f, g: VCG-Learn's options (passed on to the mechanism).
        horizon: T, rounds per episode (``max_cycles`` is accepted as PettingZoo's alias).
        bids: agent name -> bid table b_i for agents that take part by bids; they are not
            environment agents.
        reward_mode: "expected" (v_i(omega_t) - p_it) or "realised" (X_it - p_it).
        publish: what else every agent sees: "prices", "outcome".
        report_bounds: bounds of the report space (realised values are unbounded for Gaussian
            noise; the default covers >6 sd of every built-in scenario).
        designer_info: add the designer's global regrets to every agent's info.
        mechanism_kwargs: further arguments for the mechanism factory.
        replications: R copies of the market advanced together by the array form
            (:meth:`play`), one random stream each; the Gymnasium vector env uses this. The
            PettingZoo API (:meth:`step`, rendering) plays one copy: R = 1.
        render_mode: None, "rgb_array" or "human".
    """

    metadata = {
        "name": "vcg_learn_v0",
        "render_modes": ["rgb_array", "human"],
        "render_fps": 4,
        "is_parallelizable": True,
    }

    def __init__(
        self,
        scenario: str | Scenario = "single_item",
        scenario_kwargs: Mapping[str, Any] | None = None,
        mechanism: str = "vcg_learn",
        zeta: str = "opt",
        f: str = "mean",
        g: str = "mean",
        horizon: int = 2000,
        bids: Mapping[str, Sequence[float]] | None = None,
        reward_mode: str = "expected",
        publish: Sequence[str] = (),
        report_bounds: tuple[float, float] = (-5.0, 6.0),
        designer_info: bool = False,
        mechanism_kwargs: Mapping[str, Any] | None = None,
        max_cycles: int | None = None,
        replications: int = 1,
        render_mode: str | None = None,
    ):
        self.scenario = sc = make_scenario(scenario, scenario_kwargs)
        self.horizon = check_horizon(horizon, max_cycles)
        check_choice("reward_mode", reward_mode, REWARD_MODES)
        check_choice("render_mode", render_mode, [None, *self.metadata["render_modes"]])
        check_bool("designer_info", designer_info)
        replications = check_int("replications", replications, 1)
        low, high = check_bounds("report_bounds", report_bounds)
        publish = check_names("publish", publish, ("prices", "outcome"))
        bids = dict(bids or {})
        for name in bids:
            if name not in sc.agent_names:
                raise ValueError(f"bids name unknown agent {name!r}; agents: {sc.agent_names}")
        if replications < 1 or (replications > 1 and render_mode is not None):
            raise ValueError(f"replications = {replications} must be >= 1, and 1 to render")
        mechanism_kwargs = dict(mechanism_kwargs or {})
        if "replications" in mechanism_kwargs:
            raise ValueError("pass replications to the env, not in mechanism_kwargs")
        if replications > 1:
            mechanism_kwargs["replications"] = replications
        self.replications = int(replications)
        self.mechanism = make_mechanism(
            mechanism,
            sc,
            zeta=zeta,
            f=f,
            g=g,
            bids={sc.agent_names.index(a): b for a, b in bids.items()},
            **mechanism_kwargs,
        )
        if not isinstance(self.mechanism, Mechanism):
            raise TypeError(
                f"mechanism {mechanism!r} built {self.mechanism!r}, which lacks the Mechanism protocol "
                "(scenario, replications, reset, propose, observe)"
            )
        if self.mechanism.replications != self.replications:
            raise ValueError(
                f"mechanism {mechanism!r} runs {self.mechanism.replications} replications, not {replications}"
            )
        self.market = Market(self.mechanism)
        self._rational = not isinstance(self.mechanism, VCGLearn) or self.mechanism.individually_rational
        if not self._rational:
            warnings.warn(
                f"f = {f}, g = {g}: eq. (7)'s prices carry the other agents' confidence widths, so "
                "truthful agents can lose (not individually rational; docs/decisions.md"
                "#individual-rationality)",
                stacklevel=2,
            )
        self.reward_mode, self.designer_info = reward_mode, designer_info
        self.render_mode = render_mode
        self._reporting = np.array([a not in bids for a in sc.agent_names])
        self.agent_index = {a: i for i, a in enumerate(sc.agent_names) if a not in bids}  # agent -> row
        self.possible_agents = list(self.agent_index)
        if not self.possible_agents:
            raise ValueError("every agent bids: there is no agent left to act")
        self.observer = ObservationBuilder(sc, self.horizon, publish, self.mechanism)
        self.observation_spaces = {
            a: spaces.Box(-np.inf, np.inf, (self.observer.size,), np.float32) for a in self.possible_agents
        }
        self.action_spaces = {a: spaces.Box(low, high, (1,), np.float32) for a in self.possible_agents}
        self._report_bounds = (np.float32(low), np.float32(high))
        self.agents: list[str] = []
        self._rng: np.random.Generator | ReplicationStreams | None = None

    # ---- spaces -------------------------------------------------------------------------
    def observation_space(self, agent: str) -> spaces.Box:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Box:
        return self.action_spaces[agent]

    def observation_layout(self) -> dict[str, tuple[int, int]]:
        """Field name -> (start, stop) slice of the observation vector."""
        return self.observer.layout()

    def decode(self, observation: np.ndarray) -> dict[str, np.ndarray]:
        """Split an observation into its named fields (for scripted strategies)."""
        return self.observer.decode(observation)

    # ---- episode ------------------------------------------------------------------------
    def reset(self, seed: int | Sequence[int] | None = None, options: dict | None = None):
        """Start an episode. ``seed`` seeds the realisations; with R > 1 it may be R seeds,
        one per replication (replication r then plays as a lone env reset with ``seed[r]``)."""
        R = self.replications
        if isinstance(seed, (list, tuple, np.ndarray)):
            seeds = [check_seed(s) for s in seed]
        else:
            seeds = [check_seed(seed)] * R
        if len(seeds) != R or (R > 1 and seed is not None and not isinstance(seed, (list, tuple, np.ndarray))):
            raise ValueError(f"seed = {seed}: give one seed per replication ({R})")
        if seed is not None or self._rng is None:
            generators = [seeding.np_random(s)[0] for s in seeds]
            self._rng = generators[0] if R == 1 else ReplicationStreams(generators, self.market.draws)
        self.market.reset(self._rng)
        self._history: list[tuple[float, float]] = []
        self.agents = list(self.possible_agents)
        self._begin_round()
        return self._observations(), {a: {} for a in self.agents}

    def _begin_round(self) -> None:
        """Propose round t, let every agent experience it, and build the observations."""
        self._round: Round = self.market.begin()
        self._realised = self.market.realised  # (R, n)
        self._observe()

    def _observe(self) -> None:
        self._observation = self.observer.build(
            self._round, self._realised, self.market.tallies, self.mechanism
        ).astype(np.float32)

    def _observations(self) -> dict[str, np.ndarray]:
        return {agent: self._observation[0, i] for agent, i in self.agent_index.items()}

    def _check_actions(self, actions: Mapping[str, Any]) -> np.ndarray:
        if not isinstance(actions, Mapping):
            raise TypeError(f"actions must be a dict agent -> action, got {type(actions).__name__}")
        extra = set(actions) - set(self.agents)
        if extra:
            raise KeyError(f"actions for unknown or finished agents {sorted(extra)}; live agents: {self.agents}")
        missing = set(self.agents) - set(actions)
        if missing:
            raise KeyError(f"no action for agents {sorted(missing)}")
        reports = self._realised.copy()  # bidders' entries are ignored by the mechanism
        for agent, action in actions.items():
            reports[0, self.agent_index[agent]] = self.check_action(agent, action)
        return reports

    def check_action(self, agent: str, action: Any) -> float:
        """The report in ``action`` of ``agent``: one finite number (:meth:`play` checks that it
        lies in the report space)."""
        return check_action(f"action of {agent}", action)

    def step(self, actions: Mapping[str, Any]):
        if self.replications != 1:
            raise RuntimeError(f"step() plays one replication; this env has {self.replications}: use play()")
        if self._rng is None:
            raise RuntimeError("call reset() before step()")
        if not self.agents:
            if actions:
                raise RuntimeError("the episode is over: call reset() before step()")
            return {}, {}, {}, {}, {}
        agents = self.agents
        done = self.play(self._check_actions(actions))
        observations = self._observations()
        reward = self.rewards()[0]
        rewards = {a: float(reward[i]) for a, i in self.agent_index.items()}
        infos = dict(zip(self.agent_index, self._info_dicts(self.agent_index.values()), strict=True))
        if self.render_mode == "human":
            self.render()
        return observations, rewards, {a: False for a in agents}, {a: done for a in agents}, infos

    def play(self, reports: np.ndarray) -> bool:
        """The array form of :meth:`step`: play the round of all R replications with the
        reports ``(R, n)`` of every scenario agent (bidders' entries are ignored); returns
        whether the episode ended (the replications share the clock). Afterwards
        :attr:`observation`, :meth:`rewards` and :meth:`info_table` describe the new state
        (the Gymnasium views use this to skip the per-agent dicts)."""
        if self._rng is None:
            raise RuntimeError("call reset() before play()")
        if not self.agents:
            raise RuntimeError("the episode is over: call reset() before play()")
        reports = np.asarray(reports, dtype=np.float64)
        low, high = self._report_bounds
        if reports.shape != self._realised.shape:
            raise ValueError(f"reports have shape {reports.shape}, expected (R, n) = {self._realised.shape}")
        outside = self._reporting & ~((reports >= low) & (reports <= high))  # NaN is outside too
        if outside.any():
            r, i = np.argwhere(outside)[0]
            where = f" (replication {r})" if self.replications > 1 else ""
            raise ValueError(
                f"report of {self.scenario.agent_names[i]}{where} = {reports[r, i]} "
                f"is outside the report space [{low}, {high}]"
            )
        rnd = self._round
        self._utility = self.market.finish(reports).agents
        self._played = (rnd, self.market.allocation, self._realised - rnd.prices)
        if self.render_mode is not None:
            self._history.append((float(self.market.account.welfare[0]), float(self.market.account.seller[0])))
        done = rnd.t >= self.horizon
        if done:  # the last observation shows the last round with its reports
            self.agents = []
            self._observe()
        else:
            self._begin_round()
        return done

    @property
    def observation(self) -> np.ndarray:
        """``(R, n, size)`` float32: every scenario agent's current observation (bidders' rows unused)."""
        return self._observation

    def rewards(self) -> np.ndarray:
        """``(R, n)``: every agent's reward for the round just played."""
        return self._utility if self.reward_mode == "expected" else self._played[2]

    def info_table(self) -> dict[str, np.ndarray]:
        """The info of the round just played as arrays ``(R, n)`` (float, int and bool as an
        info dict holds them; module docstring lists the keys), without ``designer``."""
        rnd, s, realised_utility = self._played
        shape = s.shape
        return {
            "utility": self._utility,
            "realised_utility": realised_utility,
            "price": rnd.prices,
            "allocation": s.astype(np.int64),
            "explore": np.full(shape, rnd.explore),
            "bracket": np.full(shape, rnd.bracket, np.int64),
            "regret": self.market.account.agents.copy(),
            "individually_rational": np.full(shape, self._rational),
        }

    def info(self, i: int) -> dict[str, Any]:
        """Agent ``i``'s info for the round just played (replication 0)."""
        return self._info_dicts((i,))[0]

    def _info_dicts(self, agents: Iterable[int]) -> list[dict[str, Any]]:
        """The info dicts of ``agents`` (replication 0), from one :meth:`info_table`."""
        columns = {k: v[0].tolist() for k, v in self.info_table().items()}
        designer = {k: float(v[0]) for k, v in self.designer_view().items()} if self.designer_info else None
        infos = []
        for i in agents:
            info = {k: column[i] for k, column in columns.items()}
            if designer is not None:
                info["designer"] = dict(designer)
            infos.append(info)
        return infos

    def designer_view(self) -> dict[str, np.ndarray]:
        """Global regrets so far ``(R,)``: welfare R_t, seller R_0t, all agents R^a_t."""
        acc = self.market.account
        return {
            "welfare_regret": acc.welfare.copy(),
            "seller_regret": acc.seller.copy(),
            "all_agents_regret": acc.all_agents,
        }

    def truthful_action(self, agent: str) -> np.ndarray:
        """The truthful report Y_it = X_it (within the report bounds) for the current round."""
        return self.truthful_reports()[0, self.agent_index[agent], None]

    def truthful_reports(self) -> np.ndarray:
        """``(R, n)`` float32: every agent's truthful report, as :meth:`truthful_action` gives it."""
        low, high = self._report_bounds
        return np.minimum(np.maximum(self._realised.astype(np.float32), low), high)

    # ---- rendering ----------------------------------------------------------------------
    def render(self):
        if self.render_mode is None:
            return None
        est = self.mechanism.estimates() if isinstance(self.mechanism, HasEstimates) else None
        fig = new_figure(self.render_mode, (9, 3.6))
        ax1, ax2 = fig.subplots(1, 2)
        if self._history:
            hist = np.array(self._history)
            ax1.plot(hist[:, 0], label="welfare $R_t$")
            ax1.plot(hist[:, 1], label="seller $R_{0t}$")
            ax1.legend(fontsize=8)
        ax1.set(title=f"round {self._round.t} / {self.horizon}, bracket {self._round.bracket}", xlabel="round")
        sc = self.scenario
        x = np.arange(sc.n_agents)
        if est is not None:
            for k, label in enumerate(sc.allocations):
                ax2.errorbar(
                    x + 0.1 * k,
                    est.mean[0, :, k],
                    yerr=[est.mean[0, :, k] - est.lower[0, :, k], est.upper[0, :, k] - est.mean[0, :, k]],
                    fmt="o",
                    ms=3,
                    label=f"{label} (est.)",
                )
                ax2.plot(x + 0.1 * k, sc.mean[:, k], "k_", ms=8)
            ax2.set_ylim(-0.5, 1.5)
            ax2.legend(fontsize=7)
        ax2.set(title="estimates (bars) vs true means (-)", xlabel="agent")
        return finish(fig, self.render_mode)

    def close(self) -> None:
        pass


def parallel_env(**kwargs) -> VCGLearnParallelEnv:
    """The ParallelEnv."""
    return VCGLearnParallelEnv(**kwargs)


def raw_env(**kwargs):
    """The AEC env, converted from the ParallelEnv."""
    return parallel_to_aec_wrapper(VCGLearnParallelEnv(**kwargs))


def env(**kwargs):
    """The AEC env with PettingZoo's order-enforcing wrapper."""
    return OrderEnforcingWrapper(raw_env(**kwargs))
