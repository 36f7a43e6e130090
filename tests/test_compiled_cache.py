"""The compiled loop never runs stale code: an edit to a helper it calls from another module
(eq. (4)'s log term in mechanism.py) shows in its results at the next run."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import numpy as np
from mdbf_envs.vcg_learn import VCGLearn
from mdbf_envs.vcg_learn.scenarios import single_item
from mdbf_envs.vcg_learn.simulate import simulate
mech = VCGLearn(single_item(4), "opt", replications=2)
res = [simulate(mech, 300, np.random.default_rng(0), backend=b).welfare[-1].sum() for b in ("numba", "numpy")]
print(repr(float(res[0])), repr(float(res[1])))
"""


def run(root: Path) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(root), "PATH": "", "HOME": str(root)},
    )
    numba_value, numpy_value = map(float, out.stdout.split())
    return numba_value, numpy_value


def test_an_edited_helper_is_recompiled(tmp_path):
    shutil.copytree(ROOT / "mdbf_envs", tmp_path / "mdbf_envs", ignore=shutil.ignore_patterns("__pycache__"))
    before = run(tmp_path)
    assert before[0] == pytest.approx(before[1], rel=1e-9)
    mechanism = tmp_path / "mdbf_envs" / "vcg_learn" / "mechanism.py"
    text = mechanism.read_text()
    assert "return 5 * math.log(exploit_rounds + 1)" in text
    mechanism.write_text(
        text.replace("return 5 * math.log(exploit_rounds + 1)", "return 4 * math.log(exploit_rounds + 1)")
    )
    after = run(tmp_path)
    assert after[1] != pytest.approx(before[1], rel=1e-6)  # the edit changes the numpy loop...
    assert after[0] == pytest.approx(after[1], rel=1e-9)  # ...and the compiled loop follows it
