"""Paper 2 in the audit: a buyer who stays against *Selling Joint Ads*' learners, and the fixed
posted mechanism as the negative control (DSIC each round and it never learns)."""

from __future__ import annotations

from typing import Any

from agents.audit.config import JointAdsOptions
from agents.audit.papers import PaperAudit, Setting, register_paper
from agents.search.cmaes import SearchConfig
from agents.search.ppo import PPOConfig
from baselines.strategies import BidScale, scripted_bids
from mdbf_envs.core.checks import check_distinct
from mdbf_envs.envs.manipulation import joint_ads_game
from mdbf_envs.joint_ads.valuations import SEQUENCES
from mdbf_envs.registry import LEARNERS

LEARNER_KWARGS = {"follow_the_leader": {"refit_growth": 1.1}, "posted_price_leader": {"refit_growth": 1.1}}
"""Learners that refit every round get Augment-the-Best's geometric refit schedule in the audit
(docs/decisions.md#augment-schedule), so that hundreds of episodes stay affordable."""
CONTROL_LEARNER = "fixed"


class JointAdsAudit(PaperAudit):
    name = "joint_ads"
    section = JointAdsOptions
    manipulator_args = ("learner", "sequence")

    def check(self, o: JointAdsOptions) -> None:
        for flag, values, known in (
            ("--ads-learners", o.ads_learners, sorted(LEARNERS)),
            ("--ads-sequences", o.ads_sequences, sorted(SEQUENCES)),
            ("--ads-others", o.ads_others, ["truthful", *scripted_bids()]),
        ):
            unknown = [v for v in values if v not in known]
            if unknown:
                raise ValueError(f"{flag} {unknown}: use {known}")
            check_distinct(flag, values)
        for name in ("ads_horizon", "ads_n_pairs", "ads_search_episodes", "ads_search_pairs", "ads_train_steps"):
            if getattr(o, name) < (2 if name == "ads_n_pairs" else 1):
                raise ValueError(f"--{name.replace('_', '-')} {getattr(o, name)} is too small")

    def settings(self, o: JointAdsOptions, cfg: Any) -> list[dict]:
        out = [
            {"learner": lr, "sequence": sq, "others": oth}
            for lr in o.ads_learners
            for sq in o.ads_sequences
            for oth in o.ads_others
        ]
        if cfg.controls:
            out.append(
                {"learner": CONTROL_LEARNER, "sequence": o.ads_sequences[0], "others": "truthful", "control": True}
            )
        return out

    def build(
        self, o: JointAdsOptions, cfg: Any, learner: str, sequence: str, others: str, control: bool = False
    ) -> Setting:
        other = None if others == "truthful" else scripted_bids()[others]
        kwargs = {
            "learner": learner,
            "sequence": sequence,
            "horizon": o.ads_horizon,
            "agent": o.ads_agent,
            "learner_kwargs": LEARNER_KWARGS.get(learner, {}),
        }
        ppo = PPOConfig(
            timesteps=o.ads_train_steps, num_envs=8, n_steps=o.ads_horizon, batch_size=2 * o.ads_horizon, use_sde=True
        )
        basis = (
            "DSIC each round and never learns: truthful play is optimal (negative control)"
            if control
            else "DSIC each round (paper 2, Sec. 2); no claim for a buyer who stays"
        )
        return Setting(
            {"mechanism": f"joint_ads:{learner}/{sequence}", "others": others, "agent": o.ads_agent},
            lambda pairs: joint_ads_game(pairs, others=other, **kwargs),
            {"truthful": BidScale(1.0), **scripted_bids()},
            SearchConfig(o.ads_search_episodes, o.ads_search_pairs, sigma0=0.2, fresh=False, final_pairs=o.ads_n_pairs),
            o.ads_n_pairs,
            control=control,
            ppo=ppo,
            env_id="mdbf_envs/JointAdsManipulation-v0",
            env_kwargs=kwargs,
            others=other,
            theory_bound=0.0 if control else None,
            theory_basis=basis,
        )

    def for_manipulator(self, args: Any) -> tuple[JointAdsOptions, dict]:
        if args.agent not in (None, "merchant", "brand"):
            raise ValueError(f"--agent {args.agent!r}; buyers: ['merchant', 'brand']")
        options = JointAdsOptions(
            ads_learners=(args.learner,),
            ads_sequences=(args.sequence,),
            ads_others=(args.others,),
            ads_agent=args.agent or "merchant",
            ads_horizon=args.horizon,
        )
        return options, {"learner": args.learner, "sequence": args.sequence, "others": args.others}

    def describe(self, o: JointAdsOptions) -> str:
        return (
            f"Paper 2: the {o.ads_agent} stays for T = {o.ads_horizon} rounds, {o.ads_n_pairs} paired episodes per "
            f"row and stage, CMA-ES {o.ads_search_episodes} episodes, PPO {o.ads_train_steps} steps."
        )


register_paper(JointAdsAudit())
