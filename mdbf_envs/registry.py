"""Every name the package resolves: the Gymnasium and PettingZoo env ids, and the registries of
scenarios, mechanisms, joint-ads learners and valuation sequences.

    import mdbf_envs
    gymnasium.make("mdbf_envs/VCGLearnETC-v0")                         # ids exist once imported
    mdbf_envs.register_scenario("my_auction", my_builder)             # builder(**kwargs) -> Scenario
    mdbf_envs.register_mechanism("my_mech", MyMechanism)              # factory(scenario, **kwargs)
    mdbf_envs.register_learner("my_seller", my_factory)               # factory(horizon, rng, **kwargs)
    mdbf_envs.register_sequence("my_values", my_sequence)             # builder(T, rng, **kwargs) -> Valuations

Gymnasium >= 1.0 has no plugin entry points, so the ids exist once the package is imported
(``gymnasium.make("mdbf_envs:mdbf_envs/VCGLearnOPT-v0")`` imports it in a fresh process).
Registration is idempotent and uses string entry points, so subprocess and Ray workers can
re-import them. Built-in scenarios, mechanisms and learners are named here by import path and
loaded on first use, so ``import mdbf_envs`` does not load the papers' rooms (or numba).

A mechanism is any object with ``reset()``, ``propose() -> Round`` and ``observe(reports)``
over ``replications`` = R copies (the envs use R = 1), as :class:`VCGLearn` has; see
:class:`mdbf_envs.core.protocol.Mechanism`.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

import gymnasium
import pettingzoo

if TYPE_CHECKING:
    import numpy as np

    from mdbf_envs.core.protocol import Mechanism
    from mdbf_envs.joint_ads.learners import Learner
    from mdbf_envs.vcg_learn.scenario import Scenario

NAMESPACE = "mdbf_envs"
APPENDIX_F = {"scenario": "single_item", "f": "mean", "g": "mean", "horizon": 2000}
"""Paper 1's Appendix F market: single item, f = g = mean, T = 2000 (10 agents by default)."""

_PLAIN, _MANIPULATION = "mdbf_envs.envs.single_agent", "mdbf_envs.envs.manipulation"
GYM_ENVS: dict[str, tuple[str, str | None, dict]] = {  # id: entry point, vector entry point, kwargs
    "VCGLearn-v0": (f"{_PLAIN}:vcg_learn_env", f"{_PLAIN}:vcg_learn_vector_env", {}),
    "VCGLearnETC-v0": (f"{_PLAIN}:vcg_learn_env", f"{_PLAIN}:vcg_learn_vector_env", {**APPENDIX_F, "zeta": "etc"}),
    "VCGLearnOPT-v0": (f"{_PLAIN}:vcg_learn_env", f"{_PLAIN}:vcg_learn_vector_env", {**APPENDIX_F, "zeta": "opt"}),
    "JointAds-v0": (f"{_PLAIN}:joint_ads_env", f"{_PLAIN}:joint_ads_vector_env", {}),
    "VCGLearnManipulation-v0": (f"{_MANIPULATION}:vcg_learn_env", f"{_MANIPULATION}:vcg_learn_vector_env", {}),
    "VCGLearnManipulationETC-v0": (
        f"{_MANIPULATION}:vcg_learn_env",
        f"{_MANIPULATION}:vcg_learn_vector_env",
        {**APPENDIX_F, "zeta": "etc"},
    ),
    "VCGLearnManipulationOPT-v0": (
        f"{_MANIPULATION}:vcg_learn_env",
        f"{_MANIPULATION}:vcg_learn_vector_env",
        {**APPENDIX_F, "zeta": "opt"},
    ),
    "JointAdsManipulation-v0": (f"{_MANIPULATION}:joint_ads_env", f"{_MANIPULATION}:joint_ads_vector_env", {}),
}
"""The Gymnasium ids. Each is one contract: the plain ids are one agent's view of the PettingZoo
env (reward per round, truncation at T); the ``Manipulation`` ids are a manipulator's paired,
decision-point episodes (reward = paired gain, termination at T)."""
PETTINGZOO_ENVS: dict[str, str] = {
    "vcg_learn-v0": "mdbf_envs.vcg_learn_v0",
    "joint_ads-v0": "mdbf_envs.joint_ads_v0",
}


def register_envs() -> None:
    """Register the Gymnasium ids and both PettingZoo registries (idempotent)."""
    for name, (entry_point, vector_entry_point, kwargs) in GYM_ENVS.items():
        env_id = f"{NAMESPACE}/{name}"
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry_point, vector_entry_point=vector_entry_point, kwargs=kwargs)
    for name, module in PETTINGZOO_ENVS.items():
        env_id = f"{NAMESPACE}/{name}"
        if env_id not in pettingzoo.parallel_registry:
            pettingzoo.register("parallel", env_id, entry_point=f"{module}:parallel_env", max_cycles=-1)
        if env_id not in pettingzoo.aec_registry:
            pettingzoo.register("aec", env_id, entry_point=f"{module}:env", max_cycles=-1)


# ---- named building blocks ---------------------------------------------------------------
ScenarioBuilder = Callable[..., "Scenario"]
MechanismFactory = Callable[..., "Mechanism"]
LearnerBuilder = Callable[..., "Learner"]

SCENARIOS: dict[str, ScenarioBuilder | str] = {
    "single_item": "mdbf_envs.vcg_learn.scenarios:single_item",
    "paas": "mdbf_envs.vcg_learn.scenarios:paas",
    "online_ads": "mdbf_envs.vcg_learn.scenarios:online_ads",
    "lower_bound": "mdbf_envs.vcg_learn.scenarios:lower_bound",
}
MECHANISMS: dict[str, MechanismFactory | str] = {
    "vcg_learn": "mdbf_envs.vcg_learn.mechanism:VCGLearn",
    "pay_your_estimate": "mdbf_envs.vcg_learn.pay_your_estimate:PayYourEstimate",
}
LEARNERS: dict[str, LearnerBuilder | str] = {
    name: f"mdbf_envs.registry:_{name}"
    for name in (
        "augment_the_best",
        "path_learning",
        "follow_the_leader",
        "posted_price_leader",
        "fixed",
        "epoch_augment_the_best",
    )
}
"""Values are callables, or ``"module:attribute"`` paths of the built-ins, imported on first use."""


def _augment_the_best(horizon: int, rng: np.random.Generator, **kwargs: Any) -> Learner:
    from mdbf_envs.joint_ads.learners import AugmentTheBest

    return AugmentTheBest(**kwargs)


def _path_learning(horizon: int, rng: np.random.Generator, sigma: float = 1.0, **kwargs: Any) -> Learner:
    from mdbf_envs.joint_ads.learners import PathLearning

    return PathLearning(horizon, sigma, rng, **kwargs)


def _follow_the_leader(horizon: int, rng: np.random.Generator, **kwargs: Any) -> Learner:
    from mdbf_envs.joint_ads.learners import FollowTheLeader

    return FollowTheLeader(**kwargs)


def _posted_price_leader(horizon: int, rng: np.random.Generator, **kwargs: Any) -> Learner:
    from mdbf_envs.joint_ads.learners import PostedPriceLeader

    return PostedPriceLeader(**kwargs)


def _fixed(horizon: int, rng: np.random.Generator, corners=((0.5, 0.5),)) -> Learner:
    from mdbf_envs.joint_ads.learners import FixedMechanism
    from mdbf_envs.joint_ads.mechanism import Staircase

    return FixedMechanism(Staircase(corners))


def _epoch_augment_the_best(horizon: int, rng: np.random.Generator, first_epoch: int = 16, **kwargs: Any) -> Learner:
    from mdbf_envs.joint_ads.learners import AugmentTheBest, EpochLearner

    return EpochLearner(AugmentTheBest(**kwargs), first_epoch)


def _resolve(table: dict, kind: str, name: str) -> Callable:
    """The callable registered as ``name`` (importing a built-in on first use)."""
    if not isinstance(name, str) or name not in table:
        raise KeyError(f"unknown {kind} {name!r}; registered: {sorted(table)}")
    entry = table[name]
    if isinstance(entry, str):
        module, attribute = entry.split(":")
        entry = table[name] = getattr(importlib.import_module(module), attribute)
    return entry


def register_into(
    table: dict,
    kind: str,
    name: str,
    obj: Callable,
    overwrite: bool,
    probe: Callable[[], None] | None = None,
    dashes: bool = False,
) -> None:
    """Put ``obj`` in ``table`` as ``name`` after the checks every registry of the package makes:
    ``name`` a non-empty identifier (with ``dashes``, ``-`` allowed too), ``obj`` callable, no
    silent overwrite, and ``probe()`` (a probe call of the builder) passing."""
    if not isinstance(name, str) or not (name.replace("-", "_") if dashes else name).isidentifier():
        allowed = "letters, digits, _ or -" if dashes else "letters, digits, _"
        raise ValueError(f"{kind} name = {name!r} must be a non-empty identifier ({allowed})")
    if not callable(obj):
        raise TypeError(f"{kind} {name!r} must be callable, got {obj!r}")
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite = {overwrite!r} must be True or False")
    if name in table and not overwrite and table[name] is not obj:
        raise ValueError(f"{kind} {name!r} is already registered; pass overwrite=True to replace it")
    if probe is not None:
        probe()
    table[name] = obj


def _probe(kind: str, name: str, builder: Callable, expected: type, *args: Any) -> None:
    """Build one with ``args`` where the builder takes no further required argument, and check
    its type (a builder that needs arguments is checked when first used)."""
    try:
        inspect.signature(builder).bind(*args)
    except (TypeError, ValueError):
        return
    built = builder(*args)
    if not isinstance(built, expected):
        raise TypeError(f"{kind} {name!r}: a probe call built {type(built).__name__}, not {expected.__name__}")


def register_scenario(name: str, builder: ScenarioBuilder, *, overwrite: bool = False) -> None:
    """Make ``builder(**kwargs) -> Scenario`` available by ``name`` (probed with no arguments
    where it takes none)."""
    from mdbf_envs.vcg_learn.scenario import Scenario

    register_into(SCENARIOS, "scenario", name, builder, overwrite, lambda: _probe("scenario", name, builder, Scenario))


def register_mechanism(name: str, factory: MechanismFactory, *, overwrite: bool = False) -> None:
    """Make ``factory(scenario, **kwargs) -> Mechanism`` available by ``name``."""
    register_into(MECHANISMS, "mechanism", name, factory, overwrite)


def register_learner(name: str, factory: LearnerBuilder, *, overwrite: bool = False) -> None:
    """Make ``factory(horizon, rng, **kwargs) -> Learner`` (a joint-ads seller) available by
    ``name`` (probed with a horizon of 10)."""
    import numpy as np

    from mdbf_envs.joint_ads.learners import Learner

    register_into(
        LEARNERS,
        "learner",
        name,
        factory,
        overwrite,
        lambda: _probe("learner", name, factory, Learner, 10, np.random.default_rng(0)),
    )


def register_sequence(name: str, builder: Callable[..., Any], *, overwrite: bool = False) -> None:
    """Make a joint-ads valuation sequence ``builder(T, rng, **kwargs) -> Valuations`` available by
    ``name`` (in the envs' ``sequence=`` and the audit's ``--ads-sequences``). Sequence names
    may hold a dash, as the built-in ``equal-revenue`` does."""
    from mdbf_envs.joint_ads.valuations import SEQUENCES

    register_into(SEQUENCES, "sequence", name, builder, overwrite, dashes=True)


def scenario_builder(name: str) -> ScenarioBuilder:
    """The builder registered as scenario ``name``."""
    return _resolve(SCENARIOS, "scenario", name)


def make_scenario(scenario: str | Scenario, kwargs: Mapping[str, Any] | None = None) -> Scenario:
    """A Scenario object as is, or a registered one built with ``kwargs``."""
    from mdbf_envs.vcg_learn.scenario import Scenario

    if isinstance(scenario, Scenario):
        if kwargs:
            raise ValueError("scenario_kwargs only apply to a scenario given by name")
        return scenario
    if kwargs is not None and not isinstance(kwargs, Mapping):
        raise TypeError(f"scenario_kwargs = {kwargs!r} must be a mapping of the builder's arguments")
    built = scenario_builder(scenario)(**(kwargs or {}))
    if not isinstance(built, Scenario):
        raise TypeError(f"scenario {scenario!r} built {type(built).__name__}, not a Scenario")
    return built


def make_mechanism(name: str, scenario: Scenario, **kwargs: Any) -> Mechanism:
    """Build a registered mechanism for a scenario."""
    from mdbf_envs.core.protocol import Mechanism

    built = _resolve(MECHANISMS, "mechanism", name)(scenario, **kwargs)
    if not isinstance(built, Mechanism):
        raise TypeError(
            f"mechanism {name!r} built {built!r}, which lacks the Mechanism protocol "
            "(scenario, replications, reset, propose, observe)"
        )
    return built


def make_learner(name: str, horizon: int, rng: np.random.Generator, **kwargs: Any) -> Learner:
    """Build a registered joint-ads learner for ``horizon`` rounds with its own ``rng``."""
    from mdbf_envs.joint_ads.learners import Learner

    learner = _resolve(LEARNERS, "learner", name)(horizon, rng, **kwargs)
    if not isinstance(learner, Learner):
        raise TypeError(f"learner {name!r} built {learner!r}, which lacks post() and update(bids)")
    return learner


def learner_factory(name: str, **kwargs: Any) -> Callable[[int, np.random.Generator], Learner]:
    """``(horizon, rng) -> Learner`` for a registered learner with ``kwargs`` (a picklable
    :data:`mdbf_envs.joint_ads.LearnerFactory`); an unknown name fails here."""
    _resolve(LEARNERS, "learner", name)
    return partial(make_learner, name, **kwargs)
