"""Layering: the core imports no paper or env, paper rooms import only the core (import-linter
contracts in pyproject.toml), and a third paper plugs into the audit from its own file."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": ""},
    )


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    "source, target, contract",
    [
        ("mdbf_envs/core/_probe.py", "mdbf_envs.vcg_learn.mechanism", "The core imports no paper room"),
        ("mdbf_envs/joint_ads/_probe.py", "mdbf_envs.vcg_learn.scenario", "The paper rooms do not import each other"),
        ("mdbf_envs/vcg_learn/_probe.py", "mdbf_envs.registry", "The paper rooms import only the core"),
    ],
)
def test_an_upward_import_breaks_a_contract(tmp_path, source, target, contract):
    """In a copy of the tree, one added upward import is enough to fail lint-imports."""
    for folder in ("mdbf_envs", "agents", "baselines"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / source).write_text(f"import {target}  # an upward import\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout


def test_a_third_paper_is_audited_end_to_end_from_its_own_file(tmp_path):
    """examples/posted_price.py (a seller posting the mean of past bids) registers itself; the
    audit finds its manipulation: bidding 0 where the buyer would not buy anyway."""
    from agents.audit import AuditConfig, run

    cfg = AuditConfig(
        papers=("posted_price",),
        imports=("examples.posted_price",),
        rl=False,
        paper_options={"posted_price": {"horizon": 40, "n_pairs": 48, "search_episodes": 960}},
    )
    report = run(cfg, tmp_path / "out")
    rows = {r["strategy"]: r for r in report["rows"]}
    assert set(rows) == {"truthful", "zero_unless_buying", "cma_es"}
    assert rows["zero_unless_buying"]["verdict"] == "gain" and rows["zero_unless_buying"]["gain_ci95"][0] > 0
    assert rows["truthful"]["gain_mean"] == 0.0 and rows["truthful"]["verdict"] == "none"
    (setting,) = report["summary"]
    assert setting["gain_exists"] and setting["found_against"].startswith("best known")
    assert report["config"]["paper_options"] == {"posted_price": {"horizon": 40, "n_pairs": 48, "search_episodes": 960}}
