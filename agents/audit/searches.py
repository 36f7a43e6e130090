"""The audit's learned manipulators, registered as search methods: CMA-ES over a linear policy
(:mod:`agents.search.cmaes`) and PPO on paired decision-point episodes (:mod:`agents.search.ppo`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from agents.audit.papers import Setting, register_search
from agents.search.cmaes import cma_search
from mdbf_envs.core.paired_engine import BatchPolicy

SEARCH_SEED_OFFSET = 1_000  # search draws apart from selection and confirmation


def cma_es(setting: Setting, cfg: Any) -> BatchPolicy:
    """CMA-ES on the setting's paired game (its own search seed)."""
    return cma_search(setting.game, replace(setting.search, seed=cfg.seed + SEARCH_SEED_OFFSET)).policy


def ppo(setting: Setting, cfg: Any) -> BatchPolicy | None:
    """PPO on the setting's paired vector env; None without ``--rl`` or an env to train on."""
    if not cfg.rl or setting.ppo is None:
        return None
    from agents.search.ppo import PPOPolicy, train_ppo

    model = train_ppo(
        setting.env_id, setting.env_kwargs or {}, replace(setting.ppo, seed=cfg.seed), others=setting.others
    )
    return PPOPolicy(model)


register_search("cma_es", cma_es)
register_search("ppo", ppo)
