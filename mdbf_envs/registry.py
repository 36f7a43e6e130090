"""Public registries of scenarios, mechanisms and joint-ads learners, usable by name in every env
and the audit.

    import mdbf_envs
    mdbf_envs.register_scenario("my_auction", my_builder)        # builder(**kwargs) -> Scenario
    mdbf_envs.register_mechanism("my_mech", MyMechanism)         # factory(scenario, **kwargs)
    mdbf_envs.register_learner("my_seller", my_factory)          # factory(horizon, rng, **kwargs)

A mechanism is any object with ``reset()``, ``propose() -> Round`` and ``observe(reports)``
over ``replications`` = R copies (the envs use R = 1), as :class:`VCGLearn` has; see
:class:`mdbf_envs.core.protocol.Mechanism`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np

from mdbf_envs.core.protocol import Mechanism
from mdbf_envs.joint_ads.learners import (
    AugmentTheBest,
    EpochLearner,
    FixedMechanism,
    FollowTheLeader,
    Learner,
    PathLearning,
    PostedPriceLeader,
)
from mdbf_envs.joint_ads.mechanism import Staircase
from mdbf_envs.vcg_learn.mechanism import VCGLearn
from mdbf_envs.vcg_learn.pay_your_estimate import PayYourEstimate
from mdbf_envs.vcg_learn.scenario import Scenario
from mdbf_envs.vcg_learn.scenarios import lower_bound, online_ads, paas, single_item

ScenarioBuilder = Callable[..., Scenario]
MechanismFactory = Callable[..., Mechanism]
LearnerBuilder = Callable[..., Learner]

SCENARIOS: dict[str, ScenarioBuilder] = {
    "single_item": single_item,
    "paas": paas,
    "online_ads": online_ads,
    "lower_bound": lower_bound,
}
MECHANISMS: dict[str, MechanismFactory] = {
    "vcg_learn": VCGLearn,
    "pay_your_estimate": PayYourEstimate,
}


def _path_learning(horizon: int, rng: np.random.Generator, sigma: float = 1.0, **kwargs: Any) -> PathLearning:
    return PathLearning(horizon, sigma, rng, **kwargs)


def _fixed(horizon: int, rng: np.random.Generator, corners=((0.5, 0.5),)) -> FixedMechanism:
    return FixedMechanism(Staircase(corners))


def _epoch_augment_the_best(horizon: int, rng: np.random.Generator, first_epoch: int = 16, **kwargs: Any) -> EpochLearner:
    return EpochLearner(AugmentTheBest(**kwargs), first_epoch)


LEARNERS: dict[str, LearnerBuilder] = {
    "augment_the_best": lambda horizon, rng, **kw: AugmentTheBest(**kw),
    "path_learning": _path_learning,
    "follow_the_leader": lambda horizon, rng, **kw: FollowTheLeader(**kw),
    "posted_price_leader": lambda horizon, rng, **kw: PostedPriceLeader(**kw),
    "fixed": _fixed,
    "epoch_augment_the_best": _epoch_augment_the_best,
}


def _register(table: dict, kind: str, name: str, obj: Callable, overwrite: bool) -> None:
    if not callable(obj):
        raise TypeError(f"{kind} {name!r} must be callable, got {obj!r}")
    if name in table and not overwrite and table[name] is not obj:
        raise ValueError(f"{kind} {name!r} is already registered; pass overwrite=True to replace it")
    table[name] = obj


def register_scenario(name: str, builder: ScenarioBuilder, *, overwrite: bool = False) -> None:
    """Make ``builder(**kwargs) -> Scenario`` available by ``name``."""
    _register(SCENARIOS, "scenario", name, builder, overwrite)


def register_mechanism(name: str, factory: MechanismFactory, *, overwrite: bool = False) -> None:
    """Make ``factory(scenario, **kwargs) -> Mechanism`` available by ``name``."""
    _register(MECHANISMS, "mechanism", name, factory, overwrite)


def register_learner(name: str, factory: LearnerBuilder, *, overwrite: bool = False) -> None:
    """Make ``factory(horizon, rng, **kwargs) -> Learner`` (a joint-ads seller) available by ``name``."""
    _register(LEARNERS, "learner", name, factory, overwrite)


def make_scenario(scenario: str | Scenario, kwargs: Mapping[str, Any] | None = None) -> Scenario:
    """A Scenario object as is, or a registered one built with ``kwargs``."""
    if isinstance(scenario, Scenario):
        if kwargs:
            raise ValueError("scenario_kwargs only apply to a scenario given by name")
        return scenario
    if scenario not in SCENARIOS:
        raise KeyError(f"unknown scenario {scenario!r}; registered: {sorted(SCENARIOS)}")
    return SCENARIOS[scenario](**(kwargs or {}))


def make_mechanism(name: str, scenario: Scenario, **kwargs: Any) -> Mechanism:
    """Build a registered mechanism for a scenario."""
    if name not in MECHANISMS:
        raise KeyError(f"unknown mechanism {name!r}; registered: {sorted(MECHANISMS)}")
    return MECHANISMS[name](scenario, **kwargs)


def make_learner(name: str, horizon: int, rng: np.random.Generator, **kwargs: Any) -> Learner:
    """Build a registered joint-ads learner for ``horizon`` rounds with its own ``rng``."""
    if name not in LEARNERS:
        raise KeyError(f"unknown learner {name!r}; registered: {sorted(LEARNERS)}")
    learner = LEARNERS[name](horizon, rng, **kwargs)
    if not isinstance(learner, Learner):
        raise TypeError(f"learner {name!r} built {learner!r}, which lacks post() and update(bids)")
    return learner


def learner_factory(name: str, **kwargs: Any) -> Callable[[int, np.random.Generator], Learner]:
    """``(horizon, rng) -> Learner`` for a registered learner with ``kwargs`` (a picklable
    :data:`mdbf_envs.joint_ads.LearnerFactory`); an unknown name fails here."""
    if name not in LEARNERS:
        raise KeyError(f"unknown learner {name!r}; registered: {sorted(LEARNERS)}")
    return partial(make_learner, name, **kwargs)
