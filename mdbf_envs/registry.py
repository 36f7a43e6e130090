"""Public registries of scenarios and mechanisms, usable by name in every env and the audit.

    import mdbf_envs
    mdbf_envs.register_scenario("my_auction", my_builder)        # builder(**kwargs) -> Scenario
    mdbf_envs.register_mechanism("my_mech", MyMechanism)         # factory(scenario, **kwargs)

A mechanism is any object with ``reset()``, ``propose() -> Round`` and ``observe(reports)``
over ``replications`` = R copies (the envs use R = 1), as :class:`VCGLearn` has; see
:class:`mdbf_envs.protocol.Mechanism`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mdbf_envs.protocol import Mechanism
from mdbf_envs.vcg_learn.pay_your_estimate import PayYourEstimate
from mdbf_envs.vcg_learn.mechanism import VCGLearn
from mdbf_envs.vcg_learn.scenario import Scenario
from mdbf_envs.vcg_learn.scenarios import lower_bound, online_ads, paas, single_item

ScenarioBuilder = Callable[..., Scenario]
MechanismFactory = Callable[..., Mechanism]

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
