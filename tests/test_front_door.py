"""The front door: one id per contract (old spellings refused by name), a light import, the
kept-report rule in one place, extension points that say what they cost."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import mdbf_envs
from mdbf_envs.core.protocol import SlowPathWarning
from mdbf_envs.envs.manipulation import paired_market
from mdbf_envs.registry import GYM_ENVS
from mdbf_envs.vcg_learn import VCGLearn, compiled
from mdbf_envs.vcg_learn.scenarios import single_item

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("make", "new_id"),
    [
        (lambda: gym.make("mdbf_envs/VCGLearn-v0", reward_mode="gain"), "VCGLearnManipulation-v0"),
        (
            lambda: gym.make("mdbf_envs/VCGLearnETC-v0", reward_mode="gain", decisions="influential"),
            "VCGLearnManipulationETC-v0",
        ),
        (lambda: gym.make("mdbf_envs/VCGLearnOPT-v0", decisions="every"), "VCGLearnManipulationOPT-v0"),
        (lambda: gym.make_vec("mdbf_envs/VCGLearnETC-v0", num_envs=2, reward_mode="gain"), "VCGLearnManipulation-v0"),
        (lambda: gym.make("mdbf_envs/JointAds-v0", reward_mode="gain"), "JointAdsManipulation-v0"),
        (lambda: gym.make_vec("mdbf_envs/JointAds-v0", num_envs=2, reward_mode="gain"), "JointAdsManipulation-v0"),
    ],
    ids=["vcg-gain", "etc-gain-decisions", "opt-decisions", "vcg-vector-gain", "ads-gain", "ads-vector-gain"],
)
def test_the_old_spelling_is_refused_naming_the_new_id(make, new_id):
    with pytest.raises(ValueError, match=re.escape(new_id)):
        make()


@pytest.mark.parametrize("name", sorted(GYM_ENVS))
def test_no_keyword_changes_an_ids_spaces_or_how_it_ends(name):
    """Each id's documented keywords (its reward modes) leave the spaces and the episode's end
    alone: plain ids truncate after T rounds, manipulation ids terminate."""
    manipulation = "Manipulation" in name
    modes = ("gain", "expected") if manipulation else ("expected", "realised")
    if name.startswith("JointAds") and not manipulation:
        modes = (None,)
    ends = []
    spaces = set()
    for mode in modes:
        kwargs = {"horizon": 30} | ({"reward_mode": mode} if mode else {})
        env = gym.make(f"mdbf_envs/{name}", **kwargs)
        spaces.add((repr(env.observation_space), repr(env.action_space)))
        env.reset(seed=0)
        while True:
            _, _, terminated, truncated, _ = env.step(np.zeros(1, np.float32))
            if terminated or truncated:
                ends.append((terminated, truncated))
                break
    assert len(spaces) == 1
    assert set(ends) == {(True, False) if manipulation else (False, True)}


def test_importing_the_package_loads_no_paper_and_no_numba():
    code = (
        "import sys, mdbf_envs, gymnasium; gymnasium.spec('mdbf_envs/VCGLearnETC-v0'); "
        "print(sorted(m for m in sys.modules if m == 'numba' or m.startswith(('mdbf_envs.vcg_learn', "
        "'mdbf_envs.joint_ads', 'mdbf_envs.envs', 'scipy.optimize'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_env_modules_load_on_first_use():
    assert mdbf_envs.vcg_learn_v0.parallel_env().metadata["name"] == "vcg_learn_v0"
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        mdbf_envs.nothing


def test_the_kept_report_rule_stands_in_one_place():
    """keeps_report is defined once, and no other line of the library writes the rule out."""
    sources = {p: p.read_text() for p in (ROOT / "mdbf_envs").rglob("*.py")}
    definitions = [p for p, s in sources.items() if "def keeps_report(" in s]
    assert [p.name for p in definitions] == ["mechanism.py"]
    pattern = re.compile(r"not kept\[|~self\._kept|np\.logical_not\(kept\)")
    hits = [(p.name, line) for p, s in sources.items() for line in s.splitlines() if pattern.search(line)]
    assert [name for name, _ in hits] == ["mechanism.py"]  # the one line of keeps_report
    assert "kept_report(" in sources[ROOT / "mdbf_envs/vcg_learn/compiled_paired.py"]
    assert "kept_report(" in sources[ROOT / "mdbf_envs/vcg_learn/compiled.py"]


class Labelled(VCGLearn):
    """A subclass that adds a name and changes nothing the compiled loops write again."""

    label = "mine"


class Discounted(VCGLearn):
    def prices(self, est, outcome):
        return 0.9 * super().prices(est, outcome)


def test_a_subclass_that_changes_no_round_method_keeps_the_compiled_path():
    assert compiled.unsupported(Labelled(single_item(), "etc")) is None
    reason = compiled.unsupported(Discounted(single_item(), "etc"))
    assert reason == "Discounted overrides prices, which the compiled loop writes as VCGLearn's"


def _market(mechanism: str, backend: str):
    mdbf_envs.register_mechanism("discounted_for_tests", Discounted, overwrite=True)
    return paired_market(4, mechanism=mechanism, zeta="etc", horizon=60, backend=backend)


def test_a_slow_path_is_said_once_and_not_when_chosen():
    from baselines.strategies import Shade
    from mdbf_envs.core.streams import pair_streams

    market = _market("discounted_for_tests", "auto")
    with pytest.warns(SlowPathWarning, match="Discounted overrides prices"):
        market.run(None, pair_streams(0, 4, 1, market.draws), strategy=Shade(0.1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", SlowPathWarning)
        market.run(None, pair_streams(0, 4, 1, market.draws), strategy=Shade(0.1))  # once per market
        chosen = _market("discounted_for_tests", "numpy")
        chosen.run(None, pair_streams(0, 4, 1, chosen.draws), strategy=Shade(0.1))
        fast = _market("vcg_learn", "auto")
        fast.run(None, pair_streams(0, 4, 1, fast.draws), strategy=Shade(0.1))


@pytest.mark.parametrize("name", ["", "two words", "1st", 123, None], ids=["empty", "space", "digit", "int", "none"])
def test_registered_names_are_identifiers(name):
    with pytest.raises(ValueError, match="must be a non-empty identifier"):
        mdbf_envs.register_scenario(name, single_item)
    with pytest.raises(ValueError, match="must be a non-empty identifier"):
        mdbf_envs.register_sequence(name, lambda T, rng: None)


def test_a_registered_sequence_plays_in_the_env_and_the_manipulation_env():
    from mdbf_envs.joint_ads.valuations import Valuations

    def corner(T, rng):
        return Valuations(np.full((T, 2), 0.9), "stochastic", {"law": "corner"})

    mdbf_envs.register_sequence("corner_for_tests", corner, overwrite=True)
    with pytest.raises(ValueError, match="already registered"):
        mdbf_envs.register_sequence("corner_for_tests", lambda T, rng: None)
    env = mdbf_envs.joint_ads_v0.parallel_env(sequence="corner_for_tests", horizon=3)
    obs, _ = env.reset(seed=0)
    assert obs["merchant"][0] == pytest.approx(0.9)
    game = gym.make("mdbf_envs/JointAdsManipulation-v0", sequence="corner_for_tests", horizon=3)
    assert game.reset(seed=0)[0][0] == pytest.approx(0.9)
