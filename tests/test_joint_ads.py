import itertools
import math
import re

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from mdbf_envs.joint_ads import (
    AugmentTheBest,
    FollowTheLeader,
    PathLearning,
    Staircase,
    ThresholdMechanism,
    augment,
    best_path,
    best_posted_prices,
    play,
    revenue,
    uniform_grid,
)
from mdbf_envs.joint_ads.learners import EpochLearner
from mdbf_envs.joint_ads.paths import decomposed_revenue, grid_paths
from mdbf_envs.joint_ads.valuations import (
    equal_revenue_points,
    iid_uniform,
    lower_bound_mixture,
    needle_in_haystack,
)

EIGHTHS = st.integers(0, 8).map(lambda k: k / 8)  # exact binary fractions, incl. 0 and 1


@st.composite
def staircases(draw, max_corners=5):
    pts = draw(st.lists(st.tuples(EIGHTHS, EIGHTHS), min_size=1, max_size=max_corners))
    return Staircase.up_closure(pts)


@st.composite
def complete_paths(draw):
    """A random right/down path on a random rectilinear grid, north side to east side."""
    xs = sorted(set(draw(st.lists(EIGHTHS, max_size=4))) | {0.0, 1.0})
    ys = sorted(set(draw(st.lists(EIGHTHS, max_size=4))) | {0.0, 1.0})
    i, j = draw(st.integers(0, len(xs) - 1)), len(ys) - 1
    nodes = [(xs[i], ys[j])]
    while i < len(xs) - 1 or (j > 0 and draw(st.booleans())):
        if j > 0 and (i == len(xs) - 1 or draw(st.booleans())):
            j -= 1
        else:
            i += 1
        nodes.append((xs[i], ys[j]))
        if i == len(xs) - 1 and not draw(st.booleans()):
            break
    return np.array(nodes)


def bisect_threshold(allocate, lo=0.0, hi=1.0):
    if allocate(lo):
        return lo
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if allocate(mid) else (mid, hi)
    return hi


@settings(max_examples=100, deadline=None)
@given(staircases(), st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=8))
def test_critical_prices_match_bisection_and_are_dsic(mech, vals):
    v = np.array(vals)
    pay, sold = mech.payments(v), mech.allocate(v)
    for (v1, v2), p, x in zip(v, pay, sold, strict=True):
        if not x:
            assert p.tolist() == [0.0, 0.0]
            continue
        p1 = bisect_threshold(lambda z, v2=v2: mech.allocate(np.array([[z, v2]]))[0])
        p2 = bisect_threshold(lambda z, v1=v1: mech.allocate(np.array([[v1, z]]))[0])
        np.testing.assert_allclose(p, [p1, p2], atol=1e-12)
        assert p[0] <= v1 and p[1] <= v2  # IR
    # DSIC: no unilateral misreport raises a buyer's utility
    for v1, v2 in v:
        truth = np.array([[v1, v2]])
        for b in np.linspace(0, 1, 9):
            for agent in (0, 1):
                lie = truth.copy()
                lie[0, agent] = b
                u_true = truth[0, agent] * mech.allocate(truth)[0] - mech.payments(truth)[0, agent]
                u_lie = truth[0, agent] * mech.allocate(lie)[0] - mech.payments(lie)[0, agent]
                assert u_lie <= u_true + 1e-12


@settings(max_examples=300, deadline=None)
@given(complete_paths(), st.lists(st.tuples(EIGHTHS, EIGHTHS), min_size=1, max_size=10))
def test_proposition2_edge_decomposition_is_exact_with_border_atoms(nodes, vals):
    v = np.array(vals)
    mech = Staircase.from_path(nodes)
    np.testing.assert_array_equal(decomposed_revenue(nodes, v), revenue(mech, v))


def brute_force_optimum(points, probs):
    best = 0.0
    for r in range(1, len(points) + 1):
        for subset in itertools.combinations(range(len(points)), r):
            best = max(best, float(probs @ revenue(Staircase.up_closure(points[list(subset)]), points)))
    return best


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(EIGHTHS, EIGHTHS), min_size=1, max_size=7, unique=True), st.integers(0, 10**6))
def test_theorem1_dp_equals_brute_force(vals, seed):
    points = np.array(vals)
    probs = np.random.default_rng(seed).dirichlet(np.ones(len(points)))
    sol = best_path(points, probs)
    assert sol.revenue == pytest.approx(brute_force_optimum(points, probs), abs=1e-12)
    assert sol.revenue == pytest.approx(float(probs @ revenue(sol.mechanism, points)), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(EIGHTHS, EIGHTHS), min_size=1, max_size=8))
@example([(0.5, 0.5), (0.5, 0.5), (0.25, 0.75)])
def test_repeated_points_weigh_as_their_merged_weight(vals):
    points = np.array(vals)
    distinct, counts = np.unique(points, axis=0, return_counts=True)
    repeated, merged = best_path(points), best_path(distinct, counts / len(points))
    assert repeated.revenue == pytest.approx(merged.revenue, abs=1e-12)
    np.testing.assert_array_equal(repeated.nodes, merged.nodes)


def test_ties_prefer_the_horizontal_step():
    # no data: every path earns 0; the chosen one starts at (0, 1) and runs east along the
    # north side (a step down would tie)
    np.testing.assert_array_equal(best_path(np.zeros((0, 2))).nodes, [[0, 1], [1, 1]])
    for empty in (best_path([]), best_path(np.zeros((0, 2)), [])):  # no data, with or without weights
        assert empty.revenue == 0.0 and len(empty.nodes) == 2


def brute_force_posted_prices(points, weights):
    """max (p1 + p2) P(V1 >= p1, V2 >= p2) over the coordinates and 0, ties to the smaller p1,
    then the smaller p2."""
    best = (-1.0, 0.0, 0.0)
    for p1 in np.unique(np.r_[0.0, points[:, 0], 1.0]):
        for p2 in np.unique(np.r_[0.0, points[:, 1], 1.0]):
            rev = (p1 + p2) * weights[(points[:, 0] >= p1) & (points[:, 1] >= p2)].sum()
            if rev > best[0]:
                best = (rev, p1, p2)
    return best


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(EIGHTHS, EIGHTHS), min_size=1, max_size=6), st.data())
def test_best_posted_prices_equal_brute_force_with_ties_and_border_atoms(vals, data):
    points = np.array(vals)
    weights = np.array(data.draw(st.lists(st.integers(1, 4), min_size=len(vals), max_size=len(vals)))) / 8.0
    sol = best_posted_prices(points, weights)  # eighths and dyadic weights: exact arithmetic, exact ties
    rev, p1, p2 = brute_force_posted_prices(points, weights)
    assert (sol.revenue, *sol.mechanism.corners[0]) == (rev, p1, p2)


@settings(max_examples=150, deadline=None)
@given(staircases(8), st.sampled_from([1 / 3, 1 / 5, 1 / 8, 1 / 13]), st.integers(0, 10**6))
def test_lemma1_augmented_region_contains_and_loses_at_most_delta(mech, delta, seed):
    grid = np.stack(np.meshgrid(np.arange(9) / 8, np.arange(9) / 8), axis=-1).reshape(-1, 2)  # borders included
    v = np.r_[np.random.default_rng(seed).random((400, 2)), grid]
    aug = augment(mech, delta)
    assert np.all(aug.allocate(v) >= mech.allocate(v))
    sold = mech.allocate(v)
    loss = mech.payments(v)[sold] - aug.payments(v)[sold]
    assert loss.max(initial=0) <= delta + 1e-12
    # the augmented mechanism uses at most one added point per boundary tile
    assert len(aug.corners) <= 2 * round(1 / delta) + 1


def test_lemma1_keeps_the_north_border_of_the_region():
    # the tile (0, 1/2] x (1/2, 1] meets A only along y = 1, where its point (0.1, 1) is needed
    mech = Staircase([(0.1, 1.0), (0.9, 0.2)])
    aug = augment(mech, 0.5)
    assert aug.allocate(np.array([[0.2, 1.0]]))[0]
    np.testing.assert_array_equal(aug.corners, [[0.1, 1.0], [0.5, 0.5], [0.9, 0.2]])


def test_example1_equal_revenue_separates_optimum_from_prices_and_grids():
    n, eps = 10, 0.01
    pts, probs = equal_revenue_points(n, eps)
    harmonic = sum(1 / i for i in range(1, n + 1))
    assert best_path(pts, probs).revenue == pytest.approx(harmonic / n + eps * (1 - harmonic / n))
    assert best_posted_prices(pts, probs).revenue == pytest.approx(1 / n, abs=2 * eps)
    for delta in (0.1, 0.05, 0.01):
        grid = uniform_grid(delta)
        assert best_path(pts, probs, xs=grid, ys=grid).revenue == pytest.approx(1 / n, abs=1e-9)


def test_pathlearning_sampler_is_explicit_hedge():
    rng = np.random.default_rng(0)
    learner = PathLearning(100, 1.0, rng, delta=1 / 3, eta=0.4)
    vs = rng.random((25, 2))
    for v in vs:
        learner.update(v)
    paths = list(grid_paths(3))
    assert len(paths) == math.comb(6, 3)
    log_w = np.array([learner.eta * decomposed_revenue(p, vs, node_terms=False).sum() for p in paths])
    hedge = np.exp(log_w - log_w.max())
    hedge /= hedge.sum()
    log_W = learner.log_node_weights()
    assert log_W[0, 3] == pytest.approx(np.log(np.exp(log_w - log_w.max()).sum()) + log_w.max())
    keys = {tuple(p.ravel()): k for k, p in enumerate(paths)}
    counts = np.zeros(len(paths))
    for _ in range(20_000):
        counts[keys[tuple(learner.sample_path().ravel())]] += 1
    assert chisquare(counts, hedge * counts.sum()).pvalue > 1e-3


def test_pathlearning_log_space_survives_huge_cumulative_rewards():
    learner = PathLearning(10**9, 1.0, np.random.default_rng(0), delta=1 / 4, eta=50.0)
    for v in np.random.default_rng(1).random((2000, 2)):
        learner.update(v)
    assert np.all(np.isfinite(learner.log_node_weights()))
    Staircase.from_path(learner.sample_path())


def test_theorem5_needle_sequence():
    eps = 0.25
    seq = needle_in_haystack(30, np.random.default_rng(3), eps=eps, delta=0.1)
    v = seq.values
    assert best_path(v).revenue * len(v) == pytest.approx(v.sum(), abs=1e-9)
    assert seq.hindsight_revenue == pytest.approx(v.sum(), abs=1e-9)
    # at every step, whatever region is posted, expected revenue over the coin is <= eps
    rng = np.random.default_rng(0)
    lo, hi = 0.0, 0.1
    for t in range(30):
        m = (lo + hi) / 2
        H, L = np.array([[m, 1 - m]]), np.array([[m, eps - m]])
        for _ in range(20):
            region = Staircase.up_closure(rng.random((rng.integers(1, 5), 2)) * [0.2, 1])
            assert eps * revenue(region, H)[0] + (1 - eps) * revenue(region, L)[0] <= eps + 1e-12
        lo, hi = (m, hi) if v[t, 1] > 0.5 else (lo, m)


@pytest.mark.parametrize("lam", [0.5, 2 / 3, 0.8])
def test_section6_instance_optimum_is_max_of_two_mechanisms(lam):
    cells = 20
    offsets = (np.arange(cells) + 0.5) / cells * 0.25
    grid = np.stack(np.meshgrid(offsets, offsets), -1).reshape(-1, 2)
    points = np.r_[0.25 + grid, 0.75 + grid]
    probs = np.r_[np.full(cells**2, lam), np.full(cells**2, 1 - lam)] / cells**2
    assert best_path(points, probs).revenue == pytest.approx(max(0.5, 1.5 * (1 - lam)), abs=0.25 / cells * 2)
    assert lower_bound_mixture(10, np.random.default_rng(0), lam=lam).bayes_revenue == max(0.5, 1.5 * (1 - lam))


def test_staircase_prices_are_the_thresholds_and_its_corners_read_only():
    mech = Staircase([(0, 1), (0.5, 0.5), (1, 0)])
    assert Staircase([(0, 1), (1, 0)]).corners.dtype == np.float64  # integer corners are stored as floats
    assert not mech.corners.flags.writeable
    assert mech.price1_at(0.2).tolist() == [1.0]  # a scalar is one query
    np.testing.assert_array_equal(mech.price1_at([0.0, 0.2, 0.5, 1.0]), [1.0, 1.0, 0.5, 0.0])
    np.testing.assert_array_equal(mech.price2_at(0.7), [0.5])
    np.testing.assert_array_equal(Staircase([(0.5, 0.5)]).price2_at([0.2, 0.5]), [np.inf, 0.5])
    np.testing.assert_array_equal(Staircase([(0.5, 0.5)]).price1_at([0.2]), [np.inf])
    assert Staircase([]).boundary().shape == (0, 2)
    from mdbf_envs.joint_ads.mechanism import Staircases

    assert Staircases.stack([mech, Staircase([])]).replications == 2
    assert Staircase.up_closure([]).corners.shape == (0, 2)


def test_solutions_carry_their_path_and_the_empirical_weights():
    sol = best_posted_prices([[0.5, 0.25], [0.75, 0.5]], [0.25, 0.75])
    assert sol.revenue == 0.9375  # (0.75 + 0.5) x 0.75
    np.testing.assert_array_equal(sol.nodes, [[0.75, 1.0], [0.75, 0.5], [1.0, 0.5]])
    np.testing.assert_array_equal(Staircase.from_path(sol.nodes).corners, sol.mechanism.corners)
    one = best_path([[0.5, 0.5]])  # one point: weight 1, so selling at (0.5, 0.5) earns 1
    assert one.revenue == 1.0
    np.testing.assert_array_equal(Staircase.from_path(one.nodes).corners, one.mechanism.corners)
    assert best_posted_prices([[0.5, 0.5]]).revenue == 1.0


def test_path_edge_weights_and_expected_revenue_of_degenerate_paths():
    from mdbf_envs.joint_ads.paths import edge_weights, expected_revenue_uniform

    rng = np.random.default_rng(5)
    points, probs = rng.random((50, 2)), rng.dirichlet(np.ones(50))
    nodes = best_path(points, probs).nodes
    # Proposition 2: the edge weights sum to the expected revenue (no border atoms here)
    assert edge_weights(nodes, points, probs).sum() == pytest.approx(
        probs @ revenue(Staircase.from_path(nodes), points)
    )
    assert expected_revenue_uniform([[1.0, 1.0]], [[0, 1], [0, 1]]) == 0.0  # one node: sells only at (1, 1)


def test_learner_arguments_are_checked_and_kept():
    rng = np.random.default_rng(0)
    for sigma in (0.0, 1.5, np.nan):
        with pytest.raises(ValueError, match=re.escape(f"sigma = {sigma} must be positive and in [0.0, 1.0]")):
            PathLearning(10, sigma, rng)
    with pytest.raises(ValueError, match=re.escape("horizon = 0 must be >= 1")):
        PathLearning(0, 0.5, rng)
    assert PathLearning(1, 1.0, rng).k == 1  # T = 1 is a horizon
    assert PathLearning(100, 1.0, rng, eta=0.3).eta == 0.3
    with pytest.raises(ValueError, match=re.escape("first_epoch = 0 must be >= 1")):
        EpochLearner(FollowTheLeader(), 0)


def test_leaders_refit_as_configured():
    v = np.random.default_rng(3).random((40, 2))
    ftl, grid = FollowTheLeader(), FollowTheLeader(delta=0.25)
    assert AugmentTheBest().refit_growth == 1.1 and AugmentTheBest(refit_growth=1.3).refit_growth == 1.3
    for t, pair in enumerate(v):
        if t:  # the default refits every round, on the support's own grid or on G_delta
            np.testing.assert_array_equal(ftl.post().corners, best_path(v[:t]).mechanism.corners)
            assert np.all(np.isin(grid.post().corners, np.arange(5) / 4))
        ftl.update(pair)
        grid.update(pair)


def test_epoch_learner_learns_at_the_ends_of_doubling_epochs():
    from mdbf_envs.joint_ads.learners import WHOLE_SQUARE

    v = np.random.default_rng(1).random((70, 2))
    for first, learner in ((16, EpochLearner(FollowTheLeader())), (1, EpochLearner(FollowTheLeader(), 1))):
        ends = {first * 2**k for k in range(8)}
        for t, pair in enumerate(v):
            posted = learner.post()
            if t < first:
                assert posted is WHOLE_SQUARE
            elif t in ends:  # the epoch that just ended was learned
                np.testing.assert_array_equal(posted.corners, best_path(v[:t]).mechanism.corners)
            learner.update(pair)


def test_play_books_each_rounds_revenue_and_law():
    from mdbf_envs.joint_ads.learners import FixedMechanism, hindsight_revenue

    mech = Staircase([(0.2, 0.6), (0.5, 0.3)])
    v = np.random.default_rng(2).random((30, 2))
    seen = []
    res = play(FixedMechanism(mech), v, expected=lambda t, m: seen.append(t) or 0.5)
    np.testing.assert_array_equal(res.realised, revenue(mech, v))
    assert seen == list(range(30)) and res.expected.tolist() == [0.5] * 30
    # hindsight: the best fixed mechanism on each prefix (one pair: sell at exactly the bids)
    hind = hindsight_revenue(v, [1, 4])
    assert hind[0] == pytest.approx(v[0].sum())
    assert hind[1] == pytest.approx(4 * brute_force_optimum(v[:4], np.full(4, 0.25)))


def test_threshold_prices_at_the_edges_of_the_square():
    mech = ThresholdMechanism.uniform_virtual_values()  # sell iff v1 + v2 >= 1
    v = np.array([[1.0, 0.0], [0.3, 1.0], [0.5, 0.5], [0.2, 0.3]])
    np.testing.assert_array_equal(mech.allocate(v), [True, True, True, False])
    pay = mech.payments(v)
    assert pay[0, 1] == 0.0 and pay[1, 0] == 0.0  # a zero threshold is exactly 0, not 2^-50
    np.testing.assert_allclose(pay[:3], [[1.0, 0.0], [0.0, 0.7], [0.5, 0.5]], atol=1e-12)
    assert pay[3].tolist() == [0.0, 0.0]


def test_bayes_optimum_for_uniform_values():
    mech = ThresholdMechanism.uniform_virtual_values()
    v = np.random.default_rng(0).random((200_000, 2))
    rev = revenue(mech, v)
    assert rev.mean() == pytest.approx(1 / 3, abs=0.003)
    sold = mech.allocate(v)
    np.testing.assert_allclose(mech.payments(v)[sold], 1 - v[sold][:, ::-1], atol=1e-12)
    assert iid_uniform(5, np.random.default_rng(0)).bayes_revenue == pytest.approx(1 / 3)


def test_augment_the_best_exact_schedule_and_learning():
    rng = np.random.default_rng(0)
    v = rng.random((60, 2))
    exact = AugmentTheBest(refit_growth=1.0)
    for t, pair in enumerate(v):
        posted = exact.post()
        if t > 0:
            want = augment(best_path(v[:t]).mechanism, 1 / math.ceil((t + 1) ** 0.25))
            np.testing.assert_array_equal(posted.corners, want.corners)
        exact.update(pair)
    long = iid_uniform(3000, rng)
    res = play(AugmentTheBest(), long.values, long.expected_revenue)
    assert res.expected[1500:].mean() > 0.30  # close to the optimum 1/3 after learning
    assert res.expected.max() <= 1 / 3 + 1e-12
    assert play(FollowTheLeader(refit_growth=1.5), long.values).realised[1500:].mean() > 0.25


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: Staircase([(0.2, 0.5), (0.1, 0.4)]), "not a down-right staircase"),
        (
            lambda: Staircase([(0.1, 0.9), (0.5, 0.5), (0.5, 0.3)]),
            re.escape(
                "corners [0.5, 0.5] and [0.5, 0.3] are not a down-right staircase (x must increase and y decrease); "
                "use Staircase.up_closure for arbitrary points"
            ),
        ),
        (lambda: Staircase([(0.1, 0.9), (0.2, 0.5), (0.4, 0.5)]), re.escape("corners [0.2, 0.5] and [0.4, 0.5] are")),
        (lambda: Staircase([(0.1, 0.9), (0.2, 0.3), (0.4, 0.5)]), re.escape("corners [0.2, 0.3] and [0.4, 0.5] are")),
        (lambda: Staircase([(0.2, 1.5)]), re.escape("corners[0] = [0.2, 1.5] is not a finite pair in [0, 1]^2")),
        (lambda: Staircase.up_closure([(0.2, 1.5)]), re.escape("points[0] = [0.2, 1.5] is not")),
        (lambda: Staircase.from_path([(0.2, 1.5)]), re.escape("path nodes[0] = [0.2, 1.5] is not")),
        (
            lambda: Staircase.from_path([(0, 1), (0.5, 1), (0.5, 1.0), (0.4, 0.5), (1, 0.5)]),
            re.escape("path edge [0.5, 1.0] -> [0.5, 1.0] is neither right nor down: the region would not be monotone"),
        ),
        (
            lambda: Staircase.from_path([(0, 1), (0.5, 1), (0.5, 0.5), (0.4, 0.5), (1, 0.5)]),
            re.escape("path edge [0.5, 0.5] -> [0.4, 0.5] is neither"),
        ),
        (
            lambda: Staircase.from_path([(0, 1), (0.5, 1), (0.5, 0.5), (0.5, 0.6), (1, 0.6)]),
            re.escape("path edge [0.5, 0.5] -> [0.5, 0.6] is neither"),
        ),
        (
            lambda: Staircase.from_path([(0, 1), (0.5, 0.9), (1, 0.9)]),
            re.escape("path edge [0.0, 1.0] -> [0.5, 0.9] is"),
        ),
        (
            lambda: Staircase.from_path([(0, 0.5), (1, 0.5)]),
            re.escape("a complete path runs from the north side to the east side, got [0.0, 0.5] -> [1.0, 0.5]"),
        ),
        (
            lambda: Staircase.from_path([(0, 1), (0.5, 1), (0.5, 0.2), (0.9, 0.2)]),
            re.escape("got [0.0, 1.0] -> [0.9, 0.2]"),
        ),
        (lambda: revenue(Staircase([(0.1, 0.1)]), [[0.5, 1.5]]), r"valuations\[0\] = \[0.5, 1.5\]"),
        (lambda: revenue(Staircase([(0.1, 0.1)]), [[np.nan, 0.5]]), "not a finite pair"),
        (lambda: uniform_grid(0.3), "delta = 0.3 is not of the form 1/k"),
        (lambda: uniform_grid(1.5), re.escape("delta = 1.5 must lie in (0, 1]")),
        (
            lambda: revenue(Staircase([(0.1, 0.1)]), [0.1, 0.2, 0.3]),
            re.escape("valuations must have shape (m, 2), got (3,)"),
        ),
        (lambda: FollowTheLeader(refit_growth=0.5), re.escape("refit_growth = 0.5 must be >= 1")),
        (
            lambda: best_path([[0.5, 0.5]], xs=[0, 0.5, 0.4, 1]),
            re.escape("xs must increase strictly from 0 to 1, got [0.0, 0.5, 0.4, 1.0]"),
        ),
        (
            lambda: best_path([[0.5, 0.5]], xs=[0.1, 1]),
            re.escape("xs must increase strictly from 0 to 1, got [0.1, 1.0]"),
        ),
        (
            lambda: best_path([[0.5, 0.5]], xs=[0, 0.5, 0.5, 1]),
            re.escape("xs must increase strictly from 0 to 1, got [0.0, 0.5, 0.5, 1.0]"),
        ),
        (
            lambda: best_path([[0.5, 0.5]], ys=[0, 0.5]),
            re.escape("ys must increase strictly from 0 to 1, got [0.0, 0.5]"),
        ),
        (
            lambda: best_path([[0.5, 0.5]], ys=[[0, 1]]),
            re.escape("ys must increase strictly from 0 to 1, got [[0.0, 1.0]]"),
        ),
        (lambda: best_path([[0.5, 0.5], [0.2, 0.3]], [0.5]), "weights must be 2 finite non-negative numbers"),
        (lambda: best_path([[0.5, 0.5], [0.2, 0.3]], [np.nan, 1]), "weights must be 2 finite"),
        (lambda: best_posted_prices([[0.5, 0.5], [0.2, 0.3]], [-1, 2]), "weights must be 2 finite"),
        (lambda: best_path([[0.5, 1.5]]), re.escape("points[0] = [0.5, 1.5] is not")),
        (lambda: best_posted_prices([[0.5, 1.5]]), re.escape("points[0] = [0.5, 1.5] is not")),
        (lambda: augment(Staircase([(0.1, 0.1)]), 0.0), "must lie in"),
    ],
    ids=[
        "not-a-staircase",
        "equal-x",
        "equal-y",
        "rising-y",
        "corner-above-one",
        "point-above-one",
        "node-above-one",
        "path-not-monotone",
        "path-going-left",
        "path-going-up",
        "path-diagonal",
        "path-not-from-north",
        "path-not-to-east",
        "bid-above-one",
        "bid-nan",
        "bad-grid",
        "xs-not-increasing",
        "xs-not-from-0",
        "xs-repeated",
        "ys-not-to-1",
        "ys-not-a-list",
        "weights-short",
        "weights-nan",
        "weights-negative",
        "points-above-one",
        "posted-points-above-one",
        "delta-above-one",
        "bids-not-pairs",
        "refit-below-one",
        "zero-delta",
    ],
)
def test_bad_input_names_the_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@settings(max_examples=60, deadline=None)
@given(staircases(6), st.integers(0, 10**6))
def test_boundary_round_trip_and_exact_expected_revenue_on_boxes(mech, seed):
    from mdbf_envs.joint_ads.paths import expected_revenue_uniform

    np.testing.assert_array_equal(Staircase.from_path(mech.boundary()).corners, mech.corners)
    rng = np.random.default_rng(seed)
    lo = rng.random(2) * 0.5
    box = np.stack([lo, lo + 0.1 + rng.random(2) * 0.4], axis=1)
    # midpoint rule on a fine grid of the box: exact up to the cells the boundary cuts
    cells = 400
    u = (np.arange(cells) + 0.5) / cells
    grid = np.stack(np.meshgrid(u, u, indexing="ij"), -1).reshape(-1, 2)
    v = box[:, 0] + grid * (box[:, 1] - box[:, 0])
    assert expected_revenue_uniform(mech.boundary(), box) == pytest.approx(revenue(mech, v).mean(), abs=0.02)
