"""Statistics of paired gains: t-intervals, Holm's correction, staged confirmation, found ratios.

A gain is the mean of per-pair differences U^pi_iT - U_iT on common random numbers, so its
interval is a one-sample t-interval (scipy's ``ttest_1samp`` and its ``confidence_interval``),
two-sided. Holm's step-down procedure controls the family-wise error over many rows.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

ALPHA = 0.05


def t_summary(gains: np.ndarray, alpha: float = ALPHA) -> dict:
    """Mean, standard error, the two-sided (1 - ``alpha``) t-interval and the two-sided p-value
    of "mean gain = 0". With fewer than two pairs the interval is unknown (None), never
    infinite; with zero spread the interval is the point and p is 0 (or 1 at exactly 0)."""
    x = np.asarray(gains, dtype=np.float64)
    n, mean = len(x), float(np.mean(x))
    if n < 2:
        return {"gain_mean": mean, "gain_se": None, "gain_ci95": [None, None], "p_value": 1.0, "n_pairs": n}
    se = float(np.std(x, ddof=1) / np.sqrt(n))
    if se <= 1e-12 * (1.0 + abs(mean)):  # constant up to rounding: no spread to test with
        return {
            "gain_mean": mean,
            "gain_se": 0.0,
            "gain_ci95": [mean, mean],
            "p_value": 1.0 if mean == 0 else 0.0,
            "n_pairs": n,
        }
    test = stats.ttest_1samp(x, 0.0)
    ci = test.confidence_interval(1 - alpha)
    return {
        "gain_mean": mean,
        "gain_se": se,
        "gain_ci95": [float(ci.low), float(ci.high)],
        "p_value": float(test.pvalue),
        "n_pairs": n,
    }


def holm(p_values: list[float], alpha: float = ALPHA) -> list[bool]:
    """Holm's step-down test: which hypotheses are rejected with family-wise error at most
    ``alpha`` (sorted p-values p_(k), k = 0.., are compared with alpha / (m - k) until the first
    that exceeds it)."""
    order = np.argsort(p_values, kind="stable")
    reject = [False] * len(p_values)
    for rank, k in enumerate(order):
        if p_values[k] > alpha / (len(p_values) - rank):
            break
        reject[k] = True
    return reject


def verdict(mean: float, significant: bool) -> str:
    """One word for a row after the correction: gain, loss or none."""
    return ("gain" if mean > 0 else "loss") if significant else "none"


def found_ratio(learned: np.ndarray, best: np.ndarray, rng: np.random.Generator, draws: int = 2000) -> dict:
    """mean(learned) / mean(best) over the same pairs, with a 95% percentile bootstrap interval
    that resamples the pairs (both arrays share them)."""
    learned, best = np.asarray(learned, float), np.asarray(best, float)
    idx = rng.integers(0, len(best), (draws, len(best)))
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero mean of the best: no finite ratio
        ratio = float(learned.mean() / best.mean())
        boot = learned[idx].mean(1) / best[idx].mean(1)
    boot = boot[np.isfinite(boot)]  # resamples whose denominator is 0 say nothing of the ratio
    if boot.size == 0:
        return {"found": ratio, "found_ci95": [None, None]}
    low, high = np.percentile(boot, [2.5, 97.5])
    return {"found": ratio, "found_ci95": [float(low), float(high)]}
