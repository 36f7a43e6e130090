"""The manipulation envs: one manipulator's paired, decision-point episodes (Gymnasium).

| Ids | `mdbf_envs/VCGLearnManipulation-v0`, `...ETC-v0`, `...OPT-v0`, `mdbf_envs/JointAdsManipulation-v0` |
|---|---|
| Creation | `gymnasium.make(id, **kwargs)`, `gymnasium.make_vec(id, num_envs=N, **kwargs)` (one batched game) |
| Action | `Box(-1, 1, (1,), float32)`: a deviation from truthful play; a = 0 is truthful |
| Reward | the step's paired gain: own utility minus that of the truthful shadow on the same draws |
| Episode end | `terminated` after `horizon` rounds (time is observed; nothing follows) |

The manipulator plays a paired game: VCG-Learn's
:class:`~mdbf_envs.vcg_learn.paired_market.PairedMarket`, or joint ads'
:class:`~mdbf_envs.joint_ads.paired_buyer.JointAdsPairedGame` (a buyer who stays, against a
learner; every round is a decision; the action bids clip(v + scale a, 0, 1)). Each replication
is played beside its truthful shadow on the same random draws, so

* ``reward_mode="gain"`` (default): each step's reward is its utility minus that of its
  truthful shadow over the rounds the step played; a = 0 gives exactly 0, and an episode's
  rewards sum to the paired gain U^pi_iT - U_iT that the audit reports. ``"expected"`` gives
  the own expected utility of those rounds instead (the plain ids' reward).
* ``decisions="influential"`` (VCG-Learn's default): a step is one of the agent's decision
  points (rounds where the mechanism keeps its report), with the rounds in between played
  truthfully; ``"every"``: a step is a round. Joint ads' learners keep every bid, so there
  both values step every round.

## Action Space
``Box(-1, 1, (1,))``: VCG-Learn reports X_it + ``deviation_scale`` a (default scale 3, about
four noise sd of Appendix F either way), clipped to ``report_bounds``; joint ads bids
clip(v + ``deviation_scale`` a, 0, 1) (default scale 1).

## Observation Space
VCG-Learn: ``Box(-inf, inf, (d,), float32)``, the VCG-Learn env's observation fields (its table
in :mod:`mdbf_envs.envs.vcg_learn`: what the agent may know), with the ``*_count`` fields and
``bracket`` scaled as log(1 + x) / log(1 + T), then:

| Field | Width | Meaning |
|---|---|---|
| `since_decision` | 1 | log(1 + rounds since the agent's last decision) / log(1 + T) |
| `deciding` | 1 | 1 if this step's action is used (always, except in a vector env whose other copies decide now) |

Joint ads: ``Box(0, 1, (5,), float32)``, the joint-ads env's observation:

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
``agent`` (name, default the first), ``others`` (a :data:`~mdbf_envs.core.paired_engine.BatchStrategy`
of :mod:`baselines.strategies` for every other agent, or a mapping name -> strategy; default
truthful), ``reward_mode``, ``decisions``, ``deviation_scale``. VCG-Learn: ``report_bounds``,
``publish``, and the market: ``scenario``, ``scenario_kwargs``, ``mechanism``, ``zeta``, ``f``,
``g``, ``horizon`` (default 2000), ``mechanism_kwargs``; ``backend`` ("auto": the rounds between
two decisions compiled where the mechanism and the others allow; "numpy": round by round).
Joint ads: ``learner``, ``learner_kwargs``, ``sequence``, ``sequence_kwargs``, ``horizon``
(default 200).

## Registered Configurations
``VCGLearnManipulation-v0`` (every argument free; defaults: single item, OPT),
``VCGLearnManipulationETC-v0`` and ``VCGLearnManipulationOPT-v0`` (Appendix F: single item,
f = g = mean, T = 2000, zeta pinned), ``JointAdsManipulation-v0`` (stochastic sequence,
Augment-the-Best, T = 200).

## Version History
* v0: initial release (before 0.2.0 these envs were the plain ids with ``reward_mode="gain"``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode

from mdbf_envs.core.checks import check_action, check_bounds, check_choice, check_names
from mdbf_envs.core.paired_engine import DECISIONS, BatchStrategy, PairedGame
from mdbf_envs.core.streams import ReplicationStreams
from mdbf_envs.envs.vector import SharedClockVectorEnv
from mdbf_envs.joint_ads.paired_buyer import JointAdsPairedGame
from mdbf_envs.registry import learner_factory, make_mechanism, make_scenario
from mdbf_envs.vcg_learn.paired_market import PairedMarket

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
    report_bounds = check_bounds("report_bounds", report_bounds)
    publish = check_names("publish", publish, ("prices", "outcome"))
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
    return PairedMarket(
        mech,
        horizon,
        sc.agent_names.index(name),
        strategies,
        decisions,
        deviation_scale,
        report_bounds,
        publish,
        backend,
    )


def joint_ads_game(
    pairs: int,
    learner: str = "augment_the_best",
    learner_kwargs: Mapping[str, Any] | None = None,
    decisions: str = "every",
    **kwargs: Any,
) -> JointAdsPairedGame:
    """A :class:`JointAdsPairedGame` of ``pairs`` pairs against a registered ``learner``; every
    bid is learned from, so every round decides whichever ``decisions`` says."""
    check_choice("decisions", decisions, DECISIONS)
    return JointAdsPairedGame(pairs, learner_factory(learner, **dict(learner_kwargs or {})), **kwargs)


GAMES: dict[str, Callable[..., PairedGame]] = {"vcg_learn": paired_market, "joint_ads": joint_ads_game}
"""The paired games by name: ``build(pairs, **kwargs) -> PairedGame``."""


class ManipulationVectorEnv(SharedClockVectorEnv):
    """N manipulators' episodes as the N pairs of one paired game (module docstring).

    The copies share the mechanism's clock: a step plays up to the next round where *some*
    copy decides, so under OPT a copy may get steps where its action is unused (``deciding``
    = 0 in its observation, reward still its gain over the rounds played). Copy r is seeded
    ``seed + r``. ``autoreset_mode``: ``NEXT_STEP`` (Gymnasium's default) or ``SAME_STEP``
    (stable-baselines3's, :class:`agents.training.sb3_vec_env.SB3VecEnv`).

    Args:
        num_envs: N, the game's pairs.
        game: a key of :data:`GAMES` ("vcg_learn", "joint_ads").
        reward_mode: "gain" or "expected".
        autoreset_mode: as above.
        **game_kwargs: the game builder's arguments (module docstring).
    """

    def __init__(
        self,
        num_envs: int = 1,
        game: str = "vcg_learn",
        reward_mode: str = "gain",
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
        **game_kwargs: Any,
    ):
        check_choice("game", game, GAMES)
        check_choice("reward_mode", reward_mode, REWARD_MODES)
        if render_mode is not None:
            raise ValueError(f"render_mode = {render_mode!r}: the manipulation envs do not render")
        super().__init__(num_envs, autoreset_mode)
        self.game, self.reward_mode = game, reward_mode
        self.market: PairedGame = GAMES[game](self.num_envs, **game_kwargs)
        low, high = self.market.feature_bounds
        self.single_observation_space = spaces.Box(low, high, (self.market.feature_size,), np.float32)
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
        obs = (
            np.zeros((self.num_envs, market.feature_size), np.float32) if done else market.features().astype(np.float32)
        )
        every = np.ones(self.num_envs, bool)
        infos = {
            "gain": market.gain,
            "_gain": every,
            "utility": market.utility[: self.num_envs, own].copy(),
            "_utility": every,
            "decisions": market.decision_counts.copy(),
            "_decisions": every,
        }
        return obs, reward.astype(np.float64), np.full(self.num_envs, done), np.zeros(self.num_envs, bool), infos


class ManipulationEnv(gym.Env):
    """One manipulator's paired, decision-point episodes (module docstring): the vector env's
    single copy, seeded as Gymnasium envs are (``reset(seed=...)``)."""

    metadata = {"render_modes": []}

    def __init__(
        self, game: str = "vcg_learn", reward_mode: str = "gain", render_mode: str | None = None, **game_kwargs: Any
    ):
        self._vec = ManipulationVectorEnv(1, game, reward_mode, render_mode=render_mode, **game_kwargs)
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


def vcg_learn_env(**kwargs: Any) -> ManipulationEnv:
    """Entry point of the ``VCGLearnManipulation*`` ids."""
    return ManipulationEnv("vcg_learn", **kwargs)


def vcg_learn_vector_env(num_envs: int = 1, **kwargs: Any) -> ManipulationVectorEnv:
    """Vector entry point of the ``VCGLearnManipulation*`` ids: N pairs of one paired market."""
    return ManipulationVectorEnv(num_envs, "vcg_learn", **kwargs)


def joint_ads_env(**kwargs: Any) -> ManipulationEnv:
    """Entry point of ``JointAdsManipulation-v0``."""
    return ManipulationEnv("joint_ads", **kwargs)


def joint_ads_vector_env(num_envs: int = 1, **kwargs: Any) -> ManipulationVectorEnv:
    """Vector entry point of ``JointAdsManipulation-v0``: N pairs of one paired game."""
    return ManipulationVectorEnv(num_envs, "joint_ads", **kwargs)
