"""The array versions of the joint-ads learners play exactly what the single learners play."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agents.search.cmaes import LinearPolicy
from baselines.strategies import LastPrice
from mdbf_envs.core.streams import pair_streams
from mdbf_envs.envs.manipulation import joint_ads_game
from mdbf_envs.joint_ads.batched import BatchLearner, Replicated, batched
from mdbf_envs.joint_ads.learners import AugmentTheBest, EpochLearner, FixedMechanism, PathLearning
from mdbf_envs.joint_ads.mechanism import Staircase, Staircases, ThresholdMechanism
from mdbf_envs.joint_ads.valuations import SEQUENCES
from mdbf_envs.registry import LEARNERS, learner_factory

CONFIGURATIONS = [(name, {}) for name in sorted(LEARNERS)] + [
    ("follow_the_leader", {"refit_growth": 1.1}),
    ("follow_the_leader", {"delta": 0.25}),
    ("posted_price_leader", {"refit_growth": 1.3}),
    ("path_learning", {"sigma": 0.3}),
    ("augment_the_best", {"refit_growth": 1.0}),
    ("epoch_augment_the_best", {"first_epoch": 4}),
    ("fixed", {"corners": ((0.2, 0.9), (0.6, 0.3))}),
]


def assert_plays_like_single_learners(factory, sequence: str, replications: int = 5, horizon: int = 90) -> BatchLearner:
    batch = batched(factory, horizon, [np.random.default_rng(50 + r) for r in range(replications)])
    singles = [factory(horizon, np.random.default_rng(50 + r)) for r in range(replications)]
    values = np.stack(
        [SEQUENCES[sequence](horizon, np.random.default_rng(r)).values for r in range(replications)], axis=1
    )
    for t in range(horizon):
        posted, bids = batch.post(), values[t]
        pay, sold = posted.payments(bids), posted.allocate(bids)
        for r, single in enumerate(singles):
            mechanism = single.post()
            np.testing.assert_array_equal(
                pay[r], mechanism.payments(bids[r : r + 1])[0], err_msg=f"round {t}, replication {r}"
            )
            assert sold[r] == mechanism.allocate(bids[r : r + 1])[0]
            if isinstance(mechanism, Staircase):
                np.testing.assert_array_equal(posted[r].corners, mechanism.corners)
            if isinstance(single, PathLearning):
                np.testing.assert_array_equal(batch.log_node_weights()[r], single.log_node_weights())
            single.update(bids[r])
        batch.update(bids)
    return batch


def test_bids_on_the_top_and_right_edges_reach_path_learning():
    bids = np.array([[1.0, 1.0], [1.0, 0.3], [0.3, 1.0]])
    batch = batched(learner_factory("path_learning"), 50, [np.random.default_rng(r) for r in range(3)])
    singles = [learner_factory("path_learning")(50, np.random.default_rng(r)) for r in range(3)]
    for _ in range(3):
        batch.update(bids)
        for single, pair in zip(singles, bids, strict=True):
            single.update(pair)
    for r, single in enumerate(singles):
        np.testing.assert_array_equal(batch.log_node_weights()[r], single.log_node_weights())
        np.testing.assert_array_equal(batch.log_h[r], single.log_h)


@pytest.mark.parametrize("sequence", ["smooth", "equal-revenue"])
@pytest.mark.parametrize(("name", "kwargs"), CONFIGURATIONS, ids=lambda x: str(x))
def test_replication_r_of_a_batch_is_a_single_learner_seeded_alike(name, kwargs, sequence):
    batch = assert_plays_like_single_learners(learner_factory(name, **kwargs), sequence)
    assert not isinstance(batch, Replicated)  # every registered learner has an array version


def test_a_learner_without_an_array_version_is_played_one_replication_at_a_time():
    def factory(horizon, rng):
        return EpochLearner(FixedMechanism(ThresholdMechanism.uniform_virtual_values()), 4)

    assert isinstance(assert_plays_like_single_learners(factory, "stochastic", horizon=20), Replicated)


def test_the_batch_staircases_price_every_bid_as_each_staircase_does():
    rng = np.random.default_rng(3)
    mechanisms = [Staircase.up_closure(rng.random((int(rng.integers(0, 6)), 2))) for _ in range(40)]
    batch = Staircases.stack(mechanisms)
    for _ in range(20):
        bids = rng.random((40, 2))
        bids[::7] = np.round(bids[::7], 1)  # bids on the corners' coordinates, where the closed region counts
        expected = np.array([m.payments(bids[r : r + 1])[0] for r, m in enumerate(mechanisms)])
        np.testing.assert_array_equal(batch.payments(bids), expected)
        sold = batch.allocate(bids)
        assert sold.dtype == bool
        np.testing.assert_array_equal(sold, [m.allocate(bids[r : r + 1])[0] for r, m in enumerate(mechanisms)])


@pytest.mark.parametrize("learner", ["augment_the_best", "path_learning", "posted_price_leader"])
def test_the_paired_game_gives_the_same_episodes_with_and_without_arrays(learner):
    results = []
    for arrays in (True, False):
        game = joint_ads_game(6, learner=learner, sequence="smooth", horizon=60, others=LastPrice(), arrays=arrays)
        policy = LinearPolicy((-0.2, 0.0, 0.1, 0.0, 0.0, 0.05))
        results.append(game.run(policy, pair_streams(4, 6, 1, game.draws)))
    np.testing.assert_array_equal(results[0].utility, results[1].utility)
    np.testing.assert_array_equal(results[0].truthful_utility, results[1].truthful_utility)
    np.testing.assert_array_equal(results[0].seller_change, results[1].seller_change)


def test_bad_bids_and_bad_learners_are_refused():
    batch = batched(learner_factory("augment_the_best"), 10, [np.random.default_rng(0)] * 2)
    with pytest.raises(ValueError, match="1 rows for 2 replications"):
        batch.update(np.array([[0.1, 0.2]]))
    with pytest.raises(ValueError, match=r"bids\[1\]"):
        batch.update(np.array([[0.1, 0.2], [np.nan, 0.3]]))
    with pytest.raises(TypeError, match="lacks post"):
        batched(lambda horizon, rng: object(), 10, [np.random.default_rng(0)])
    assert isinstance(
        batched(lambda horizon, rng: AugmentTheBest(), 10, [np.random.default_rng(0)], arrays=False), Replicated
    )


ROOT = Path(__file__).resolve().parents[1]
PRICE = "import numpy as np; from mdbf_envs.joint_ads.mechanism import Staircase; print(Staircase([(0.2, 0.6), (0.5, 0.3)]).payments(np.array([[0.7, 0.9]]))[0, 1])"  # noqa: E501


def test_an_edited_kernel_is_recompiled_not_read_from_the_cache(tmp_path):
    shutil.copytree(ROOT / "mdbf_envs", tmp_path / "mdbf_envs", ignore=shutil.ignore_patterns("__pycache__"))

    def price() -> float:
        out = subprocess.run(
            [sys.executable, "-c", PRICE],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": str(tmp_path), "PATH": "", "HOME": str(tmp_path)},
        )
        return float(out.stdout)

    assert price() == 0.3  # buyer 2's critical price: the last corner with a_k <= 0.7
    kernels = tmp_path / "mdbf_envs" / "joint_ads" / "kernels.py"
    text = kernels.read_text()
    old = "            out[r] = corners[k[r], 1]"
    assert text.count(old) == 1
    kernels.write_text(text.replace(old, "            out[r] = corners[k[r], 0]"))
    assert price() == 0.5  # the cached compilation of the old source is not used
