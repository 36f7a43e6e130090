"""Gymnasium envs of the paired games: one manipulator, paired rewards, decision-point steps.

``gymnasium.make("mdbf_envs/VCGLearnETC-v0", reward_mode="gain", decisions="influential")``
(and ``make_vec`` of the same) build these instead of the plain single-agent view: the
manipulator plays :class:`mdbf_envs.core.paired.PairedMarket`; likewise
``gymnasium.make("mdbf_envs/JointAds-v0", reward_mode="gain")`` plays
:class:`mdbf_envs.joint_ads.paired.JointAdsPairedGame` (a buyer who stays, against a learner;
every round is a decision; the action bids clip(v + scale a, 0, 1)). So

* ``reward_mode="gain"``: each step's reward is its utility minus that of its truthful shadow on
  the same draws over the rounds the step played; a = 0 gives exactly 0, and an episode's
  rewards sum to the paired gain U^pi_iT - U_iT that the audit reports. ``"expected"`` gives
  the own expected utility of those rounds instead.
* ``decisions="influential"``: a step is one of the agent's decision points (rounds where the
  mechanism keeps its report), with the rounds in between played truthfully; ``"every"``: a
  step is a round.

The episode ends (``terminated``) after ``horizon`` rounds: time is part of the observation and
nothing follows, so no value is bootstrapped past it.

## Action Space
``Box(-1, 1, (1,))``: the report is X_it + ``deviation_scale`` a (default scale 3, so about four
noise sd of Appendix F either way), clipped to ``report_bounds``; a = 0 is truthful.

## Observation Space
``Box(-inf, inf, (d,), float32)``. VCG-Learn: the VCG-Learn env's observation fields (its table
in :mod:`mdbf_envs.envs.vcg_learn`: what the agent may know), with the ``*_count`` fields and
``bracket`` scaled as log(1 + x) / log(1 + T), then:

| Field | Width | Meaning |
|---|---|---|
| `since_decision` | 1 | log(1 + rounds since the agent's last decision) / log(1 + T) |
| `deciding` | 1 | 1 if this step's action is used (always, except in a vector env whose other copies decide now) |

Joint ads (the joint-ads env's observation, every entry in [0, 1]):

| Field | Width | Meaning |
|---|---|---|
| `value` | 1 | own value v_i this round |
| `time` | 1 | t / T |
| `last_bid` | 1 | own bid last round |
| `last_allocated` | 1 | 1 if the ad was shown last round |
| `last_payment` | 1 | own payment last round |

## Info
``gain`` (cumulative paired gain), ``utility`` (cumulative own expected utility), ``decisions``.

## Arguments
``agent`` (name, default the first), ``others`` (a batch strategy of
:mod:`baselines.strategies` for every other agent, or a mapping name -> strategy; default
truthful), ``reward_mode``, ``decisions``, ``deviation_scale``, ``report_bounds``, ``publish``,
and the market: ``scenario``, ``scenario_kwargs``, ``mechanism``, ``zeta``, ``f``, ``g``,
``horizon``, ``mechanism_kwargs``; VCG-Learn's ``backend`` ("auto": the rounds between two
decisions compiled where the mechanism and the others allow; "numpy": round by round).

## Registered Configurations
The paired envs are options of the registered ids, not ids of their own:
``mdbf_envs/VCGLearn-v0`` (every VCG-Learn argument free; defaults: single item, OPT),
``VCGLearnETC-v0`` and ``VCGLearnOPT-v0`` (Appendix F: single item, f = g = mean, T = 2000, and
zeta pinned; ``VCGLearnOPT-v0`` is ``VCGLearn-v0`` with Appendix F's f, g and T written out),
``JointAds-v0`` (defaults: stochastic sequence, Augment-the-Best, T = 1000 in the plain view, 200
in the paired game). ``reward_mode="gain"`` or ``decisions="influential"`` selects the paired env.

## Version History
* v0: initial release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv

from mdbf_envs.core.checks import check_action, check_int
from mdbf_envs.core.paired import DECISIONS, BatchStrategy, PairedGame
from mdbf_envs.core.streams import ReplicationStreams
from mdbf_envs.envs.vector import SharedClockVectorEnv
from mdbf_envs.joint_ads.paired import JointAdsPairedGame
from mdbf_envs.registry import learner_factory, make_mechanism, make_scenario
from mdbf_envs.vcg_learn.paired import PairedMarket

REWARD_MODES = ("gain", "expected")


def paired_market(
    pairs: int,
    agent: str | None = None,
    others: BatchStrategy | Mapping[str, BatchStrategy] | None = None,
    decisions: str = "influential",
    deviation_scale: float = 3.0,
    report_bounds: tuple[float, float] = (-5.0, 6.0),
    publish: Sequence[str] = (),
    scenario: Any = "single_item",
    scenario_kwargs: Mapping[str, Any] | None = None,
    mechanism: str = "vcg_learn",
    zeta: str = "opt",
    f: str = "mean",
    g: str = "mean",
    horizon: int = 2000,
    mechanism_kwargs: Mapping[str, Any] | None = None,
    backend: str = "auto",
) -> PairedMarket:
    """A :class:`PairedMarket` of ``pairs`` pairs from the envs' keyword arguments."""
    sc = make_scenario(scenario, scenario_kwargs)
    name = sc.agent_names[0] if agent is None else agent
    if name not in sc.agent_names:
        raise ValueError(f"unknown agent {name!r}; agents: {sc.agent_names}")
    if others is None or callable(others):
        strategies = {j: others for j in range(sc.n_agents) if sc.agent_names[j] != name} if others else {}
    elif isinstance(others, Mapping):
        unknown = set(others) - set(sc.agent_names) | ({name} & set(others))
        if unknown:
            raise ValueError(f"others name unknown agents or the manipulator: {sorted(unknown)}")
        strategies = {sc.agent_names.index(a): s for a, s in others.items()}
    else:
        raise TypeError(f"others = {others!r}: give a batch strategy or a mapping agent -> strategy")
    mech = make_mechanism(mechanism, sc, zeta=zeta, f=f, g=g, replications=2 * pairs, **dict(mechanism_kwargs or {}))
    return PairedMarket(mech, horizon, sc.agent_names.index(name), strategies, decisions, deviation_scale,
                        report_bounds, publish, backend)


def joint_ads_game(pairs: int, learner: str = "augment_the_best", learner_kwargs: Mapping[str, Any] | None = None,
                   **kwargs: Any) -> JointAdsPairedGame:
    """A :class:`JointAdsPairedGame` of ``pairs`` pairs against a registered ``learner``."""
    return JointAdsPairedGame(pairs, learner_factory(learner, **dict(learner_kwargs or {})), **kwargs)


class PairedVectorEnv(SharedClockVectorEnv):
    """N manipulators' episodes as the N pairs of one paired game (module docstring); subclasses
    name the game's builder, ``build(pairs, **game_kwargs)``.

    The copies share the mechanism's clock: a step plays up to the next round where *some*
    copy decides, so under OPT a copy may get steps where its action is unused (``deciding``
    = 0 in its observation, reward still its gain over the rounds played). Copy r is seeded
    ``seed + r``. ``autoreset_mode``: ``NEXT_STEP`` (Gymnasium's default) or ``SAME_STEP``
    (stable-baselines3's, :class:`agents.sb3_vec_env.SB3VecEnv`).
    """

    def __init__(self, num_envs: int = 1, reward_mode: str = "gain",
                 autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP, render_mode: str | None = None,
                 **game_kwargs: Any):
        if reward_mode not in REWARD_MODES:
            raise ValueError(f"reward_mode = {reward_mode!r}; use one of {REWARD_MODES}")
        if render_mode is not None:
            raise ValueError(f"render_mode = {render_mode!r}: the paired envs do not render")
        super().__init__(num_envs, autoreset_mode)
        self.reward_mode = reward_mode
        self.market: PairedGame = type(self).build(self.num_envs, **game_kwargs)
        self.single_observation_space = spaces.Box(-np.inf, np.inf, (self.market.feature_size,), np.float32)
        self._spaces()

    def _start(self, options: dict | None) -> np.ndarray:
        inner = [seeding.np_random(int(rng.integers(2**31 - 1)))[0] for rng in self._rngs]
        policy_seed = int(self._rngs[0].integers(2**31 - 1))
        self.market.reset(ReplicationStreams(inner, self.market.draws), policy_seed)
        return self.market.features().astype(np.float32)

    def _play(self, actions: np.ndarray):
        market, own = self.market, self.market.agent
        before = market.utility[: self.num_envs, own].copy()
        gain = market.step(actions)
        reward = gain if self.reward_mode == "gain" else market.utility[: self.num_envs, own] - before
        # the episode's end has no decision to observe: a zero observation (never bootstrapped)
        done = market.done
        obs = np.zeros((self.num_envs, market.feature_size), np.float32) if done else market.features().astype(np.float32)
        every = np.ones(self.num_envs, bool)
        infos = {"gain": market.gain, "_gain": every, "utility": market.utility[: self.num_envs, own].copy(),
                 "_utility": every, "decisions": market.decision_counts.copy(), "_decisions": every}
        return obs, reward.astype(np.float64), np.full(self.num_envs, done), np.zeros(self.num_envs, bool), infos


class VCGLearnPairedVectorEnv(PairedVectorEnv):
    """VCG-Learn's paired market as a vector env (``make_vec("mdbf_envs/VCGLearn-v0", reward_mode="gain")``)."""

    build = staticmethod(paired_market)


class JointAdsPairedVectorEnv(PairedVectorEnv):
    """Joint ads' paired game as a vector env (``make_vec("mdbf_envs/JointAds-v0", reward_mode="gain")``)."""

    @staticmethod
    def build(pairs: int, decisions: str = "every", **kwargs: Any) -> JointAdsPairedGame:
        if decisions not in DECISIONS:
            raise ValueError(f"decisions = {decisions!r}; use one of {DECISIONS}")
        return joint_ads_game(pairs, **kwargs)  # every bid is learned from: every round decides


class PairedEnv(gym.Env):
    """One manipulator's paired, decision-point episodes (module docstring): the vector env's
    single copy, seeded as Gymnasium envs are (``reset(seed=...)``)."""

    metadata = {"render_modes": []}
    vector_class: type[PairedVectorEnv] = PairedVectorEnv

    def __init__(self, reward_mode: str = "gain", render_mode: str | None = None, **game_kwargs: Any):
        self._vec = self.vector_class(1, reward_mode, render_mode=render_mode, **game_kwargs)
        self.observation_space = self._vec.single_observation_space
        self.action_space = self._vec.single_action_space
        self.render_mode = None
        self._over = True

    @property
    def market(self) -> PairedGame:
        return self._vec.market

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """As copy 0 of the vector env reset with ``seed``."""
        super().reset(seed=seed)
        obs, _ = self._vec.reset(seed=seed) if seed is not None or not self._vec._rngs else (self._vec._start(None), {})
        self._over = False
        return obs[0], {}

    def step(self, action: Any):
        if self._over:
            raise RuntimeError("the episode is over: call reset() before step()")
        a = np.array([check_action("action", action)])
        if not -1 <= a[0] <= 1:
            raise ValueError(f"action = {a.tolist()} must be one number in [-1, 1]")
        obs, reward, terminated, truncated, infos = self._vec.step(a[None, :])
        self._over = bool(terminated[0])
        self._vec._autoreset = False
        info = {k: v[0].item() for k, v in infos.items() if not k.startswith("_")}
        return obs[0], float(reward[0]), self._over, False, info


class VCGLearnPairedEnv(PairedEnv):
    """One agent's paired VCG-Learn episodes."""

    vector_class = VCGLearnPairedVectorEnv


class JointAdsPairedEnv(PairedEnv):
    """One buyer's paired joint-ads episodes."""

    vector_class = JointAdsPairedVectorEnv


def uses_paired_market(kwargs: Mapping[str, Any]) -> bool:
    """Whether a VCG-Learn id's keyword arguments ask for the paired envs (``reward_mode="gain"``);
    ``decisions="influential"`` without it is refused rather than silently pairing."""
    if kwargs.get("decisions", "every") != "every" and kwargs.get("reward_mode") != "gain":
        raise ValueError(f"decisions = {kwargs['decisions']!r} needs reward_mode='gain' (the paired env); "
                         f"got reward_mode = {kwargs.get('reward_mode', 'expected')!r}")
    return kwargs.get("reward_mode") == "gain"


def view(**kwargs: Any) -> gym.Env:
    """Entry point of the VCG-Learn ids: the paired env for ``reward_mode="gain"`` or
    ``decisions="influential"``, else the plain single-agent view."""
    if uses_paired_market(kwargs):
        kwargs.setdefault("deviation_scale", 3.0)
        return VCGLearnPairedEnv(**kwargs)
    from mdbf_envs.envs.single_agent import VCGLearnSingleAgentEnv

    if kwargs.pop("decisions", "every") not in DECISIONS:
        raise ValueError(f"decisions must be one of {DECISIONS}")
    return VCGLearnSingleAgentEnv(**kwargs)


def vector(num_envs: int = 1, **kwargs: Any) -> VectorEnv:
    """Vector entry point of the VCG-Learn ids (as :func:`view`)."""
    if uses_paired_market(kwargs):
        kwargs.setdefault("deviation_scale", 3.0)
        return VCGLearnPairedVectorEnv(num_envs, **kwargs)
    from mdbf_envs.envs.vcg_learn_vector import VCGLearnVectorEnv

    kwargs.pop("decisions", None)
    return VCGLearnVectorEnv(num_envs, **kwargs)


def joint_ads_view(**kwargs: Any) -> gym.Env:
    """Entry point of ``JointAds-v0``: the paired env for ``reward_mode="gain"``, else the plain
    single-buyer view."""
    if uses_paired_market(kwargs):
        return JointAdsPairedEnv(**kwargs)
    from mdbf_envs.envs.single_agent import JointAdsSingleAgentEnv

    return JointAdsSingleAgentEnv(**kwargs)


def joint_ads_vector(num_envs: int = 1, autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
                     **kwargs: Any) -> VectorEnv:
    """Vector entry point of ``JointAds-v0``: the paired vector env for ``reward_mode="gain"``;
    else Gymnasium's ``SyncVectorEnv`` of plain views (the learners are Python objects either
    way, so batching them gains nothing)."""
    if uses_paired_market(kwargs):
        return JointAdsPairedVectorEnv(num_envs, autoreset_mode=autoreset_mode, **kwargs)
    from functools import partial

    from mdbf_envs.envs.single_agent import JointAdsSingleAgentEnv

    check_int("num_envs", num_envs, 1)
    return gym.vector.SyncVectorEnv([partial(JointAdsSingleAgentEnv, **kwargs) for _ in range(num_envs)],
                                    autoreset_mode=AutoresetMode(autoreset_mode))
