"""Mutation score of the formula modules, per module, with mutmut. Not run in CI (about an hour
on 2 cores).

    pip install mutmut==3.8.1
    python scripts/mutation_score.py              # mutate, test, print the table
    python scripts/mutation_score.py --report     # the table of the last run
    python scripts/mutation_score.py --survivors  # the surviving mutants, with their diffs
    python scripts/mutation_score.py --retest     # again after a change: what changed, and the survivors

Each pass works in a copy of the tracked files (``.mutation/<pass>/``, git-ignored) whose
pyproject gets a ``[tool.mutmut]`` section. mutmut replaces each function by a trampoline, which
numba cannot compile, so the passes differ: ``paper1`` (VCG-Learn and the paired engine) and
``paper2`` (joint ads and the statistics) run their unit tests with the joint-ads kernels
compiled; ``python`` mutates the kernels and runs the joint-ads tests with
``NUMBA_DISABLE_JIT=1``, where the kernels run as the Python they are written in. The score of a module is killed / (mutants - equivalent): a mutant no test reaches
counts as a survivor, a timeout as killed, and a survivor listed in :data:`EQUIVALENT` (no
behaviour changes) leaves the count, with its reason.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"

JOINT_ADS_TESTS = ("tests/test_joint_ads.py", "tests/test_joint_ads_paired.py", "tests/test_joint_ads_batched.py")
RECOMPILE = "tests/test_joint_ads_batched.py::test_an_edited_kernel_is_recompiled_not_read_from_the_cache"


@dataclass(frozen=True)
class Pass:
    modules: tuple[str, ...]
    tests: tuple[str, ...]  # mutmut runs, per mutant, those of these tests that reach the mutated function
    deselect: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


PASSES = {
    "paper1": Pass(
        modules=(
            "mdbf_envs/core/paired.py",
            "mdbf_envs/vcg_learn/schedule.py",
            "mdbf_envs/vcg_learn/vcg.py",
            "mdbf_envs/vcg_learn/mechanism.py",
        ),
        tests=("tests/test_schedule.py", "tests/test_vcg.py", "tests/test_vcg_learn.py", "tests/test_formula_pins.py",
               "tests/test_paired.py", "tests/test_streams.py", "tests/test_exact_optimum.py"),
        # a minute or more, and it tests the exhaustive search, not the formulas
        deselect=("tests/test_exact_optimum.py::test_the_exhaustive_search_finds_more_than_known_values_where_it_is_not_optimal",),
    ),
    "paper2": Pass(
        modules=(
            "mdbf_envs/core/stats.py",
            "mdbf_envs/joint_ads/mechanism.py",
            "mdbf_envs/joint_ads/optimal.py",
            "mdbf_envs/joint_ads/paths.py",
            "mdbf_envs/joint_ads/learners.py",
            "mdbf_envs/joint_ads/batched.py",
        ),
        tests=("tests/test_stats.py", *JOINT_ADS_TESTS),
        deselect=(RECOMPILE,),  # it copies the tree into a fresh interpreter, where trampolines cannot run
    ),
    "python": Pass(
        modules=("mdbf_envs/joint_ads/kernels.py",),
        tests=JOINT_ADS_TESTS,
        deselect=(RECOMPILE, "tests/test_joint_ads.py::test_augment_the_best_exact_schedule_and_learning"),  # 54 s as Python
        env=(("NUMBA_DISABLE_JIT", "1"),),
    ),
}
"""Between them the passes mutate the formula modules of both papers, the paired engine and the
audit's statistics."""

EQUIVALENT: dict[str, str] = {}
"""Surviving mutants that change no behaviour: mutant name -> why."""

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", -9: "timeout", None: "not checked"}
"""mutmut's exit codes; -9 is a mutant that hung and was killed (:func:`kill_hung_mutants`)."""

HANG_SECONDS = 150
"""A mutant's test run that lasts longer has hung: mutmut limits CPU time, which a process that
waits (on a worker, a pipe) never uses up."""


def kill_hung_mutants(stop: threading.Event) -> None:
    """Kill mutmut's per-mutant processes (titled ``mutmut: <mutant>``) older than HANG_SECONDS."""
    while not stop.wait(10):
        listing = subprocess.run(["ps", "-eo", "pid=,etimes=,args="], capture_output=True, text=True, check=True).stdout
        for line in listing.splitlines():
            pid, age, args = line.split(None, 2)
            if args.startswith("mutmut: ") and int(age) > HANG_SECONDS:
                subprocess.run(["pkill", "-9", "-P", pid], check=False)
                subprocess.run(["kill", "-9", pid], check=False)


def config(p: Pass) -> str:
    """The ``[tool.mutmut]`` section of a pass."""
    def quoted(items):
        return "[" + ", ".join(f'"{x}"' for x in items) + "]"

    pytest_args = ["-p", "no:cacheprovider", "-p", "no:timeout", "-x", "-q"]
    pytest_args += [arg for test in p.deselect for arg in ("--deselect", test)]
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["mdbf_envs/"]\n'
        f"only_mutate = {quoted(p.modules)}\n"
        'also_copy = ["agents/", "baselines/", "examples/", "docs/", "README.md"]\n'
        f"pytest_add_cli_args = {quoted(pytest_args)}\n"
        f"pytest_add_cli_args_test_selection = {quoted(p.tests)}\n"
    )


def copy_tree(work: Path, name: str) -> None:
    """The tracked files (as they are now) into ``work``, with the pass's mutmut section."""
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True).stdout.split()
    for file in files:
        (work / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / file, work / file)
    with open(work / "pyproject.toml", "a") as f:
        f.write(config(PASSES[name]))


def prepare(name: str) -> None:
    work = WORK / name
    if work.exists():
        shutil.rmtree(work)
    copy_tree(work, name)


def run(name: str, children: int, retest: bool = False) -> None:
    """A pass from scratch; or, with ``retest``, the same pass again on the current sources and
    tests: mutmut tests what changed and what new tests reach, and the survivors again."""
    work = WORK / name
    if retest:
        copy_tree(work, name)
    else:
        prepare(name)
    env = {**os.environ, **dict(PASSES[name].env), "PYTHONPATH": str(work)}
    stop = threading.Event()
    watchdog = threading.Thread(target=kill_hung_mutants, args=(stop,), daemon=True)
    watchdog.start()
    try:
        subprocess.run(["mutmut", "run", "--max-children", str(children)], cwd=work, env=env, check=True)
        survivors = [m for _, (n, statuses) in results().items() if n == name
                     for m, s in statuses.items() if s in ("survived", "no tests")]
        if retest and survivors:  # mutmut keeps a survivor's verdict; the new tests may kill it
            subprocess.run(["mutmut", "run", "--max-children", str(children), *survivors], cwd=work, env=env, check=True)
    finally:
        stop.set()


def results() -> dict[str, tuple[str, dict[str, str]]]:
    """module -> (its pass, mutant name -> status), from mutmut's files of the last runs."""
    out = {}
    for name, p in PASSES.items():
        for module in p.modules:
            meta = WORK / name / "mutants" / f"{module}.meta"
            codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
            out[module] = (name, {mutant: STATUS.get(code, "suspicious") for mutant, code in codes.items()})
    return out


def table(by_module: dict[str, tuple[str, dict[str, str]]]) -> dict[str, dict]:
    rows = {}
    for module, (_, statuses) in by_module.items():
        count = Counter(statuses.values())
        equivalent = sum(1 for name, s in statuses.items() if s in ("survived", "no tests") and name in EQUIVALENT)
        caught = count["killed"] + count["timeout"]
        considered = len(statuses) - equivalent
        rows[module] = {"mutants": len(statuses), "killed": caught,
                        "survived": count["survived"] + count["no tests"] - equivalent, "no_tests": count["no tests"],
                        "equivalent": equivalent, "not_checked": count["not checked"],
                        "score": caught / considered if considered else None}
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python scripts/mutation_score.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", action="store_true", help="print the table of the last run")
    parser.add_argument("--survivors", action="store_true", help="show every survivor's diff")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--passes", nargs="+", choices=tuple(PASSES), default=tuple(PASSES))
    parser.add_argument("--retest", action="store_true",
                        help="rerun the passes on the current code, keeping the last results where nothing changed")
    args = parser.parse_args(argv)
    if not (args.report or args.survivors):
        for name in args.passes:
            run(name, args.children, args.retest)
    by_module = results()
    if args.survivors:
        for module, (name, statuses) in by_module.items():
            for mutant, status in statuses.items():
                if status in ("survived", "no tests") and mutant not in EQUIVALENT:
                    diff = subprocess.run(["mutmut", "show", mutant], cwd=WORK / name, capture_output=True, text=True,
                                          check=True).stdout
                    print(f"## {mutant} ({status})\n{diff}")
        return
    rows = table(by_module)
    print(f"mutation score, {date.today()} (killed / (mutants - equivalent); >= 85% wanted)")
    print(f"{'module':<36} {'mutants':>7} {'killed':>6} {'survived':>8} {'(no test)':>9} {'equiv.':>6} {'score':>6}")
    for module, r in rows.items():
        score = "-" if r["score"] is None else f"{r['score']:.1%}"
        print(f"{module:<36} {r['mutants']:>7} {r['killed']:>6} {r['survived']:>8} {r['no_tests']:>9} "
              f"{r['equivalent']:>6} {score:>6}")
    (WORK / "scores.json").write_text(json.dumps({"date": str(date.today()), "modules": rows}, indent=2))
    if any(r["not_checked"] for r in rows.values()):
        sys.exit("some mutants were not checked: the run did not finish")


if __name__ == "__main__":
    main()
