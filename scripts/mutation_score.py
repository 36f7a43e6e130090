"""Mutation score of the formula modules, per module, with mutmut. Not run in CI (about an hour
on 2 cores).

    pip install mutmut==3.8.1
    python scripts/mutation_score.py              # mutate, test, print the table
    python scripts/mutation_score.py --report     # the table of the last run
    python scripts/mutation_score.py --survivors  # the surviving mutants, with their diffs

The run works in a copy of the tracked files (``.mutation/``, git-ignored) whose pyproject gets
the ``[tool.mutmut]`` section below. It sets ``NUMBA_DISABLE_JIT=1``: mutmut replaces each
function by a trampoline that numba cannot compile, so the compiled kernels run as the Python
they are written in (the same source). The score of a module is killed / (mutants - equivalent):
a mutant no test reaches counts as a survivor, a timeout as killed, and a survivor listed in
:data:`EQUIVALENT` (no behaviour changes) leaves the count, with its reason.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"

MODULES = (
    "mdbf_envs/core/stats.py",
    "mdbf_envs/core/paired.py",
    "mdbf_envs/vcg_learn/schedule.py",
    "mdbf_envs/vcg_learn/vcg.py",
    "mdbf_envs/vcg_learn/mechanism.py",
    "mdbf_envs/joint_ads/kernels.py",
    "mdbf_envs/joint_ads/mechanism.py",
    "mdbf_envs/joint_ads/optimal.py",
    "mdbf_envs/joint_ads/paths.py",
    "mdbf_envs/joint_ads/learners.py",
    "mdbf_envs/joint_ads/batched.py",
)
"""The formula modules of both papers, the paired engine and the audit's statistics."""

TESTS = (
    "tests/test_schedule.py", "tests/test_vcg.py", "tests/test_vcg_learn.py", "tests/test_formula_pins.py",
    "tests/test_stats.py", "tests/test_paired.py", "tests/test_streams.py", "tests/test_exact_optimum.py",
    "tests/test_joint_ads.py", "tests/test_joint_ads_paired.py", "tests/test_joint_ads_batched.py",
)
"""The unit tests mutmut may run (it runs, per mutant, those that reach the mutated function)."""

EQUIVALENT: dict[str, str] = {}
"""Surviving mutants that change no behaviour: mutant name -> why."""

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}


def config() -> str:
    quoted = lambda items: "[" + ", ".join(f'"{x}"' for x in items) + "]"  # noqa: E731
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["mdbf_envs/"]\n'
        f"only_mutate = {quoted(MODULES)}\n"
        f'also_copy = ["agents/", "baselines/", "examples/", "docs/", "README.md"]\n'
        f'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:timeout", "-x", "-q"]\n'
        f"pytest_add_cli_args_test_selection = {quoted(TESTS)}\n"
    )


def prepare() -> None:
    if WORK.exists():
        shutil.rmtree(WORK)
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        (WORK / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, WORK / name)
    with open(WORK / "pyproject.toml", "a") as f:
        f.write(config())


def run(children: int) -> None:
    prepare()
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONPATH": str(WORK)}
    subprocess.run(["mutmut", "run", "--max-children", str(children)], cwd=WORK, env=env, check=True)


def results() -> dict[str, dict[str, str]]:
    """module -> mutant name -> status, read from mutmut's files of the last run."""
    out: dict[str, dict[str, str]] = {}
    for module in MODULES:
        meta = WORK / "mutants" / f"{module}.meta"
        codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
        out[module] = {name: STATUS.get(code, "suspicious") for name, code in codes.items()}
    return out


def table(by_module: dict[str, dict[str, str]]) -> dict[str, dict]:
    rows = {}
    for module, statuses in by_module.items():
        count = Counter(statuses.values())
        equivalent = sum(1 for name, s in statuses.items() if s == "survived" and name in EQUIVALENT)
        caught = count["killed"] + count["timeout"]
        considered = len(statuses) - equivalent
        rows[module] = {"mutants": len(statuses), "killed": caught, "survived": count["survived"] - equivalent,
                        "no_tests": count["no tests"], "equivalent": equivalent, "not_checked": count["not checked"],
                        "score": caught / considered if considered else None}
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python scripts/mutation_score.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", action="store_true", help="print the table of the last run")
    parser.add_argument("--survivors", action="store_true", help="show every survivor's diff")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if not (args.report or args.survivors):
        run(args.children)
    by_module = results()
    if args.survivors:
        for module, statuses in by_module.items():
            for name, status in statuses.items():
                if status in ("survived", "no tests") and name not in EQUIVALENT:
                    diff = subprocess.run(["mutmut", "show", name], cwd=WORK, capture_output=True, text=True).stdout
                    print(f"## {name} ({status})\n{diff}")
        return
    rows = table(by_module)
    print(f"mutation score, {date.today()} (killed / (mutants - equivalent); >= 85% wanted)")
    print(f"{'module':<36} {'mutants':>7} {'killed':>6} {'survived':>8} {'no tests':>8} {'equiv.':>6} {'score':>6}")
    for module, r in rows.items():
        score = "-" if r["score"] is None else f"{r['score']:.1%}"
        print(f"{module:<36} {r['mutants']:>7} {r['killed']:>6} {r['survived']:>8} {r['no_tests']:>8} "
              f"{r['equivalent']:>6} {score:>6}")
    (WORK / "scores.json").write_text(json.dumps({"date": str(date.today()), "modules": rows}, indent=2))
    if any(r["not_checked"] for r in rows.values()):
        sys.exit("some mutants were not checked: the run did not finish")


if __name__ == "__main__":
    main()
