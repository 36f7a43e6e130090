import json

import numpy as np
import pytest

from agents.audit import AuditConfig, PolicyStrategy, VCGLearnOptions, run
from baselines.strategies import PhaseShade, Scale, Shade, Truthful
from mdbf_envs import vcg_learn_v0
from mdbf_envs.core.stats import t_summary
from mdbf_envs.envs.single_agent import strategy_action
from mdbf_envs.vcg_learn import VCGLearn
from mdbf_envs.vcg_learn.pay_your_estimate import PayYourEstimate
from mdbf_envs.vcg_learn.rollout import rollout
from mdbf_envs.vcg_learn.scenarios import single_item


def test_truthful_against_itself_gives_exactly_zero_gain():
    mech = VCGLearn(single_item(), "opt", replications=8)
    a = rollout(mech, 200, seed=3).utility
    b = rollout(mech, 200, seed=3, strategies={0: Truthful()}).utility
    np.testing.assert_array_equal(a, b)
    assert t_summary(b[:, 0] - a[:, 0]) == {
        "gain_mean": 0.0,
        "gain_se": 0.0,
        "gain_ci95": [0.0, 0.0],
        "p_value": 1.0,
        "n_pairs": 8,
    }


def test_holm_controls_the_family_and_matches_a_hand_computation():
    from mdbf_envs.core.stats import holm

    assert holm([0.01, 0.04, 0.03, 0.005]) == [True, False, False, True]  # 0.005<=.0125, .01<=.0167, .03>.025
    assert holm([0.2, 0.3]) == [False, False]


def test_batched_rollout_equals_the_pettingzoo_env_step_by_step():
    """The audit's evaluator shows agents the env's observations and pays the env's rewards."""
    strategy = PhaseShade(0.2, "explore")
    env = vcg_learn_v0.parallel_env(zeta="opt", horizon=150)
    obs, _ = env.reset(seed=5)
    total = 0.0
    while env.agents:
        actions = {a: env.truthful_action(a) for a in env.agents}
        actions["agent_2"] = strategy_action(env, "agent_2", strategy, obs["agent_2"], np.random.default_rng(0))
        obs, rewards, *_ = env.step(actions)
        total += rewards["agent_2"]
    as_float32 = lambda fields, rng: np.float32(strategy(fields, rng)).astype(np.float64)
    res = rollout(VCGLearn(single_item(), "opt"), 150, seed=5, strategies={2: as_float32})
    # the env's truthful reports are float32 too; compare to float32 precision
    assert res.utility[0, 2] == pytest.approx(total, abs=1e-4)


def test_audit_detects_a_known_profitable_manipulation():
    """Under pay-your-estimate (first-price-like) shading lowers the price: a significant gain."""
    mech = PayYourEstimate(single_item(), "opt", replications=32)
    truthful = rollout(mech, 400, seed=1).utility[:, 0]
    shaded = rollout(mech, 400, seed=1, strategies={0: Shade(0.2)}).utility[:, 0]
    row = t_summary(shaded - truthful)
    assert row["p_value"] < 1e-3 and row["gain_ci95"][0] > 1


def test_etc_ignores_exploit_reports_so_exploit_lies_change_nothing():
    mech = VCGLearn(single_item(), "etc", replications=4)
    a = rollout(mech, 300, seed=0).utility
    b = rollout(mech, 300, seed=0, strategies={0: PhaseShade(0.5, "exploit"), 3: Scale((2.0,))}).utility
    c = rollout(mech, 300, seed=0, strategies={0: PhaseShade(0.5, "exploit")}).utility
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)


def strict_json(text: str) -> dict:
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


SMALL = {
    "horizon": 60,
    "train_steps": 256,
    "n_pairs": 6,
    "search_episodes": 40,
    "etc_search_episodes": 40,
    "search_pairs": 2,
}


def vcg_config(controls: bool = False, **options) -> AuditConfig:
    return AuditConfig(papers=("vcg_learn",), vcg_learn=VCGLearnOptions(**options), controls=controls)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_quick_audit_output_schema_with_a_short_training(tmp_path):
    cfg = vcg_config(zetas=("etc",), others=("truthful",), agents=(0, 9), **SMALL)
    report = run(cfg, tmp_path / "out")
    on_disk = strict_json((tmp_path / "out" / "audit.json").read_text())
    assert on_disk == json.loads(json.dumps(report))
    assert on_disk["config"]["vcg_learn"]["horizon"] == 60 and on_disk["config"]["vcg_learn"]["agents"] == [0, 9]
    strategies = {r["strategy"] for r in on_disk["rows"]}
    assert {"truthful", "ppo", "cma_es", "shade_0.1", "explore_shade_0.3", "exact_optimum"} <= strategies
    assert {r["agent"] for r in on_disk["rows"]} == {"agent_0", "agent_9"}
    for r in on_disk["rows"]:
        assert set(r) >= {
            "mechanism",
            "others",
            "agent",
            "strategy",
            "learned",
            "gain_mean",
            "gain_ci95",
            "n_pairs",
            "truthful_utility",
            "theory_bound",
            "verdict",
            "p_value",
            "at_bound",
        }
        assert r["learned"] == (r["strategy"] in ("ppo", "cma_es"))
        assert set(r) == set(on_disk["rows"][0])  # every row has the same keys
        assert r["verdict"] in ("gain", "loss", "none") and r["knows_values"] == (r["strategy"] == "exact_optimum")
        low, high = r["gain_ci95"]
        assert low <= r["gain_mean"] <= high and r["n_pairs"] == 6
        assert r["theory_bound"] == 0.0  # ETC: truthful in expectation
    assert [(s["mechanism"], s["agent"]) for s in on_disk["summary"]] == [
        ("vcg_learn:etc", "agent_0"),
        ("vcg_learn:etc", "agent_9"),
    ]
    text = (tmp_path / "out" / "audit.md").read_text()
    assert "| vcg_learn:etc | truthful | agent_0 | ppo | yes |" in text and "## Found" in text
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "audit.json",
        "audit.md",
        "audit_found.png",
        "audit_gain_vcg_learn.png",
    ]
    for figure in ("audit_found.png", "audit_gain_vcg_learn.png"):
        assert (tmp_path / "out" / figure).stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no partial folder left


def test_too_few_pairs_give_unknown_intervals_in_strict_json():
    row = t_summary(np.array([1.5]))
    assert row["gain_ci95"] == [None, None] and row["p_value"] == 1.0
    strict_json(json.dumps(row, allow_nan=False))


@pytest.mark.parametrize(
    "argv",
    [
        ["--zetas", "etc", "foo"],
        ["--n-pairs", "1"],
        ["--train-steps", "0"],
        ["--seed", "-1"],
        ["--workers", "0"],
        ["--agents", "12"],
        ["--others", "nope"],
        ["--scenario", "nope"],
    ],
    ids=[
        "bad-zeta",
        "one-pair",
        "no-training",
        "negative-seed",
        "no-workers",
        "agent-out-of-range",
        "unknown-others",
        "unknown-scenario",
    ],
)
def test_audit_cli_refuses_bad_options_before_any_work(argv, tmp_path, capsys):
    from agents.audit import main

    with pytest.raises(SystemExit) as stop:
        main([*argv, "--out", str(tmp_path / "never")])
    assert stop.value.code == 2 and not (tmp_path / "never").exists()


def test_policy_strategy_maps_actions_like_the_gym_view():
    class Fixed:
        def predict(self, obs, deterministic):
            return np.full((len(obs), 1), 0.5, np.float32), None

    fields = {"realised": np.array([[0.3], [5.9]]), "price": np.zeros((2, 1))}
    np.testing.assert_allclose(PolicyStrategy(Fixed(), 0.4)(fields, None), [0.5, 6.0])


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_audit_against_learning_others(tmp_path):
    cfg = vcg_config(zetas=("opt",), others=("learning",), agents=(0,), **{**SMALL, "horizon": 40, "n_pairs": 4})
    report = run(cfg, tmp_path)
    rows = report["rows"]
    assert {r["others"] for r in rows} == {"learning"}
    assert all(r["theory_bound"] is None for r in rows)  # Thm 3.5 needs stationary others
    assert next(r for r in rows if r["strategy"] == "truthful")["gain_mean"] == 0.0


def test_quick_sets_the_budget_and_given_options_still_apply(tmp_path):
    from agents.audit import main

    report = main(
        [
            "--quick",
            "--papers",
            "vcg_learn",
            "--zetas",
            "etc",
            "--others",
            "truthful",
            "--agents",
            "4",
            "--n-pairs",
            "4",
            "--search-episodes",
            "32",
            "--etc-search-episodes",
            "32",
            "--search-pairs",
            "2",
            "--no-rl",
            "--no-controls",
            "--backend",
            "serial",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    cfg = report["config"]
    assert cfg["vcg_learn"]["horizon"] == 500 and cfg["confirm_stages"] == 2  # from --quick
    assert "joint_ads" not in cfg  # the options of papers not audited are left out
    assert cfg["vcg_learn"]["n_pairs"] == 4 and cfg["vcg_learn"]["agents"] == [4] and cfg["rl"] is False  # given
    assert {r["strategy"] for r in report["rows"]} >= {"cma_es", "own_mean"} and "ppo" not in {
        r["strategy"] for r in report["rows"]
    }
