"""Paper 1 in the audit: VCG-Learn's settings (Appendix F by default), its exact optimum under
ETC, Theorem 2.5 and 3.5's predictions, and the noiseless negative control."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from agents.audit.config import VCGLearnOptions
from agents.audit.papers import PaperAudit, Setting, register_paper
from agents.search.cmaes import SearchConfig
from agents.search.ppo import PPOConfig
from baselines.strategies import KnownValues, Truthful, scripted
from mdbf_envs.core.checks import check_distinct, check_real
from mdbf_envs.envs.manipulation import paired_market
from mdbf_envs.envs.single_agent import deviation_to_action
from mdbf_envs.registry import make_mechanism, make_scenario
from mdbf_envs.vcg_learn.mechanism import BOUNDS

REPORT_BOUNDS = (-5.0, 6.0)  # the env's default report space
CONTROL = "noiseless"
"""The negative control's label: ETC on the same scenario with every noise sd 0, where a truthful
report is the agent's exact value, so truthful play is the exact optimum (gain 0)."""


class PolicyStrategy:
    """An SB3 policy trained on the plain view as a batch strategy (``--others learning``): its
    action a moves the report to X + scale a, exactly as the Gymnasium view maps it."""

    def __init__(self, model, deviation_scale: float, bounds: tuple[float, float] = REPORT_BOUNDS):
        self.model, self.scale, self.bounds = model, deviation_scale, bounds

    def __call__(self, fields: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
        obs = np.concatenate(list(fields.values()), axis=-1)  # fields are in layout order
        action, _ = self.model.predict(obs, deterministic=True)
        low, high = self.bounds
        truthful = np.clip(fields["realised"][:, 0], low, high)
        return deviation_to_action(truthful, action[:, 0], self.scale, low, high)


def default_agents(n: int) -> tuple[int, ...]:
    """The efficient winner of Appendix F (agent 0), a middle agent and the last one."""
    return tuple(sorted({0, (n - 1) // 2, n - 1}))


def theory_bound(options: VCGLearnOptions, zeta: str, others_stationary: bool, mech: Any) -> tuple[float | None, str]:
    """The paper's bound on E[U^pi_iT - U_iT] for this row, where it gives one.

    ETC (Thm 2.5, as stated): truthful in expectation for realisation agents: 0. It fails
    (docs/exact_optimum.md), and the exact-optimum row measures by how much.
    OPT (Thm 3.5, App. E constants): if the others are stationary,
    2 C1 + C3 (6n + 2 kappa) sqrt(log(|S| T)) K^(1/3) T^(2/3), with C1 = 6n, C3 = 10 sigma,
    kappa = 1 (a realisation agent). Otherwise no bound.
    """
    if options.mechanism != "vcg_learn":
        return None, "no theorem for this mechanism"
    if zeta == "etc":
        return 0.0, "Thm 2.5 as stated (fails: see the exact optimum)"
    if not others_stationary:
        return None, "Thm 3.5 needs stationary others"
    sc, T = mech.scenario, options.horizon
    n, sigma = sc.n_agents, float(mech.sigma.max())
    bound = 2 * 6 * n + 10 * sigma * (6 * n + 2) * math.sqrt(math.log(sc.n_allocations * T)) * mech.K ** (
        1 / 3
    ) * T ** (2 / 3)
    return bound, "Thm 3.5 (stationary others), explicit constants"


def learned_others(options: VCGLearnOptions, zeta: str, seed: int) -> PolicyStrategy:
    """``--others learning``: every agent learns at once (one parameter-shared PPO policy through
    the PettingZoo env, ``train_steps`` steps); the audited agent then faces that policy."""
    from agents.training.train_shared import train_shared

    env_kwargs = {
        "scenario": options.scenario,
        "scenario_kwargs": options.scenario_kwargs,
        "mechanism": options.mechanism,
        "zeta": zeta,
        "f": options.f,
        "g": options.g,
        "horizon": options.horizon,
    }
    return PolicyStrategy(train_shared(env_kwargs, options.train_steps, seed, 0.5), 0.5)


def exact_optimum_known(options: VCGLearnOptions, zeta: str, others: str) -> bool:
    """Whether reporting one's own values where kept is the exact best response: VCG-Learn under
    ETC (any scenario, noise, f, g), against others that do not read the agent's reports
    (scripted strategies and truthful; a learned policy reads everything it sees)."""
    return options.mechanism == "vcg_learn" and zeta == "etc" and others != "learning"


def noiseless(scenario_kwargs: dict | None, scenario: Any) -> dict:
    """The scenario builder's arguments with every noise set to 0 (the negative control)."""
    kwargs = dict(scenario_kwargs or {})
    if "noise_var" in scenario.__code__.co_varnames:
        kwargs["noise_var"] = 0.0
    elif "noise_sd" in scenario.__code__.co_varnames:
        kwargs["noise_sd"] = 0.0
    else:
        raise ValueError("the noiseless control needs a scenario builder with noise_var or noise_sd")
    return kwargs


class VCGLearnAudit(PaperAudit):
    name = "vcg_learn"
    section = VCGLearnOptions
    manipulator_args = ("zeta", "scenario")

    def check(self, o: VCGLearnOptions) -> None:
        scenario = make_scenario(o.scenario, o.scenario_kwargs)
        make_mechanism(o.mechanism, scenario, zeta=o.zetas[0] if o.zetas else "etc", f=o.f, g=o.g)
        if not o.zetas or not o.others:
            raise ValueError("--zetas and --others need at least one value each")
        bad = [a for a in o.agents or () if not 0 <= a < scenario.n_agents]
        if bad:
            raise ValueError(f"--agents {bad}: agents are 0..{scenario.n_agents - 1}")
        known = ["truthful", "learning", *scripted()]
        unknown = [v for v in o.others if v not in known]
        if unknown:
            raise ValueError(f"--others {unknown}: use {known}")
        for name in ("horizon", "n_pairs", "search_episodes", "etc_search_episodes", "search_pairs", "train_steps"):
            if getattr(o, name) < (2 if name == "n_pairs" else 1):
                raise ValueError(f"--{name.replace('_', '-')} {getattr(o, name)} is too small")
        check_real("--deviation-scale", o.deviation_scale, positive=True)
        for flag, values in (("--zetas", o.zetas), ("--others", o.others), ("--agents", o.agents or ())):
            check_distinct(flag, values)

    def agents(self, o: VCGLearnOptions) -> tuple[int, ...]:
        return (
            o.agents if o.agents is not None else default_agents(make_scenario(o.scenario, o.scenario_kwargs).n_agents)
        )

    def settings(self, o: VCGLearnOptions, cfg: Any) -> list[dict]:
        out = [{"zeta": z, "others": oth, "agent": a} for z in o.zetas for oth in o.others for a in self.agents(o)]
        if cfg.controls and o.mechanism == "vcg_learn" and "etc" in o.zetas:
            out += [{"zeta": "etc", "others": "truthful", "agent": a, "control": True} for a in self.agents(o)]
        return out

    def build(self, o: VCGLearnOptions, cfg: Any, zeta: str, others: str, agent: int, control: bool = False) -> Setting:
        builder_kwargs = o.scenario_kwargs
        if control:
            from mdbf_envs.registry import scenario_builder

            builder_kwargs = noiseless(o.scenario_kwargs, scenario_builder(o.scenario))
        scenario = make_scenario(o.scenario, builder_kwargs)
        name = scenario.agent_names[agent]
        other = (
            None
            if others == "truthful"
            else learned_others(o, zeta, cfg.seed)
            if others == "learning"
            else scripted()[others]
        )
        kwargs = {
            "scenario": o.scenario,
            "scenario_kwargs": builder_kwargs,
            "mechanism": o.mechanism,
            "zeta": zeta,
            "f": o.f,
            "g": o.g,
            "horizon": o.horizon,
            "agent": name,
            "deviation_scale": o.deviation_scale,
        }
        bound, basis = theory_bound(
            o, zeta, others == "truthful", make_mechanism(o.mechanism, scenario, zeta=zeta, f=o.f, g=o.g)
        )
        exact = KnownValues(tuple(map(float, scenario.mean[agent]))) if exact_optimum_known(o, zeta, others) else None
        mechanism = f"{o.mechanism}:{zeta}" + (f"/{CONTROL}" if control else "")
        return Setting(
            {"mechanism": mechanism, "others": others, "agent": name},
            lambda pairs: paired_market(pairs, others=other, **kwargs),
            {"truthful": Truthful(), **scripted()},
            SearchConfig(o.etc_search_episodes if zeta == "etc" else o.search_episodes, o.search_pairs),
            o.n_pairs,
            exact=exact,
            control=control,
            ppo=replace(PPOConfig(), timesteps=o.train_steps),
            env_id="mdbf_envs/VCGLearnManipulation-v0",
            env_kwargs=kwargs,
            others=other,
            theory_bound=bound,
            theory_basis=basis,
        )

    def for_manipulator(self, args: Any) -> tuple[VCGLearnOptions, dict]:
        options = VCGLearnOptions(
            scenario=args.scenario, zetas=(args.zeta,), horizon=args.horizon, others=(args.others,)
        )
        names = make_scenario(args.scenario).agent_names
        if args.agent is not None and args.agent not in names:
            raise ValueError(f"--agent {args.agent!r}; agents: {list(names)}")
        agent = 0 if args.agent is None else names.index(args.agent)
        return options, {"zeta": args.zeta, "others": args.others, "agent": agent}

    def describe(self, o: VCGLearnOptions) -> str:
        ir = BOUNDS.index(o.f) >= BOUNDS.index(o.g)
        warning = (
            ""
            if ir
            else (
                f" With f = {o.f} above g = {o.g}, eq. (7) is not individually rational: truthful "
                "utility can be negative (docs/decisions.md#individual-rationality)."
            )
        )
        return (
            f"Paper 1: scenario `{o.scenario}`, mechanism `{o.mechanism}`, f = {o.f}, g = {o.g}, T = {o.horizon}, "
            f"agents {list(self.agents(o))}, {o.n_pairs} paired episodes per row and stage, CMA-ES "
            f"{o.etc_search_episodes} episodes under ETC and {o.search_episodes} otherwise, PPO {o.train_steps} "
            "steps." + warning
        )


register_paper(VCGLearnAudit())
