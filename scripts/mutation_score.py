"""Mutation score of the formula modules, per module, with mutmut. Not run in CI (about an hour
on 2 cores).

    pip install mutmut==3.8.1
    python scripts/mutation_score.py              # mutate, test, print the table
    python scripts/mutation_score.py --report     # the table of the last run
    python scripts/mutation_score.py --survivors  # the surviving mutants, with their diffs
    python scripts/mutation_score.py --retest     # again after a change: what changed, and the survivors

Each pass works in a copy of the tracked files (``.mutation/<pass>/``, git-ignored) whose
pyproject gets a ``[tool.mutmut]`` section. mutmut replaces each function by a trampoline, which
numba cannot compile, so the passes differ: ``paper1`` (VCG-Learn and the paired engine) runs
its unit tests with ``NUMBA_DISABLE_JIT=1``, where the paired market leaves its compiled episode
aside and plays numpy; ``paper2`` (joint ads and the statistics) runs its unit tests with the
joint-ads kernels compiled; ``python`` mutates the kernels and runs the joint-ads tests with
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
            "mdbf_envs/core/paired_engine.py",
            "mdbf_envs/vcg_learn/schedule.py",
            "mdbf_envs/vcg_learn/vcg.py",
            "mdbf_envs/vcg_learn/mechanism.py",
        ),
        tests=(
            "tests/test_schedule.py",
            "tests/test_vcg.py",
            "tests/test_vcg_learn.py",
            "tests/test_formula_pins.py",
            "tests/test_paired.py",
            "tests/test_streams.py",
            "tests/test_exact_optimum.py",
            # the engine's input checks, its vector env, and the other paper's paired game on it
            "tests/test_bad_input.py",
            "tests/test_vector_env.py",
            "tests/test_joint_ads_paired.py",
        ),
        deselect=(
            # a minute or more, and it tests the exhaustive search, not the formulas
            "tests/test_exact_optimum.py::test_the_exhaustive_search_finds_more_than_known_values_where_it_is_not_optimal",
            # PPO's torch threads deadlock in mutmut's forked children: every mutant that reaches
            # it would "time out" and count as killed, whatever it changes
            "tests/test_paired.py::test_ppo_paired_cli_trains_on_joint_ads_and_saves",
            "tests/test_vector_env.py::test_sb3_adapter_steps_like_dummy_vec_env_and_trains_the_same_model",
            # 44 s with the joint-ads kernels run as Python
            "tests/test_joint_ads_paired.py::test_cma_search_finds_the_shading_gain_against_augment_the_best",
        ),
        # the compiled paired episode calls mechanism.beta_squared, which a trampoline replaces;
        # without the JIT the paired market plays every episode in numpy, the code under test
        env=(("NUMBA_DISABLE_JIT", "1"),),
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
        tests=("tests/test_stats.py", "tests/test_formula_pins.py", *JOINT_ADS_TESTS),
        deselect=(RECOMPILE,),  # it copies the tree into a fresh interpreter, where trampolines cannot run
    ),
    "python": Pass(
        modules=("mdbf_envs/joint_ads/kernels.py",),
        tests=JOINT_ADS_TESTS,
        deselect=(
            RECOMPILE,
            "tests/test_joint_ads.py::test_augment_the_best_exact_schedule_and_learning",
        ),  # 54 s as Python
        env=(("NUMBA_DISABLE_JIT", "1"),),
    ),
}
"""Between them the passes mutate the formula modules of both papers, the paired engine and the
audit's statistics."""

REASONS = {
    0: "a dtype cast dropped: the values are floats or ints, and every later step (comparisons, means, copies into float arrays) gives the same numbers",
    1: "numpy reads any negative size in reshape as 'infer', and reshape(None) of a 1-D array keeps it",
    2: "sum(+1) and sum(-1) are the same axis of an (m, 2) array",
    3: "a sort's method: ties are identical rows or leave the result unchanged (numpy also accepts the name in capitals)",
    4: "a comparison at a floating-point boundary that continuous inputs reach with probability 0 (a uniform equal to an exp, se equal to the threshold, a bisection midpoint equal to the root, an exact 1e-9 error)",
    5: "a significant row never has a mean of exactly 0 (t_summary gives p = 1 there)",
    6: "an initial value always overwritten before it is read (revenues are >= 0 > -1; the template's generator is never drawn from; the padding is always sliced off by the counts)",
    7: "duplicates that np.unique removes, unused rows, or an extra element never indexed",
    8: "only the first of the evaluated rows is used",
    9: "uniform weights scaled by 2 or 1/2 (exact in binary): the same argmax and ties",
    10: "zip(strict=...) where the lengths were checked just before",
    11: "a cache: the mutant recomputes the same value more often, or grows a buffer sooner",
    12: "at j = 0 the only step is east, and the sampled probability of east there is exp(0) = 1",
    13: "a one-corner region (or an empty one) is a fixed point: every tile's point lies above-right of the corner",
    14: "more bisection steps, or h evaluated at a 0-d 1 instead of an array of ones: the same threshold within 2^-50",
    15: "a complete path of two nodes has edges of zero area, and boxes lie in [0, 1]^2 (an upper end of 2 clips as 1 does)",
    16: "the same set of lattice paths, enumerated in another order",
    17: "the name only enters the error for given coordinates, and best_posted_prices never gives any",
    18: "with no points, a phantom point at (0, 0) or a third column changes no band, no weight that pays and no path",
    19: "every subclass passes refit_growth, so the base class's default is never used",
    20: "a default seed's value: the API promises the same episode for the same seed, not which seed is the default",
    21: "a flag only ever tested for truth: None reads as False",
    22: "the actions of replications that do not decide are never read",
    23: "a sentinel only compared with >= 0: any negative value marks a pair that need not be shown",
    24: "a MILP option that cannot change the optimum of a minimum cover: the variables are binary by integrality and minimisation (no upper bound, 2, or the defaults lb=1 with ub=inf), float or default dtype",
    25: "unreachable: HiGHS fails only on an infeasible cover, which is refused before the solver runs",
    26: "the default axis is the one written (0 for ufunc.reduce, -1 for take_along_axis)",
    27: "_grid's agent index (its second array) does not depend on its rows argument",
    28: "values_at's fast path broadcasts to the same entries for every valid input the mutant sends it, and the general path computes those it withholds",
    29: "the general branch broadcasts a 1-D v_0 to the same (|Omega|, B) values the fast path broadcasts lazily",
    30: "0 / 0 gives NaN, the value the fill holds for an unobserved estimated pair or outcome (with a RuntimeWarning)",
    31: "out= only saves a copy: np.minimum then writes the same values",
    32: "with no ETC replication the mask is all False and np.where keeps every count",
    33: "seller_counts and seller_sums are read only when the seller's value is learnt",
    34: "None assigned into a bool array is False",
    35: "with every replication naming the same bound, the per-replication path picks that bound for each: the same tables",
    36: "axis +1 and axis -1 are the same axis of a 2-D array",
}
"""Why a mutant changes no behaviour."""

EQUIVALENT: dict[str, str] = {
    "mdbf_envs.core.stats.x_t_summary__mutmut_3": REASONS[0],
    "mdbf_envs.core.stats.x_t_summary__mutmut_5": REASONS[0],
    "mdbf_envs.core.stats.x_found_ratio__mutmut_4": REASONS[0],
    "mdbf_envs.core.stats.x_found_ratio__mutmut_6": REASONS[0],
    "mdbf_envs.core.stats.x_found_ratio__mutmut_8": REASONS[0],
    "mdbf_envs.core.stats.x_found_ratio__mutmut_10": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.x_check_valuations__mutmut_5": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.x_check_valuations__mutmut_7": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁup_closure__mutmut_7": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁup_closure__mutmut_9": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁfrom_path__mutmut_7": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁfrom_path__mutmut_9": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁprice1_at__mutmut_7": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁprice1_at__mutmut_9": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁprice2_at__mutmut_7": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁprice2_at__mutmut_9": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.xǁStaircasesǁstack__mutmut_3": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.xǁStaircasesǁstack__mutmut_5": REASONS[0],
    "mdbf_envs.joint_ads.learners.xǁPathLearningǁsample_path__mutmut_37": REASONS[0],
    "mdbf_envs.joint_ads.learners.xǁPathLearningǁsample_path__mutmut_39": REASONS[0],
    "mdbf_envs.joint_ads.kernels.x__longest_path__mutmut_11": REASONS[0],
    "mdbf_envs.joint_ads.kernels.x__longest_path__mutmut_13": REASONS[0],
    "mdbf_envs.joint_ads.kernels.x__each_critical_payment__mutmut_6": REASONS[0],
    "mdbf_envs.joint_ads.kernels.x__each_critical_payment__mutmut_8": REASONS[0],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁ__init____mutmut_11": REASONS[1],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁup_closure__mutmut_11": REASONS[1],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁfrom_path__mutmut_11": REASONS[1],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁboundary__mutmut_22": REASONS[1],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁprice1_at__mutmut_11": REASONS[1],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁprice2_at__mutmut_11": REASONS[1],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁprice1_at__mutmut_5": REASONS[1],
    "mdbf_envs.joint_ads.batched.xǁEachMechanismǁpayments__mutmut_12": REASONS[1],
    "mdbf_envs.joint_ads.mechanism.x_revenue__mutmut_4": REASONS[2],
    "mdbf_envs.core.stats.x_holm__mutmut_3": REASONS[3],
    "mdbf_envs.core.stats.x_holm__mutmut_5": REASONS[3],
    "mdbf_envs.core.stats.x_holm__mutmut_7": REASONS[3],
    "mdbf_envs.joint_ads.kernels.x__minimal_points__mutmut_3": REASONS[3],
    "mdbf_envs.joint_ads.kernels.x__minimal_points__mutmut_5": REASONS[3],
    "mdbf_envs.joint_ads.kernels.x__minimal_points__mutmut_8": REASONS[3],
    "mdbf_envs.joint_ads.kernels.x__minimal_points__mutmut_16": REASONS[3],
    "mdbf_envs.joint_ads.kernels.x__bands__mutmut_27": REASONS[3],
    "mdbf_envs.joint_ads.kernels.x__bands__mutmut_29": REASONS[3],
    "mdbf_envs.joint_ads.kernels.x__bands__mutmut_31": REASONS[3],
    "mdbf_envs.core.stats.x_t_summary__mutmut_31": REASONS[4],
    "mdbf_envs.joint_ads.learners.xǁPathLearningǁsample_path__mutmut_22": REASONS[4],
    "mdbf_envs.joint_ads.batched.xǁPathLearningBatchǁpost__mutmut_60": REASONS[4],
    "mdbf_envs.joint_ads.mechanism.xǁThresholdMechanismǁ_threshold__mutmut_15": REASONS[4],
    "mdbf_envs.joint_ads.optimal.x_grid_size__mutmut_19": REASONS[4],
    "mdbf_envs.core.stats.x_verdict__mutmut_7": REASONS[5],
    "mdbf_envs.joint_ads.kernels.x__posted_prices__mutmut_13": REASONS[6],
    "mdbf_envs.joint_ads.kernels.x__posted_prices__mutmut_14": REASONS[6],
    "mdbf_envs.joint_ads.kernels.x__posted_prices__mutmut_15": REASONS[6],
    "mdbf_envs.joint_ads.kernels.x__posted_prices__mutmut_45": REASONS[6],
    "mdbf_envs.joint_ads.kernels.x__posted_prices__mutmut_46": REASONS[6],
    "mdbf_envs.joint_ads.kernels.x__pad__mutmut_3": REASONS[6],
    "mdbf_envs.joint_ads.kernels.x__pad__mutmut_10": REASONS[6],
    "mdbf_envs.joint_ads.mechanism.xǁStaircasesǁstack__mutmut_16": REASONS[6],
    "mdbf_envs.joint_ads.mechanism.xǁStaircasesǁstack__mutmut_17": REASONS[6],
    "mdbf_envs.joint_ads.mechanism.xǁStaircasesǁstack__mutmut_18": REASONS[6],
    "mdbf_envs.joint_ads.batched.x_batched__mutmut_4": REASONS[6],
    "mdbf_envs.joint_ads.batched.x_batched__mutmut_7": REASONS[6],
    "mdbf_envs.joint_ads.batched.x_batched__mutmut_8": REASONS[6],
    "mdbf_envs.joint_ads.kernels.x__axis__mutmut_4": REASONS[7],
    "mdbf_envs.joint_ads.kernels.x__axis__mutmut_6": REASONS[7],
    "mdbf_envs.joint_ads.kernels.x__bands__mutmut_39": REASONS[7],
    "mdbf_envs.joint_ads.learners.xǁPathLearningǁ__init____mutmut_58": REASONS[7],
    "mdbf_envs.joint_ads.kernels.x__each_critical_payment__mutmut_16": REASONS[8],
    "mdbf_envs.joint_ads.batched.xǁEachMechanismǁallocate__mutmut_5": REASONS[8],
    "mdbf_envs.joint_ads.batched.xǁEachMechanismǁpayments__mutmut_8": REASONS[8],
    "mdbf_envs.joint_ads.kernels.x__fit_each__mutmut_10": REASONS[9],
    "mdbf_envs.joint_ads.kernels.x__fit_each__mutmut_15": REASONS[9],
    "mdbf_envs.joint_ads.batched.xǁReplicatedǁupdate__mutmut_3": REASONS[10],
    "mdbf_envs.joint_ads.batched.xǁReplicatedǁupdate__mutmut_6": REASONS[10],
    "mdbf_envs.joint_ads.batched.xǁReplicatedǁupdate__mutmut_11": REASONS[10],
    "mdbf_envs.joint_ads.learners.xǁAugmentTheBestǁpost__mutmut_10": REASONS[11],
    "mdbf_envs.joint_ads.learners.xǁAugmentTheBestǁpost__mutmut_12": REASONS[11],
    "mdbf_envs.joint_ads.batched.xǁLeaderBatchǁpost__mutmut_12": REASONS[11],
    "mdbf_envs.joint_ads.batched.xǁLeaderBatchǁpost__mutmut_14": REASONS[11],
    "mdbf_envs.joint_ads.learners.xǁ_Leaderǁ__init____mutmut_8": REASONS[11],
    "mdbf_envs.joint_ads.learners.xǁ_Leaderǁ__init____mutmut_12": REASONS[11],
    "mdbf_envs.joint_ads.learners.xǁ_Leaderǁ__init____mutmut_13": REASONS[11],
    "mdbf_envs.joint_ads.learners.xǁ_Leaderǁ__init____mutmut_14": REASONS[11],
    "mdbf_envs.joint_ads.batched.xǁLeaderBatchǁ__init____mutmut_22": REASONS[11],
    "mdbf_envs.joint_ads.batched.xǁLeaderBatchǁ__init____mutmut_26": REASONS[11],
    "mdbf_envs.joint_ads.batched.xǁLeaderBatchǁ__init____mutmut_27": REASONS[11],
    "mdbf_envs.joint_ads.batched.xǁLeaderBatchǁupdate__mutmut_7": REASONS[11],
    "mdbf_envs.joint_ads.batched.xǁPathLearningBatchǁpost__mutmut_34": REASONS[12],
    "mdbf_envs.joint_ads.optimal.x_augment__mutmut_4": REASONS[13],
    "mdbf_envs.joint_ads.mechanism.xǁStaircaseǁup_closure__mutmut_14": REASONS[13],
    "mdbf_envs.joint_ads.mechanism.xǁThresholdMechanismǁ_threshold__mutmut_8": REASONS[14],
    "mdbf_envs.joint_ads.mechanism.xǁThresholdMechanismǁ_threshold__mutmut_43": REASONS[14],
    "mdbf_envs.joint_ads.paths.x_edge_terms__mutmut_3": REASONS[0],
    "mdbf_envs.joint_ads.paths.x_edge_terms__mutmut_5": REASONS[0],
    "mdbf_envs.joint_ads.paths.x_decomposed_revenue__mutmut_4": REASONS[0],
    "mdbf_envs.joint_ads.paths.x_decomposed_revenue__mutmut_6": REASONS[0],
    "mdbf_envs.joint_ads.paths.x_expected_revenue_uniform__mutmut_3": REASONS[0],
    "mdbf_envs.joint_ads.paths.x_expected_revenue_uniform__mutmut_5": REASONS[0],
    "mdbf_envs.joint_ads.paths.x_expected_revenue_uniform__mutmut_8": REASONS[0],
    "mdbf_envs.joint_ads.paths.x_expected_revenue_uniform__mutmut_10": REASONS[0],
    "mdbf_envs.joint_ads.paths.x_grid_paths__mutmut_24": REASONS[0],
    "mdbf_envs.joint_ads.paths.x_grid_paths__mutmut_26": REASONS[0],
    "mdbf_envs.joint_ads.paths.x_decomposed_revenue__mutmut_15": REASONS[2],
    "mdbf_envs.joint_ads.paths.x_expected_revenue_uniform__mutmut_11": REASONS[15],
    "mdbf_envs.joint_ads.paths.x_expected_revenue_uniform__mutmut_12": REASONS[15],
    "mdbf_envs.joint_ads.paths.x_expected_revenue_uniform__mutmut_46": REASONS[15],
    "mdbf_envs.joint_ads.paths.x_expected_revenue_uniform__mutmut_74": REASONS[15],
    "mdbf_envs.joint_ads.paths.x_grid_paths__mutmut_14": REASONS[16],
    "mdbf_envs.joint_ads.optimal.x_best_posted_prices__mutmut_23": REASONS[17],
    "mdbf_envs.joint_ads.optimal.x_best_posted_prices__mutmut_28": REASONS[17],
    "mdbf_envs.joint_ads.optimal.x_best_posted_prices__mutmut_29": REASONS[17],
    "mdbf_envs.joint_ads.optimal.x_best_posted_prices__mutmut_31": REASONS[17],
    "mdbf_envs.joint_ads.optimal.x_best_posted_prices__mutmut_36": REASONS[17],
    "mdbf_envs.joint_ads.optimal.x_best_posted_prices__mutmut_37": REASONS[17],
    "mdbf_envs.joint_ads.optimal.x_best_path__mutmut_11": REASONS[18],
    "mdbf_envs.joint_ads.optimal.x_best_path__mutmut_12": REASONS[18],
    "mdbf_envs.joint_ads.learners.xǁ_Leaderǁ__init____mutmut_1": REASONS[19],
    "mdbf_envs.joint_ads.optimal.x__weights__mutmut_15": REASONS[0],
    "mdbf_envs.joint_ads.optimal.x__weights__mutmut_17": REASONS[0],
    "mdbf_envs.joint_ads.optimal.x__weights__mutmut_25": "min(initial=1) < 0 and min(initial=0) < 0 hold for the same weights",
    "mdbf_envs.joint_ads.paths.x_edge_weights__mutmut_2": REASONS[0],
    "mdbf_envs.joint_ads.paths.x_edge_weights__mutmut_4": REASONS[0],
    "mdbf_envs.core.paired_engine.xǁPairedGameǁreset__mutmut_1": REASONS[20],
    "mdbf_envs.core.paired_engine.xǁPairedGameǁrun__mutmut_1": REASONS[20],
    "mdbf_envs.core.paired_engine.xǁPairedGameǁclear__mutmut_24": REASONS[21],
    "mdbf_envs.core.paired_engine.xǁPairedGameǁstep__mutmut_7": REASONS[0],
    "mdbf_envs.core.paired_engine.xǁPairedGameǁstep__mutmut_9": REASONS[0],
    "mdbf_envs.core.paired_engine.xǁPairedGameǁstep__mutmut_11": REASONS[1],
    "mdbf_envs.core.paired_engine.xǁPairedGameǁrun__mutmut_26": REASONS[0],
    "mdbf_envs.core.paired_engine.xǁPairedGameǁrun__mutmut_28": REASONS[0],
    "mdbf_envs.core.paired_engine.xǁPairedGameǁrun__mutmut_35": REASONS[22],
    "mdbf_envs.vcg_learn.schedule.xǁBracketClockǁ__init____mutmut_10": REASONS[6],
    "mdbf_envs.vcg_learn.schedule.xǁBracketClockǁ__init____mutmut_12": REASONS[6],
    "mdbf_envs.vcg_learn.schedule.x_covering_schedule__mutmut_10": REASONS[23],
    "mdbf_envs.vcg_learn.schedule.x_covering_schedule__mutmut_58": REASONS[24],
    "mdbf_envs.vcg_learn.schedule.x_covering_schedule__mutmut_62": REASONS[24],
    "mdbf_envs.vcg_learn.schedule.x_covering_schedule__mutmut_69": REASONS[24],
    "mdbf_envs.vcg_learn.schedule.x_covering_schedule__mutmut_70": REASONS[24],
    "mdbf_envs.vcg_learn.schedule.x_covering_schedule__mutmut_76": REASONS[24],
    "mdbf_envs.vcg_learn.schedule.x_covering_schedule__mutmut_78": REASONS[24],
    "mdbf_envs.vcg_learn.schedule.x_covering_schedule__mutmut_80": REASONS[25],
    "mdbf_envs.vcg_learn.schedule.x_covering_schedule__mutmut_82": REASONS[4],
    "mdbf_envs.vcg_learn.vcg.xǁEnumeratedOutcomesǁ_by_outcome__mutmut_4": REASONS[11],
    "mdbf_envs.vcg_learn.vcg.xǁEnumeratedOutcomesǁ_by_outcome__mutmut_5": REASONS[11],
    "mdbf_envs.vcg_learn.vcg.xǁEnumeratedOutcomesǁ_by_outcome__mutmut_19": REASONS[1],
    "mdbf_envs.vcg_learn.vcg.xǁEnumeratedOutcomesǁ_aligned__mutmut_3": REASONS[0],
    "mdbf_envs.vcg_learn.vcg.xǁEnumeratedOutcomesǁ_aligned__mutmut_5": REASONS[0],
    "mdbf_envs.vcg_learn.vcg.xǁEnumeratedOutcomesǁ_aligned__mutmut_6": REASONS[29],
    "mdbf_envs.vcg_learn.vcg.xǁEnumeratedOutcomesǁ_aligned__mutmut_9": REASONS[29],
    "mdbf_envs.vcg_learn.vcg.xǁEnumeratedOutcomesǁ_aligned__mutmut_42": REASONS[1],
    "mdbf_envs.vcg_learn.vcg.xǁEnumeratedOutcomesǁargmax_welfare__mutmut_16": REASONS[4],
    "mdbf_envs.vcg_learn.vcg.xǁEnumeratedOutcomesǁargmax_welfare__mutmut_21": REASONS[26],
    "mdbf_envs.vcg_learn.vcg.xǁEnumeratedOutcomesǁmax_welfare_without__mutmut_24": REASONS[26],
    "mdbf_envs.vcg_learn.vcg.x_values_at__mutmut_10": REASONS[27],
    "mdbf_envs.vcg_learn.vcg.x_values_at__mutmut_13": REASONS[28],
    "mdbf_envs.vcg_learn.vcg.x_values_at__mutmut_14": REASONS[28],
    "mdbf_envs.vcg_learn.vcg.x_values_at__mutmut_15": REASONS[28],
    "mdbf_envs.vcg_learn.vcg.x_values_at__mutmut_16": REASONS[28],
    "mdbf_envs.vcg_learn.vcg.x_values_at__mutmut_17": REASONS[28],
    "mdbf_envs.vcg_learn.vcg.x_values_at__mutmut_18": REASONS[28],
    "mdbf_envs.vcg_learn.vcg.x_values_at__mutmut_52": REASONS[26],
    "mdbf_envs.vcg_learn.vcg.x_seller_value_at__mutmut_3": REASONS[0],
    "mdbf_envs.vcg_learn.vcg.x_seller_value_at__mutmut_5": REASONS[0],
    "mdbf_envs.vcg_learn.vcg.x_seller_value_at__mutmut_30": REASONS[26],
    "mdbf_envs.vcg_learn.vcg.x_vcg__mutmut_3": REASONS[0],
    "mdbf_envs.vcg_learn.vcg.x_vcg__mutmut_5": REASONS[0],
    "mdbf_envs.vcg_learn.mechanism.x_confidence_width__mutmut_3": REASONS[0],
    "mdbf_envs.vcg_learn.mechanism.x_confidence_width__mutmut_5": REASONS[0],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁ__init____mutmut_109": REASONS[0],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁ__init____mutmut_111": REASONS[0],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁ__init____mutmut_147": REASONS[0],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁ__init____mutmut_149": REASONS[0],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁ__init____mutmut_202": REASONS[32],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁreset__mutmut_21": REASONS[33],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁreset__mutmut_22": REASONS[33],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁestimates__mutmut_8": REASONS[30],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁestimates__mutmut_26": REASONS[31],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁestimates__mutmut_29": REASONS[31],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁestimates__mutmut_64": REASONS[30],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁestimates__mutmut_69": REASONS[30],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁpropose__mutmut_6": REASONS[34],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁprices__mutmut_26": REASONS[36],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁ_bound__mutmut_2": REASONS[35],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁobserve__mutmut_9": REASONS[0],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁobserve__mutmut_11": REASONS[0],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁobserve__mutmut_67": REASONS[0],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁobserve__mutmut_69": REASONS[0],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁobserve__mutmut_48": REASONS[1],
    "mdbf_envs.vcg_learn.mechanism.xǁVCGLearnǁobserve__mutmut_53": REASONS[1],
}
"""Surviving mutants that change no behaviour (mutmut 3.8.1 names): mutant name -> why."""

STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    -9: "timeout",
    None: "not checked",
}
"""mutmut's exit codes; -9 is a mutant that hung and was killed (:func:`kill_hung_mutants`)."""

HANG_SECONDS = 60
"""A mutant's test run that lasts longer has hung: mutmut limits CPU time, which a process that
waits (on a worker, a pipe) never uses up. A pass's whole test selection takes 10-40 s here."""


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
    files = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.split()
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
        # which tests reach which function: collected again, or new functions have "no tests"
        (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    else:
        prepare(name)
    env = {**os.environ, **dict(PASSES[name].env), "PYTHONPATH": str(work)}
    stop = threading.Event()
    watchdog = threading.Thread(target=kill_hung_mutants, args=(stop,), daemon=True)
    watchdog.start()
    try:
        subprocess.run(["mutmut", "run", "--max-children", str(children)], cwd=work, env=env, check=True)
        survivors = [
            m
            for _, (n, statuses) in results().items()
            if n == name
            for m, s in statuses.items()
            if s in ("survived", "no tests")
        ]
        if retest and survivors:  # mutmut keeps a survivor's verdict; the new tests may kill it
            subprocess.run(
                ["mutmut", "run", "--max-children", str(children), *survivors], cwd=work, env=env, check=True
            )
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
        rows[module] = {
            "mutants": len(statuses),
            "killed": caught,
            "survived": count["survived"] + count["no tests"] - equivalent,
            "no_tests": count["no tests"],
            "equivalent": equivalent,
            "not_checked": count["not checked"],
            "score": caught / considered if considered else None,
        }
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python scripts/mutation_score.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--report", action="store_true", help="print the table of the last run")
    parser.add_argument("--survivors", action="store_true", help="show every survivor's diff")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--passes", nargs="+", choices=tuple(PASSES), default=tuple(PASSES))
    parser.add_argument(
        "--retest",
        action="store_true",
        help="rerun the passes on the current code, keeping the last results where nothing changed",
    )
    args = parser.parse_args(argv)
    if not (args.report or args.survivors):
        for name in args.passes:
            run(name, args.children, args.retest)
    by_module = results()
    if args.survivors:
        for name, statuses in by_module.values():
            for mutant, status in statuses.items():
                if status in ("survived", "no tests") and mutant not in EQUIVALENT:
                    diff = subprocess.run(
                        ["mutmut", "show", mutant], cwd=WORK / name, capture_output=True, text=True, check=True
                    ).stdout
                    print(f"## {mutant} ({status})\n{diff}")
        return
    rows = table(by_module)
    print(f"mutation score, {date.today()} (killed / (mutants - equivalent); >= 85% wanted)")
    print(f"{'module':<36} {'mutants':>7} {'killed':>6} {'survived':>8} {'(no test)':>9} {'equiv.':>6} {'score':>6}")
    for module, r in rows.items():
        score = "-" if r["score"] is None else f"{r['score']:.1%}"
        print(
            f"{module:<36} {r['mutants']:>7} {r['killed']:>6} {r['survived']:>8} {r['no_tests']:>9} "
            f"{r['equivalent']:>6} {score:>6}"
        )
    (WORK / "scores.json").write_text(json.dumps({"date": str(date.today()), "modules": rows}, indent=2))
    if any(r["not_checked"] for r in rows.values()):
        sys.exit("some mutants were not checked: the run did not finish")


if __name__ == "__main__":
    main()
