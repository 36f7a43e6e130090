"""Registration of every environment with Gymnasium and PettingZoo, on ``import mdbf_envs``.

Gymnasium >= 1.0 has no plugin entry points (they were removed in 1.0), so ids exist once
the package is imported: ``import mdbf_envs; gymnasium.make("mdbf_envs/VCGLearnOPT-v0")``,
or ``gymnasium.make("mdbf_envs:mdbf_envs/VCGLearnOPT-v0")`` in a fresh process. The VCG-Learn ids
also have a native vector env (``gymnasium.make_vec(id, num_envs=N)``: one batched market). Registration is
idempotent and uses string entry points, so subprocess and Ray workers can re-import them.
"""

from __future__ import annotations

import gymnasium
import pettingzoo

NAMESPACE = "mdbf_envs"
APPENDIX_F = {"scenario": "single_item", "f": "mean", "g": "mean", "horizon": 2000}

# the plain view, or the paired one for reward_mode="gain" / decisions="influential"
VCG_VIEW, VCG_VECTOR = "mdbf_envs.envs.paired:view", "mdbf_envs.envs.paired:vector"
GYM_ENVS: dict[str, tuple[str, str | None, dict]] = {  # id: entry point, vector entry point, kwargs
    "VCGLearn-v0": (VCG_VIEW, VCG_VECTOR, {}),
    "VCGLearnETC-v0": (VCG_VIEW, VCG_VECTOR, {**APPENDIX_F, "zeta": "etc"}),
    "VCGLearnOPT-v0": (VCG_VIEW, VCG_VECTOR, {**APPENDIX_F, "zeta": "opt"}),
    "JointAds-v0": ("mdbf_envs.envs.paired:joint_ads_view", "mdbf_envs.envs.paired:joint_ads_vector", {}),
}
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
