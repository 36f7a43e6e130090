"""The registered envs document their observation fields as tables that match the builders."""

import re

import numpy as np
import pytest

import mdbf_envs.envs.joint_ads as joint_ads_module
import mdbf_envs.envs.manipulation as manipulation_module
import mdbf_envs.envs.vcg_learn as vcg_module
from mdbf_envs import joint_ads_v0, vcg_learn_v0
from mdbf_envs.envs.manipulation import paired_market
from mdbf_envs.joint_ads.market import FIELDS


def table_fields(doc: str, after: str) -> list[str]:
    """The `field` names of the first table after the heading ``after``."""
    rows = doc[doc.index(after) :].split("\n\n")
    table = next(block for block in rows if block.lstrip().startswith("| Field"))
    return re.findall(r"^\| `(\w+)` \|", table, flags=re.M)


def test_vcg_env_table_lists_the_builders_fields_in_order():
    env = vcg_learn_v0.parallel_env(publish=("prices", "outcome"))
    assert table_fields(vcg_module.__doc__, "## Observation Space") == list(env.observation_layout())


def test_vcg_observation_widths_match_the_table():
    env = vcg_learn_v0.parallel_env(publish=("prices", "outcome"))
    n, k = env.scenario.n_agents, env.scenario.n_allocations
    widths = re.findall(r"^\| `\w+` \| ([^|]+) \|", vcg_module.__doc__, flags=re.M)
    sizes = [eval(w.strip().replace(" ", "*"), {"n": n, "k": k}) for w in widths]
    assert sizes == [b - a for a, b in env.observation_layout().values()]
    assert sum(sizes) == env.observation_space("agent_0").shape[0]


def test_manipulation_env_tables_match_the_features():
    extra = table_fields(manipulation_module.__doc__, "## Observation Space")
    market = paired_market(1, horizon=10)
    assert market.feature_size == market.observer.size + len(extra) and extra == ["since_decision", "deciding"]
    doc = manipulation_module.__doc__
    assert table_fields(doc[doc.index("Joint ads: ``Box(0, 1") :], "Joint ads") == list(FIELDS)


def test_joint_ads_env_table_matches_its_observation():
    assert table_fields(joint_ads_module.__doc__, "## Observation Space") == list(FIELDS)
    env = joint_ads_v0.parallel_env(horizon=3)
    obs, _ = env.reset(seed=0)
    assert obs["merchant"].shape == (len(FIELDS),)
    assert obs["merchant"][0] == pytest.approx(env._v[0]) and obs["merchant"][1] == 0.0
    assert np.all(obs["merchant"][2:] == 0)
