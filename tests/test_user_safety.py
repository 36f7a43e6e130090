"""A new user's trial, row by row: outputs that never destroy files, checks before work, a prompt
stop on Ctrl-C, one verdict, every number labelled, inputs refused with their value."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import jsonschema
import numpy as np
import pytest
from tiny_audit import TINY

import mdbf_envs
from agents.audit import AuditConfig, VCGLearnOptions, main, run
from mdbf_envs import vcg_learn_v0
from mdbf_envs.vcg_learn import Scenario, ScenarioError
from mdbf_envs.vcg_learn.scenarios import single_item

ROOT = Path(__file__).resolve().parents[1]


def refused(argv, capsys) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err  # one line
    return err


# rows 1 and 2: --out is checked before any work and a user's files are never deleted
@pytest.mark.parametrize("case", ["foreign-file", "existing-file", "under-a-file"])
def test_out_is_checked_before_any_work_and_user_files_survive(case, tmp_path, capsys):
    if case == "foreign-file":
        out = tmp_path / "p"
        out.mkdir()
        (out / "model.zip").write_text("m")
        message = "holds files that are not an earlier audit's (model.zip)"
    elif case == "existing-file":
        out = tmp_path / "afile"
        out.write_text("keep")
        message = "is a file, not a folder"
    else:
        (tmp_path / "afile").write_text("keep")
        out = tmp_path / "afile" / "sub"
        message = "which is a file"
    started = time.time()
    err = refused([*TINY, "--out", str(out)], capsys)
    assert message in err and time.time() - started < 5
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        {"foreign-file": ["p", "model.zip"], "existing-file": ["afile"], "under-a-file": ["afile"]}[case]
    )
    assert all(p.read_text() in ("m", "keep") for p in tmp_path.rglob("*") if p.is_file())


def test_out_dot_is_refused_when_the_folder_holds_other_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    assert "holds files that are not an earlier audit's (notes.txt)" in refused([*TINY, "--out", "."], capsys)


def test_an_earlier_audits_folder_is_rewritten_in_place(tmp_path):
    out = tmp_path / "out"
    main([*TINY, "--out", str(out)])
    first = (out / "audit.json").stat().st_mtime_ns
    main([*TINY, "--out", str(out)])
    assert sorted(p.name for p in out.iterdir()) == [
        "audit.json",
        "audit.md",
        "audit_found.png",
        "audit_gain_vcg_learn.png",
    ]
    assert (out / "audit.json").stat().st_mtime_ns >= first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left


# row 3: Ctrl-C stops promptly, leaves no folder and no workers
def _children(pid: int) -> set[int]:
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.add(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc")
def test_ctrl_c_stops_the_audit_within_seconds_leaving_nothing(tmp_path):
    out = tmp_path / "x2"
    argv = [
        sys.executable,
        "-m",
        "agents.audit",
        "--papers",
        "vcg_learn",
        "--zetas",
        "etc",
        "opt",
        "--agents",
        "0",
        "4",
        "--horizon",
        "300",
        "--search-episodes",
        "4000",
        "--etc-search-episodes",
        "4000",
        "--no-rl",
        "--backend",
        "process",
        "--workers",
        "2",
        "--out",
        str(out),
    ]
    # as from a terminal: Ctrl-C's default action, even if this test runs where SIGINT is ignored
    # (a background job of a non-interactive shell inherits SIG_IGN, and Python then never raises)
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    workers: set[int] = set()
    deadline = time.time() + 60
    while time.time() < deadline and len(workers) < 2:  # wait until the pool's workers run
        workers |= {p for p in _children(proc.pid) if "multiprocessing" in Path(f"/proc/{p}/cmdline").read_text()}
        time.sleep(0.2)
    assert len(workers) >= 2, "the workers never started"
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    started = time.time()
    _, err = proc.communicate(timeout=10)
    assert time.time() - started < 10
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "audit: interrupted; nothing was written"
    time.sleep(0.5)
    assert not any(_alive(p) for p in workers)
    assert list(tmp_path.iterdir()) == []  # neither x2 nor a partial folder


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc")
def test_a_killed_parent_leaves_no_workers_running(tmp_path):
    code = (
        "from mdbf_envs.core.parallel import run_trials\nimport time\n"
        "run_trials(time.sleep, [{'secs': 60}] * 2, 'process', 2)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    workers: set[int] = set()
    deadline = time.time() + 60
    while time.time() < deadline and len(workers) < 2:
        workers |= _children(proc.pid) - {
            p for p in _children(proc.pid) if "resource_tracker" in Path(f"/proc/{p}/cmdline").read_text()
        }
        time.sleep(0.2)
    assert workers
    time.sleep(1)
    proc.kill()
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)


# row 4: the unknown-seller-value variant works in every env
@pytest.mark.parametrize("zeta", ["etc", "opt"])
def test_learn_seller_value_works_in_every_env(zeta):
    kw = {"scenario": "paas", "zeta": zeta, "horizon": 30, "mechanism_kwargs": {"learn_seller_value": True}}
    for env in (gym.make("mdbf_envs/VCGLearn-v0", **kw), gym.make("mdbf_envs/VCGLearnManipulation-v0", **kw)):
        env.reset(seed=0)
        done = False
        while not done:
            *_, terminated, truncated, _ = env.step(np.zeros(1, np.float32))
            done = terminated or truncated
    for vec in (
        gym.make_vec("mdbf_envs/VCGLearn-v0", num_envs=2, **kw),
        gym.make_vec("mdbf_envs/VCGLearnManipulation-v0", num_envs=2, **kw),
    ):
        vec.reset(seed=0)
        for _ in range(31):
            vec.step(np.zeros((2, 1), np.float32))
    par = vcg_learn_v0.parallel_env(**kw)
    par.reset(seed=0)
    while par.agents:
        par.step({a: par.truthful_action(a) for a in par.agents})
    mech = par.mechanism
    assert mech.seller_counts.sum() > 0  # it did learn from the seller's realisations
    aec = vcg_learn_v0.env(**kw)
    aec.reset(seed=0)
    for agent in aec.agent_iter():
        *_, terminated, truncated, _ = aec.last()
        aec.step(None if terminated or truncated else aec.unwrapped.truthful_action(agent))


# rows 5, 9, 10: inputs refused with their value, before anything runs
@pytest.mark.parametrize(
    "build, error, message",
    [
        (lambda: single_item(n_agents=1), ValueError, "n_agents = 1 must be >= 2"),
        (
            lambda: gym.make("mdbf_envs/VCGLearnETC-v0", decisions="influential"),
            ValueError,
            "mdbf_envs/VCGLearnManipulation-v0",
        ),
        (
            lambda: Scenario(
                "x",
                ("a", "b"),
                [[0.5, 0], [1, 0]],
                [0.0, 0.0],
                [[0.1, 0.2], [0.3, 0.4]],
                [["gaussian"] * 2] * 2,
                [[0.1, 0.1]] * 2,
            ),
            ScenarioError,
            "outcomes[0, 0] = 0.5",
        ),
    ],
    ids=["one-agent", "decisions-on-a-plain-id", "fractional-outcome"],
)
def test_bad_inputs_are_refused_naming_the_value(build, error, message):
    with pytest.raises(error) as caught:
        build()
    assert message in str(caught.value)


# row 11: one bad option, one name in the message
def test_a_negative_seed_names_only_the_seed(tmp_path, capsys):
    err = refused([*TINY, "--seed", "-1", "--out", str(tmp_path / "o")], capsys)
    assert "--seed -1" in err and "deviation" not in err


# row 6: one verdict everywhere, the same keys in every row, a schema
def test_audit_json_follows_its_schema_with_one_verdict(tmp_path):
    cfg = AuditConfig(
        papers=("vcg_learn",),
        vcg_learn=VCGLearnOptions(
            zetas=("etc",),
            others=("truthful",),
            agents=(0,),
            horizon=60,
            n_pairs=8,
            search_episodes=32,
            etc_search_episodes=32,
            search_pairs=2,
        ),
        rl=False,
        confirm_stages=2,
    )
    report = run(cfg, tmp_path / "out")
    schema = json.loads((ROOT / "docs" / "audit.schema.json").read_text())
    jsonschema.validate(json.loads((tmp_path / "out" / "audit.json").read_text()), schema)
    keys = {frozenset(r) for r in report["rows"]}
    assert len(keys) == 1
    for r in report["rows"]:
        assert r["verdict"] == ("none" if not r["holm_significant"] else "gain" if r["gain_mean"] > 0 else "loss")
    md = (tmp_path / "out" / "audit.md").read_text()
    assert "Paper 2" not in md  # a paper-1 run describes paper 1 only
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**report, "rows": [{**report["rows"][0], "verdict": "significant gain"}]}, schema)


# row 7: every number says what it is, only the parameters the setting uses
def test_joint_ads_regret_labels_its_numbers(tmp_path):
    from baselines.joint_ads_regret import main as regret_main

    report = regret_main(["--setting", "stochastic", "--horizons", "20", "40", "--runs", "2", "--out", str(tmp_path)])
    cell = report["learners"]["augment_the_best"]["regret"][0]
    assert set(cell) == {"mean", "half_width_95"}
    assert "sigma" not in report["config"] and "fit_draws" not in json.dumps(report["config"])


# row 8: nothing points outside the repository
def test_the_readme_points_nowhere_outside_the_repository():
    text = (ROOT / "README.md").read_text()
    assert "shared/" not in text and "../" not in text


def test_mdbf_envs_registered_ids_still_resolve():
    assert "mdbf_envs/VCGLearn-v0" in gym.registry and mdbf_envs.__version__


# row 12: a configuration that is not individually rational says so
def test_f_above_g_is_flagged_as_not_individually_rational(tmp_path):
    with pytest.warns(UserWarning, match="not individually rational"):
        env = vcg_learn_v0.parallel_env(zeta="etc", f="upper", g="lower", horizon=200)
    env.reset(seed=0)
    total = 0.0
    while env.agents:
        _, rewards, _, _, infos = env.step({a: env.truthful_action(a) for a in env.agents})
        total += rewards["agent_0"]
    assert infos["agent_0"]["individually_rational"] is False and total < -100  # truthful play loses
    env = vcg_learn_v0.parallel_env(zeta="etc", f="lower", g="upper", horizon=20)
    env.reset(seed=0)
    assert env.step({a: env.truthful_action(a) for a in env.agents})[4]["agent_0"]["individually_rational"] is True
    text = AuditConfig(papers=("vcg_learn",), vcg_learn=VCGLearnOptions(f="upper", g="lower"))
    from agents.audit import PAPERS

    assert "not individually rational" in PAPERS["vcg_learn"].describe(text.vcg_learn)
