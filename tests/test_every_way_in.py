"""Every way in is checked: each bad input a hostile but realistic user tried (library parameters,
registrations, the audit and training CLIs, output folders) gets a clear error naming the value
before any work, and where nothing may be written, nothing is."""

from __future__ import annotations

import json
import multiprocessing

import gymnasium as gym
import numpy as np
import pytest
from tiny_audit import TINY

import mdbf_envs
from agents.audit import AuditConfig, register_search, run
from agents.audit import main as audit_main
from mdbf_envs.joint_ads import learners, valuations
from mdbf_envs.vcg_learn import VCGLearn
from mdbf_envs.vcg_learn.scenarios import paas, single_item

RNG = np.random.default_rng(0)
NAN, INF = float("nan"), float("inf")

# ---- the library: silently wrong results before, refused by name now ----------------------
LIBRARY = [
    (
        "noise-var-1e300",
        lambda: gym.make("mdbf_envs/VCGLearn-v0", scenario_kwargs={"noise_var": 1e300}),
        ValueError,
        "noise_var = 1e+300",
    ),
    (
        "manipulation-bounds-reversed",
        lambda: gym.make("mdbf_envs/VCGLearnManipulation-v0", report_bounds=(6.0, -5.0)),
        ValueError,
        "report_bounds = (6.0, -5.0) must have low < high",
    ),
    (
        "manipulation-bounds-nan",
        lambda: gym.make("mdbf_envs/VCGLearnManipulation-v0", report_bounds=(NAN, 6.0)),
        ValueError,
        "report_bounds = nan",
    ),
    (
        "smooth-period-0",
        lambda: gym.make("mdbf_envs/JointAds-v0", sequence="smooth", sequence_kwargs={"period": 0}),
        ValueError,
        "period = 0 must be >= 1",
    ),
    (
        "smooth-period-0-manipulation",
        lambda: gym.make("mdbf_envs/JointAdsManipulation-v0", sequence="smooth", sequence_kwargs={"period": 0}),
        ValueError,
        "period = 0",
    ),
    (
        "lower-bound-lam",
        lambda: mdbf_envs.joint_ads_v0.parallel_env(sequence="lower-bound", sequence_kwargs={"lam": -3}),
        ValueError,
        "lam = -3 must be in [0.0, 1.0]",
    ),
    ("lower-bound-T-0", lambda: valuations.lower_bound_mixture(0, RNG), ValueError, "T = 0 must be >= 1"),
    (
        "seller-sigma-negative",
        lambda: VCGLearn(paas(), learn_seller_value=True, seller_sigma=-1),
        ValueError,
        "seller_sigma = -1",
    ),
    (
        "seller-sigma-nan",
        lambda: VCGLearn(paas(), learn_seller_value=True, seller_sigma=NAN),
        ValueError,
        "seller_sigma = nan",
    ),
    (
        "seller-sigma-inf",
        lambda: VCGLearn(paas(), learn_seller_value=True, seller_sigma=INF),
        ValueError,
        "seller_sigma = inf",
    ),
    (
        "learn-seller-value-no",
        lambda: VCGLearn(paas(), learn_seller_value="no"),
        TypeError,
        "learn_seller_value = 'no' must be True or False",
    ),
    ("path-learning-eta-negative", lambda: learners.PathLearning(200, 1.0, RNG, eta=-5), ValueError, "eta = -5"),
    ("path-learning-eta-nan", lambda: learners.PathLearning(200, 1.0, RNG, eta=NAN), ValueError, "eta = nan"),
    ("path-learning-eta-inf", lambda: learners.PathLearning(200, 1.0, RNG, eta=INF), ValueError, "eta = inf"),
    ("ftl-refit-growth-nan", lambda: learners.FollowTheLeader(refit_growth=NAN), ValueError, "refit_growth = nan"),
    (
        "epoch-first-epoch-2.5",
        lambda: learners.EpochLearner(learners.AugmentTheBest(), 2.5),
        TypeError,
        "first_epoch = 2.5 must be an integer",
    ),
    (
        "hindsight-past-the-data",
        lambda: learners.hindsight_revenue([[0.5, 0.6]] * 5, [3, 10]),
        ValueError,
        "rounds = 10 must be <= 5",
    ),
    (
        "hindsight-negative-round",
        lambda: learners.hindsight_revenue([[0.5, 0.6]] * 5, [-2]),
        ValueError,
        "rounds = -2 must be >= 1",
    ),
    ("register-scenario-123", lambda: mdbf_envs.register_scenario(123, single_item), ValueError, "name = 123"),
    ("register-scenario-empty", lambda: mdbf_envs.register_scenario("", single_item), ValueError, "name = ''"),
    (
        "register-scenario-wrong-type",
        lambda: mdbf_envs.register_scenario("not_a_scenario", lambda: 5),
        TypeError,
        "built int, not Scenario",
    ),
    (
        "register-learner-wrong-type",
        lambda: mdbf_envs.register_learner("not_a_learner", lambda h, rng: 5),
        TypeError,
        "built int, not Learner",
    ),
    ("register-search-not-callable", lambda: register_search("junk", 5), TypeError, "search 'junk' must be callable"),
    ("n-agents-1e6", lambda: single_item(n_agents=10**6), ValueError, "n_agents = 1000000 must be <= 3000"),
    (
        "ads-horizon-1e12",
        lambda: mdbf_envs.joint_ads_v0.parallel_env(horizon=10**12),
        ValueError,
        "horizon = 1000000000000 would need",
    ),
    (
        "make-vec-num-envs-1e6",
        lambda: gym.make_vec("mdbf_envs/VCGLearnOPT-v0", num_envs=10**6),
        ValueError,
        "num_envs = 1000000 must be <= 65536",
    ),
    (
        "make-vec-ads-num-envs-1e6",
        lambda: gym.make_vec("mdbf_envs/JointAds-v0", num_envs=10**6),
        ValueError,
        "num_envs = 1000000 must be <= 65536",
    ),
    ("g-none", lambda: VCGLearn(single_item(), g=None), TypeError, "g = None"),
    (
        "publish-a-string",
        lambda: gym.make("mdbf_envs/VCGLearn-v0", publish="prices"),
        TypeError,
        "publish = 'prices' must be a list or tuple of names",
    ),
    (
        "publish-a-string-manipulation",
        lambda: gym.make("mdbf_envs/VCGLearnManipulation-v0", publish="prices"),
        TypeError,
        "publish = 'prices'",
    ),
]


@pytest.mark.parametrize(("make", "error", "match"), [c[1:] for c in LIBRARY], ids=[c[0] for c in LIBRARY])
def test_the_library_refuses_by_name(make, error, match):
    with pytest.raises(error) as caught:
        make()
    assert match in str(caught.value)


# ---- the command lines: an error line and exit 2 before any work, nothing written ---------


def _exits(main, argv, capsys) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    return capsys.readouterr().err


def _ppo_main(argv):
    from agents.search.ppo import main

    return main([*argv, "--zeta", "etc", "--horizon", "20"])


def _train_main(argv):
    from agents.training.train import main

    return main([*argv, "--no-progress-bar"])


def _shared_main(argv):
    from agents.training.train_shared import main

    return main([*argv, "--no-progress-bar"])


CLI = [
    ("audit-agents-twice", audit_main, [*TINY, "--agents", "0", "0"], "--agents = [0, 0] repeats [0]"),
    ("audit-zetas-twice", audit_main, [*TINY, "--zetas", "etc", "etc"], "--zetas = ['etc', 'etc'] repeats"),
    ("audit-papers-twice", audit_main, [*TINY, "--papers", "vcg_learn", "vcg_learn"], "--papers"),
    ("audit-seed-2^32-1", audit_main, [*TINY, "--seed", "4294967295"], "--seed 4294967295 must lie in [0, "),
    ("audit-deviation-scale-inf", audit_main, [*TINY, "--deviation-scale", "inf"], "--deviation-scale = inf"),
    ("audit-out-in-proc", audit_main, [*TINY, "--out", "/proc/mdbf_envs_x"], "nothing can be written in /proc"),
    (
        "audit-unknown-paper-option",
        audit_main,
        [
            *TINY,
            "--imports",
            "examples.posted_price",
            "--papers",
            "posted_price",
            "--paper-options",
            '{"posted_price": {"zzz": 1}}',
        ],
        "'zzz'",
    ),
    ("ppo-gamma-5", _ppo_main, ["--gamma", "5"], "--gamma = 5.0 must be positive and in [0.0, 1.0]"),
    ("ppo-n-epochs-0", _ppo_main, ["--n-epochs", "0"], "--n-epochs = 0 must be >= 1"),
    ("ppo-learning-rate-nan", _ppo_main, ["--learning-rate", "nan"], "--learning-rate = nan"),
    ("train-gamma-minus-3", _train_main, ["--gamma", "-3"], "--gamma = -3.0"),
    ("train-shared-timesteps-0", _shared_main, ["--timesteps", "0"], "--timesteps = 0 must be >= 1"),
    ("train-shared-eval-episodes-0", _shared_main, ["--eval-episodes", "0"], "--eval-episodes = 0 must be >= 1"),
]


@pytest.mark.parametrize(("main", "argv", "match"), [c[1:] for c in CLI], ids=[c[0] for c in CLI])
def test_the_command_lines_refuse_before_any_work(main, argv, match, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if "--out" not in argv:
        argv = [*argv, "--out", str(tmp_path / "out")]
    err = _exits(main, argv, capsys)
    assert err.startswith("error: ") and match in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


# ---- registered papers: budgets no audit can use are refused whatever the paper ------------
@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"n_pairs": 1}, "n_pairs = 1 must be an integer >= 2"),
        ({"search_episodes": 0}, "search episodes = 0"),
        ({"horizon": 0}, "horizon = 0"),
    ],
    ids=["one-pair", "no-search", "no-rounds"],
)
def test_a_registered_papers_options_are_checked_before_work(options, match, tmp_path):
    cfg = AuditConfig(
        papers=("posted_price",), imports=("examples.posted_price",), paper_options={"posted_price": options}, rl=False
    )
    with pytest.raises(ValueError, match=match):
        run(cfg, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ---- output folders: recognised by content; no user file is lost ----------------------------
@pytest.mark.parametrize("name", ["audit.md", "audit.json"])
def test_a_users_own_file_named_like_the_audits_is_kept(name, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_text("my notes, not an audit\n")
    err = _exits(audit_main, [*TINY, "--out", str(out)], capsys)
    assert "not an earlier audit's" in err and (out / name).read_text() == "my notes, not an audit\n"


def test_train_shared_refuses_its_own_used_run_directory(tmp_path, capsys):
    from agents.training.train_shared import main

    argv = ["--horizon", "20", "--timesteps", "64", "--eval-episodes", "1", "--no-progress-bar", "--out", str(tmp_path)]
    main(argv)
    (run_dir,) = tmp_path.iterdir()
    before = (run_dir / "model.zip").read_bytes()
    err = _exits(main, argv, capsys)
    assert "exists" in err and (run_dir / "model.zip").read_bytes() == before
    assert json.loads((run_dir / "config.json").read_text())["eval_seeds"] == [10_000]


def test_ctrl_c_during_training_leaves_no_run_directory(tmp_path, monkeypatch, capsys):
    from stable_baselines3 import PPO

    from agents.training.train import main

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(PPO, "learn", interrupted)
    with pytest.raises(SystemExit) as stop:
        main(["--env-kwargs", '{"horizon": 20}', "--timesteps", "64", "--no-progress-bar", "--out", str(tmp_path)])
    assert stop.value.code == 130 and "nothing was written" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_process_pool_is_no_larger_than_the_settings(monkeypatch):
    from mdbf_envs.core import parallel

    sizes = []
    real = multiprocessing.get_context

    class Recording:
        def __init__(self, context):
            self.context = context

        def Pool(self, processes, *args, **kwargs):
            sizes.append(processes)
            return self.context.Pool(processes, *args, **kwargs)

    monkeypatch.setattr(parallel.multiprocessing, "get_context", lambda method: Recording(real(method)))
    assert parallel.run_trials(dict, [{"x": 1}, {"x": 2}], "process", workers=7) == [{"x": 1}, {"x": 2}]
    assert sizes == [2]


def test_an_earlier_audit_is_recognised_by_its_schema(tmp_path):
    from agents.audit.outputs import is_earlier_audit

    (tmp_path / "audit.json").write_text(json.dumps({"schema": "mdbf-envs/audit/v2"}))
    (tmp_path / "audit_gain_vcg_learn.png").write_bytes(b"")
    assert is_earlier_audit(tmp_path)
    (tmp_path / "audit.json").write_text(json.dumps({"schema": "someone-else/v1"}))
    assert not is_earlier_audit(tmp_path)


@pytest.mark.parametrize(
    ("module", "argv", "match"),
    [
        ("agents.experiments.theorem25", ["--pairs", "1"], "--pairs 1 (>= 2)"),
        ("agents.experiments.theorem25", ["--horizons", "0"], "--horizons [0]"),
        ("baselines.vcg_fig1", ["--sigma", "-1"], "--sigma -1.0 must be finite and >= 0"),
        ("baselines.vcg_fig1", ["--runs", "0"], "--runs (0)"),
    ],
    ids=["theorem25-one-pair", "theorem25-horizon-0", "fig1-negative-sigma", "fig1-no-runs"],
)
def test_the_experiment_commands_refuse_before_any_work(module, argv, match, tmp_path, capsys):
    import importlib

    with pytest.raises(SystemExit) as stop:
        importlib.import_module(module).main([*argv, "--out", str(tmp_path / "out")])
    assert stop.value.code == 2 and match in capsys.readouterr().err and not (tmp_path / "out").exists()
