"""Paper 2 under the shared protocol: learners, the joint-ads paired game, its env and the audit."""

import numpy as np
import pytest

import mdbf_envs
from agents.search.cmaes import CandidatePolicies, LinearPolicy, SearchConfig, cma_search
from baselines.strategies import BidScale, LastPrice, scripted_bids
from mdbf_envs import joint_ads_v0
from mdbf_envs.core.streams import ReplicationStreams, pair_streams
from mdbf_envs.envs.manipulation import joint_ads_game
from mdbf_envs.joint_ads.learners import AugmentTheBest, EpochLearner, Learner
from mdbf_envs.joint_ads.valuations import SEQUENCES
from mdbf_envs.registry import LEARNERS, make_learner

LEARNER_NAMES = sorted(LEARNERS)


@pytest.mark.parametrize("name", LEARNER_NAMES)
def test_every_registered_learner_follows_the_protocol(name):
    learner = make_learner(name, 50, np.random.default_rng(0))
    assert isinstance(learner, Learner)
    for _ in range(5):
        mechanism = learner.post()
        bids = np.array([[0.4, 0.7]])
        assert mechanism.payments(bids).shape == (1, 2) and mechanism.allocate(bids).shape == (1,)
        learner.update(bids[0])


def test_unknown_learner_is_refused_with_the_registered_names():
    with pytest.raises(KeyError, match="unknown learner 'nope'"):
        make_learner("nope", 10, np.random.default_rng(0))


def test_register_learner_makes_it_usable_by_name_and_refuses_silent_overwrite():
    mdbf_envs.register_learner("test_atb", lambda horizon, rng: AugmentTheBest(), overwrite=True)
    game = joint_ads_game(2, learner="test_atb", horizon=20)
    game.run(LinearPolicy((0.0,) * 6), pair_streams(0, 2, 1, game.draws))
    with pytest.raises(ValueError, match="already registered"):
        mdbf_envs.register_learner("test_atb", lambda horizon, rng: AugmentTheBest())


def test_epoch_learner_learns_only_at_the_ends_of_doubling_epochs():
    learner = EpochLearner(AugmentTheBest(), first_epoch=4)
    seen = []
    for _ in range(20):
        learner.post()
        learner.update([0.3, 0.6])
        seen.append(learner.base.t)
    assert seen == [0, 0, 0, 4, 4, 4, 4, 8] + [8] * 7 + [16] + [16] * 4


@pytest.mark.parametrize("learner", LEARNER_NAMES)
def test_truthful_bids_give_exactly_zero_gain(learner):
    game = joint_ads_game(3, learner=learner, horizon=40)
    game.reset(pair_streams(1, 3, 1, game.draws))
    while not game.done:
        assert np.array_equal(game.step(np.zeros(3)), np.zeros(3))


@pytest.mark.parametrize("learner", ["augment_the_best", "path_learning", "epoch_augment_the_best"])
def test_paired_game_equals_the_pettingzoo_env_step_by_step(learner):
    """The main replication plays what the env plays with the same seed and the same bids."""
    T, strategy = 60, BidScale(0.6, 0.0, 0.5)
    game = joint_ads_game(1, learner=learner, horizon=T)
    res = game.run(None, ReplicationStreams([np.random.default_rng(4)], game.draws), strategy=strategy)
    env = joint_ads_v0.parallel_env(learner=learner, horizon=T)
    obs, _ = env.reset(seed=4)
    total = 0.0
    while env.agents:
        fields = {"value": obs["merchant"][None, :1].astype(np.float64), "time": obs["merchant"][None, 1:2]}
        obs, rewards, *_ = env.step({"merchant": strategy(fields, None), "brand": env.truthful_action("brand")})
        total += rewards["merchant"]
    assert res.utility[0] == pytest.approx(total, abs=1e-5)  # the env's values are float32


@pytest.mark.parametrize("sequence", sorted(SEQUENCES))
def test_truthful_play_is_exactly_individually_rational_in_the_env(sequence):
    env = joint_ads_v0.parallel_env(sequence=sequence, horizon=120)
    env.reset(seed=3)
    worst = 0.0
    while env.agents:
        _, rewards, *_ = env.step({a: env.truthful_action(a) for a in env.agents})
        worst = min(worst, *rewards.values())
    assert worst == 0.0


def test_candidates_in_one_batch_score_as_alone():
    thetas = np.array([[0.0] * 5 + [-0.3], [-0.5] + [0.0] * 4 + [0.1]])
    both = joint_ads_game(4, learner="path_learning", horizon=50)
    together = both.run(CandidatePolicies(thetas, 2), pair_streams(6, 2, 2, both.draws)).gain
    for c, th in enumerate(thetas):
        alone = joint_ads_game(2, learner="path_learning", horizon=50)
        np.testing.assert_allclose(
            together[2 * c : 2 * c + 2], alone.run(LinearPolicy(tuple(th)), pair_streams(6, 2, 1, alone.draws)).gain
        )


def test_cma_search_finds_the_shading_gain_against_augment_the_best():
    def make(pairs):
        return joint_ads_game(pairs, learner="augment_the_best", horizon=60)

    scripted = make(16).run(None, pair_streams(9, 16, 1, ("random",)), strategy=BidScale(0.5)).gain.mean()
    found = cma_search(make, SearchConfig(episodes=160, pairs=4, sigma0=0.2, seed=2))
    gain = make(16).run(found.policy, pair_streams(9, 16, 1, ("random",))).gain.mean()
    assert scripted > 0 and gain > 0.8 * scripted


def test_scripted_bids_stay_in_the_unit_interval_and_last_price_bids_the_price():
    fields = {
        "value": np.array([[0.7], [0.2]]),
        "time": np.array([[0.1], [0.9]]),
        "last_allocated": np.array([[1.0], [1.0]]),
        "last_payment": np.array([[0.4], [0.5]]),
    }
    np.testing.assert_allclose(LastPrice()(fields, None), [0.4, 0.2])
    for name, strategy in scripted_bids().items():
        bids = strategy(fields, None)
        assert np.all((bids >= 0) & (bids <= 1)), name


def test_at_bound_counts_bids_clipped_at_zero():
    game = joint_ads_game(3, horizon=40)
    res = game.run(lambda features, rows: np.full(len(rows), -0.9), pair_streams(5, 3, 1, game.draws))
    assert res.decisions == 3 * 40
    assert res.at_bound == int((game.values[:, :, 0] < 0.9).sum())  # v - 0.9 < 0: the bid is clipped to 0
