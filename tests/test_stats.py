"""The audit's statistics: t-intervals and p-values (two-sided, t not normal), Holm (not
Bonferroni), coverage, and pairs kept apart by purpose."""

import warnings

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from mdbf_envs.core.stats import found_ratio, holm, t_summary, verdict


def test_interval_is_the_t_interval_and_the_p_value_two_sided():
    x = np.array([0.3, 1.1, -0.2, 0.9, 0.6])
    row = t_summary(x)
    se = x.std(ddof=1) / np.sqrt(5)
    half = (row["gain_ci95"][1] - row["gain_ci95"][0]) / 2
    assert half / se == pytest.approx(stats.t.ppf(0.975, 4), rel=1e-12)  # 2.776, not 1.96
    assert half / se > 2.7
    one_sided = stats.t.sf(x.mean() / se, 4)
    assert row["p_value"] == pytest.approx(2 * one_sided, rel=1e-12)
    assert set(row) == {"gain_mean", "gain_se", "gain_ci95", "p_value", "n_pairs"}
    assert row["gain_se"] == pytest.approx(se, rel=1e-12) and row["n_pairs"] == 5
    two = t_summary(np.array([0.2, 0.6]))  # two pairs already give an interval
    assert two["gain_se"] == pytest.approx(0.2) and None not in two["gain_ci95"]


def test_one_pair_has_no_interval():
    assert t_summary(np.array([0.4])) == {
        "gain_mean": 0.4,
        "gain_se": None,
        "gain_ci95": [None, None],
        "p_value": 1.0,
        "n_pairs": 1,
    }


def test_no_spread_is_judged_relative_to_the_mean():
    big = t_summary(1e6 + np.arange(4) * 2.4e-10)  # a few ulps apart at 10^6: constant up to rounding
    assert big["gain_se"] == 0.0 and big["p_value"] == 0.0
    small = t_summary(np.array([2.6e-12, -2.6e-12, 2.6e-12, -2.6e-12]))  # se 1.5e-12 around a zero mean
    assert small["gain_se"] > 0 and small["p_value"] == pytest.approx(1.0)


def test_holm_is_not_bonferroni():
    p = [0.01, 0.02, 0.04]
    assert holm(p) == [True, True, True]  # 0.01 <= .05/3, 0.02 <= .05/2, 0.04 <= .05
    assert holm([0.025, 0.05]) == [True, True]  # p equal to its threshold is rejected
    assert [q <= 0.05 / 3 for q in p] == [True, False, False]  # Bonferroni would keep two


def test_holm_matches_statsmodels_on_random_p_values():
    rng = np.random.default_rng(0)
    for _ in range(15):  # multipletests costs 20 ms, and up to 0.3 s late in the suite, a call
        m = int(rng.integers(1, 30))
        p = np.where(rng.random(m) < 0.5, rng.random(m) * 0.02, rng.random(m)).tolist()
        assert holm(p) == multipletests(p, alpha=0.05, method="holm")[0].tolist()


def test_ninety_five_percent_intervals_cover_the_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    trials, n, mean = 4000, 12, 0.7
    covered = 0
    for _ in range(trials):
        lo, hi = t_summary(mean + rng.standard_normal(n) * 2.0)["gain_ci95"]
        covered += lo <= mean <= hi
    assert abs(covered / trials - 0.95) < 3 * np.sqrt(0.95 * 0.05 / trials)


def test_constant_gains_have_a_point_interval():
    assert t_summary(np.zeros(5)) == {
        "gain_mean": 0.0,
        "gain_se": 0.0,
        "gain_ci95": [0.0, 0.0],
        "p_value": 1.0,
        "n_pairs": 5,
    }
    assert t_summary(np.full(4, -2.0))["p_value"] == 0.0


def test_found_ratio_bootstraps_over_the_same_pairs():
    rng = np.random.default_rng(2)
    best = 10 + rng.standard_normal(400)
    learned = 0.8 * best + 0.1 * rng.standard_normal(400)
    out = found_ratio(learned, best, np.random.default_rng(0))
    assert out["found"] == pytest.approx(learned.mean() / best.mean())
    lo, hi = out["found_ci95"]
    assert lo < out["found"] < hi and hi - lo < 0.02  # common pairs: a tight ratio
    # the same percentile bootstrap written out: 2 000 resamples of the pairs, 2.5% and 97.5%
    idx = np.random.default_rng(0).integers(0, 400, (2000, 400))
    boot = learned[idx].mean(axis=1) / best[idx].mean(axis=1)
    assert out["found_ci95"] == pytest.approx(np.percentile(boot, [2.5, 97.5]).tolist(), rel=1e-12)


def test_found_ratio_without_a_finite_ratio_says_so_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = found_ratio(np.ones(3), np.zeros(3), np.random.default_rng(0))
        nothing = found_ratio(np.zeros(3), np.zeros(3), np.random.default_rng(0))
    assert out == {"found": np.inf, "found_ci95": [None, None]}
    assert np.isnan(nothing["found"]) and nothing["found_ci95"] == [None, None]


def test_verdict_names_the_sign_only_after_the_correction():
    assert [verdict(0.5, True), verdict(-0.5, True), verdict(0.5, False), verdict(-0.5, False)] == [
        "gain",
        "loss",
        "none",
        "none",
    ]


def test_selection_confirmation_and_search_never_share_a_pair(monkeypatch):
    """Every random stream the audit opens for a setting, by purpose: no pair (generator key) of
    the confirmation stages is one that selection or the searches used."""
    import agents.audit.runner as run_mod
    import agents.search.cmaes as search_mod
    from agents.audit import AuditConfig, VCGLearnOptions
    from mdbf_envs.core import streams

    keys: dict[str, set] = {"select": set(), "confirm": set(), "search": set()}
    real = streams.pair_streams

    def spy(purpose):
        def wrapped(seed, pairs, copies, draws, first=0):
            key = (seed,) if isinstance(seed, int) else tuple(seed)
            if purpose == "run":
                name = "select" if key == (cfg.seed + run_mod.SELECT_SEED_OFFSET,) else "confirm"
            else:
                name = "search"
            keys[name] |= {key + (m,) for m in range(first, first + pairs)}
            return real(seed, pairs, copies, draws, first)

        return wrapped

    cfg = AuditConfig(
        papers=("vcg_learn",),
        vcg_learn=VCGLearnOptions(
            zetas=("etc",),
            others=("truthful",),
            agents=(9,),
            horizon=200,
            n_pairs=8,
            search_episodes=64,
            etc_search_episodes=64,
            search_pairs=2,
        ),
        rl=False,
        controls=False,
        confirm_stages=4,
    )
    monkeypatch.setattr(run_mod, "pair_streams", spy("run"))
    monkeypatch.setattr(search_mod, "pair_streams", spy("search"))
    audit_setting = run_mod.audit_setting
    rows, _, facts = audit_setting(cfg, "vcg_learn", {"zeta": "etc", "others": "truthful", "agent": 9})
    assert keys["select"] and keys["confirm"] and keys["search"]
    assert not keys["select"] & keys["confirm"] and not keys["search"] & (keys["select"] | keys["confirm"])
    stages = facts["best"]["stages"]
    assert facts["best"]["n_pairs"] == stages * 8  # each stage added 8 pairs of its own
    confirm_pairs = {k for k in keys["confirm"]}
    assert len(confirm_pairs) >= facts["best"]["n_pairs"]
