# noqa: D212, D415
"""
# VCG-Learn

| Creation | `mdbf_envs.vcg_learn_v0.parallel_env()`, `pettingzoo.make("parallel", "mdbf_envs/vcg_learn-v0")` |
|---|---|
| Agents | the scenario's agents that take part by realisations (bidders are configuration) |
| Action | `Box(report_low, report_high, (1,))`: the report Y_it for the allocation just experienced |
| Reward | u_it = v_i(omega_t) - p_it (expected, the paper's objective) or X_it - p_it (realised) |

Each step is one round of paper 1's repeated mechanism: the mechanism has chosen omega_t and
prices p_it; every agent has experienced its allocation s_i(omega_t) and realised X_it (both in
its observation); the agents' actions are their reports Y_it, which the mechanism learns from
before choosing round t + 1. The episode ends (truncation) after ``horizon`` rounds.

### Observation (float32 vector, see :meth:`VCGLearnParallelEnv.observation_layout`)
Own realised value X_it and price p_it; explore flag; bracket q; position in the bracket over
its length; t / T; one-hot own allocation; per allocation the agent's own count (over T) and
mean of realised values and of its reports, and (when the mechanism exposes them) the count
(over T) and mean of the reports the mechanism holds about it; then what the mechanism
publishes (``publish``: "prices" adds every agent's price, "outcome" every agent's one-hot
allocation). Nothing private to another agent (values, realisations, reports) is shown.

### Info
Own figures: ``utility``, ``realised_utility``, ``price``, ``allocation``, ``explore``,
``bracket`` and ``regret`` (own cumulative R_iT against VCG, an analysis figure the agent could
not compute). With ``designer_info=True`` also ``designer``: welfare, seller and all-agents
regrets (the designer's view, off by default).

### Version History
* v0: initial release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv
from pettingzoo.utils.conversions import parallel_to_aec_wrapper
from pettingzoo.utils.wrappers import OrderEnforcingWrapper

from mdbf_envs.envs.render import finish, new_figure
from mdbf_envs.envs.vcg_observation import AgentTallies, ObservationBuilder
from mdbf_envs.mechanisms.vcg_learn import Round
from mdbf_envs.regret import RegretAccount
from mdbf_envs.registry import make_mechanism, make_scenario
from mdbf_envs.scenario import Scenario

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
        render_mode: None, "rgb_array" or "human".
    """

    metadata = {"name": "vcg_learn_v0", "render_modes": ["rgb_array", "human"], "render_fps": 4, "is_parallelizable": True}

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
        render_mode: str | None = None,
    ):
        self.scenario = sc = make_scenario(scenario, scenario_kwargs)
        self.horizon = int(horizon if max_cycles is None else max_cycles)
        if self.horizon < 1:
            raise ValueError(f"horizon = {self.horizon} must be >= 1")
        if reward_mode not in REWARD_MODES:
            raise ValueError(f"reward_mode = {reward_mode!r}; use one of {REWARD_MODES}")
        low, high = map(float, report_bounds)
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(f"report_bounds = {report_bounds} must be finite with low < high")
        bids = dict(bids or {})
        for name in bids:
            if name not in sc.agent_names:
                raise ValueError(f"bids name unknown agent {name!r}; agents: {sc.agent_names}")
        self.mechanism = make_mechanism(
            mechanism, sc, zeta=zeta, f=f, g=g,
            bids={sc.agent_names.index(a): b for a, b in bids.items()}, **dict(mechanism_kwargs or {}),
        )
        if getattr(self.mechanism, "replications", 1) != 1:
            raise ValueError("environments run one replication; do not pass replications")
        self.reward_mode, self.designer_info = reward_mode, designer_info
        self.render_mode = render_mode
        self._reporting = np.array([a not in bids for a in sc.agent_names])
        self.agent_index = {a: i for i, a in enumerate(sc.agent_names) if a not in bids}  # agent -> row
        self.possible_agents = list(self.agent_index)
        if not self.possible_agents:
            raise ValueError("every agent bids: there is no agent left to act")
        holds = hasattr(self.mechanism, "counts") and hasattr(self.mechanism, "sums")
        self.observer = ObservationBuilder(sc, self.horizon, publish, holds)
        self.observation_spaces = {
            a: spaces.Box(-np.inf, np.inf, (self.observer.size,), np.float32) for a in self.possible_agents
        }
        self.action_spaces = {a: spaces.Box(low, high, (1,), np.float32) for a in self.possible_agents}
        self._report_bounds = (np.float32(low), np.float32(high))
        self.agents: list[str] = []
        self._np_random: np.random.Generator | None = None

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
    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None or self._np_random is None:
            self._np_random, _ = seeding.np_random(seed)
        self.mechanism.reset()
        self.account = RegretAccount(self.scenario, 1, getattr(self.mechanism, "optimizer", None))
        self.tallies = AgentTallies(1, self.scenario)
        self._history: list[tuple[float, float]] = []
        self.agents = list(self.possible_agents)
        self._begin_round()
        return self._observations(), {a: {} for a in self.agents}

    def _begin_round(self) -> None:
        """Propose round t, let every agent experience it, and build the observations."""
        self._round: Round = self.mechanism.propose()
        realised = self.scenario.realise(self._round.outcome, self._np_random)
        self._allocation = self.scenario.allocation_of(self._round.outcome[0])
        self.tallies.experience(self._allocation[None], realised)
        self._realised = realised[0]
        self._observe()

    def _observe(self) -> None:
        self._observation = self.observer.build(self._round, self._realised[None], self.tallies, self.mechanism)[0].astype(np.float32)

    def _observations(self) -> dict[str, np.ndarray]:
        return {agent: self._observation[i] for agent, i in self.agent_index.items()}

    def _check_actions(self, actions: Mapping[str, Any]) -> np.ndarray:
        extra = set(actions) - set(self.agents)
        if extra:
            raise KeyError(f"actions for unknown or finished agents {sorted(extra)}; live agents: {self.agents}")
        missing = set(self.agents) - set(actions)
        if missing:
            raise KeyError(f"no action for agents {sorted(missing)}")
        reports = self._realised.copy()  # bidders' entries are ignored by the mechanism
        for agent, action in actions.items():
            reports[self.agent_index[agent]] = self.check_action(agent, action)
        return reports

    def check_action(self, agent: str, action: Any) -> float:
        """The report in ``action`` of ``agent``: one finite number (:meth:`play` checks that it
        lies in the report space)."""
        a = np.asarray(action, dtype=np.float64).reshape(-1)
        if a.shape != (1,) or not np.isfinite(a[0]):
            raise ValueError(f"action of {agent} = {a.tolist()} must be one finite number")
        return float(a[0])

    def step(self, actions: Mapping[str, Any]):
        if not self.agents:
            if actions:
                raise RuntimeError("the episode is over: call reset() before step()")
            return {}, {}, {}, {}, {}
        agents = self.agents
        done = self.play(self._check_actions(actions))
        observations = self._observations()
        rewards = {a: self.reward(i) for a, i in self.agent_index.items()}
        infos = {a: self.info(i) for a, i in self.agent_index.items()}
        if self.render_mode == "human":
            self.render()
        return observations, rewards, {a: False for a in agents}, {a: done for a in agents}, infos

    def play(self, reports: np.ndarray) -> bool:
        """The array form of :meth:`step`: play the round with the reports ``(n,)`` of every
        scenario agent (bidders' entries are ignored); returns whether the episode ended.
        Afterwards :attr:`observation` ``(n, size)``, :meth:`reward` and :meth:`info` describe
        the new state (the single-agent views use this to skip the per-agent dicts)."""
        if not self.agents:
            raise RuntimeError("the episode is over: call reset() before play()")
        reports = np.asarray(reports, dtype=np.float64)
        low, high = self._report_bounds
        if reports.shape != self._reporting.shape:
            raise ValueError(f"reports have shape {reports.shape}, expected ({len(self._reporting)},)")
        outside = self._reporting & ~((reports >= low) & (reports <= high))  # NaN is outside too
        if outside.any():
            i = int(np.argmax(outside))
            raise ValueError(f"report of {self.scenario.agent_names[i]} = {reports[i]} is outside the report space [{low}, {high}]")
        rnd = self._round
        self.tallies.report(self._allocation[None], reports[None], self._reporting)
        self.mechanism.observe(reports[None])
        self._utility = self.account.record(rnd.outcome, rnd.prices).agents[0]
        self._realised_utility = self._realised - rnd.prices[0]
        self._played = (rnd, self._allocation)
        if self.render_mode is not None:
            self._history.append((float(self.account.welfare[0]), float(self.account.seller[0])))
        done = rnd.t >= self.horizon
        if done:  # the last observation shows the last round with its reports
            self.agents = []
            self._observe()
        else:
            self._begin_round()
        return done

    @property
    def observation(self) -> np.ndarray:
        """``(n, size)`` float32: every scenario agent's current observation (bidders' rows unused)."""
        return self._observation

    def reward(self, i: int) -> float:
        """Agent ``i``'s reward for the round just played."""
        return float(self._utility[i] if self.reward_mode == "expected" else self._realised_utility[i])

    def info(self, i: int) -> dict[str, Any]:
        """Agent ``i``'s info for the round just played (module docstring lists the keys)."""
        rnd, s = self._played
        info = {
            "utility": float(self._utility[i]), "realised_utility": float(self._realised_utility[i]),
            "price": float(rnd.prices[0, i]), "allocation": int(s[i]), "explore": bool(rnd.explore),
            "bracket": int(rnd.bracket), "regret": float(self.account.agents[0, i]),
        }
        if self.designer_info:
            info["designer"] = self.designer_view()
        return info

    def designer_view(self) -> dict[str, float]:
        """Global regrets so far: welfare R_t, seller R_0t, all agents R^a_t."""
        acc = self.account
        return {"welfare_regret": float(acc.welfare[0]), "seller_regret": float(acc.seller[0]),
                "all_agents_regret": float(acc.all_agents[0])}

    def truthful_action(self, agent: str) -> np.ndarray:
        """The truthful report Y_it = X_it (within the report bounds) for the current round."""
        return self.truthful_reports()[self.agent_index[agent], None]

    def truthful_reports(self) -> np.ndarray:
        """``(n,)`` float32: every agent's truthful report, as :meth:`truthful_action` gives it."""
        low, high = self._report_bounds
        return np.minimum(np.maximum(self._realised.astype(np.float32), low), high)

    # ---- rendering ----------------------------------------------------------------------
    def render(self):
        if self.render_mode is None:
            return None
        est = self.mechanism.estimates() if hasattr(self.mechanism, "estimates") else None
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
                ax2.errorbar(x + 0.1 * k, est.mean[0, :, k], yerr=[est.mean[0, :, k] - est.lower[0, :, k],
                             est.upper[0, :, k] - est.mean[0, :, k]], fmt="o", ms=3, label=f"{label} (est.)")
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
