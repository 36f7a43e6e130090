"""Scripted reporting strategies: VCG-Learn's realisation agents and joint-ads buyers.

Each strategy is a batch function of an agent's decoded observation fields
(:meth:`ObservationBuilder.decode`), ``{name: (R, width)}``, and a Generator, returning reports
``(R,)``. None reads its own past reports (``reads_own_reports = False``), and only
:class:`Noisy` draws randomness (``stochastic``); see :class:`mdbf_envs.core.paired_engine.ReportBlind`.
Those that report factor X + offset + weight (own mean of the allocation) by phase and
allocation say so (``affine_report``, :class:`mdbf_envs.vcg_learn.compiled_paired.AffineReports`),
so the paired market can play them compiled.
Every env's ``others`` takes them as they are (the plain views, the manipulation envs and the
audit), so every strategy runs everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _x(fields: dict[str, np.ndarray]) -> np.ndarray:
    return fields["realised"][:, 0].astype(np.float64)


def _affine(
    n_allocations: int,
    factor: float | np.ndarray = 1.0,
    offset: float | np.ndarray = 0.0,
    phases: tuple[int, ...] = (0, 1),
) -> np.ndarray:
    """``(2, 3, |S|)`` [phase (exploit, explore)][factor, offset, own-mean weight][s]: Y = factor X
    + offset in ``phases``, Y = X in the other (no weight on the own mean)."""
    table = np.zeros((2, 3, n_allocations))
    table[:, 0] = 1.0
    for phase in phases:
        table[phase, 0], table[phase, 1] = factor, offset
    return table


@dataclass(frozen=True)
class Truthful:
    """Y = X."""

    reads_own_reports = False
    stochastic = False

    def __call__(self, fields, rng):
        return _x(fields)

    def affine_report(self, n_allocations: int) -> np.ndarray:
        return _affine(n_allocations)


@dataclass(frozen=True)
class Scale:
    """Y = phi_s(X) = factor_s X for the allocation s just received (paper 1's own example of
    squashing or amplifying, Sec. 2). Allocations past the given factors keep factor 1."""

    reads_own_reports = False
    stochastic = False

    factors: tuple[float, ...]

    def factor(self, n_allocations: int) -> np.ndarray:
        """``(|S|,)`` factor_s, 1 past the given factors."""
        factor = np.ones(n_allocations)
        factor[: len(self.factors)] = self.factors
        return factor

    def __call__(self, fields, rng):
        allocation = fields["allocation"]
        return _x(fields) * (allocation @ self.factor(allocation.shape[-1]))

    def affine_report(self, n_allocations: int) -> np.ndarray:
        return _affine(n_allocations, self.factor(n_allocations))


@dataclass(frozen=True)
class KnownValues:
    """Y = v_i(s): report one's own *mean* value for the allocation s just received. Knows the
    agent's values (``knows_values``): the exact best response under explore-then-commit
    (docs/exact_optimum.md), the denominator of the audit's found figure there."""

    reads_own_reports = False
    stochastic = False
    knows_values = True

    values: tuple[float, ...]  # v_i(s) for each allocation s

    def __call__(self, fields, rng):
        return fields["allocation"] @ np.asarray(self.values, dtype=np.float64)

    def affine_report(self, n_allocations: int) -> np.ndarray:
        return _affine(n_allocations, 0.0, np.asarray(self.values, dtype=np.float64))


@dataclass(frozen=True)
class Shade:
    """Y = X - amount (a constant shade; negative amounts inflate)."""

    reads_own_reports = False
    stochastic = False

    amount: float

    def __call__(self, fields, rng):
        return _x(fields) - self.amount

    def affine_report(self, n_allocations: int) -> np.ndarray:
        return _affine(n_allocations, 1.0, -self.amount)


@dataclass(frozen=True)
class Noisy:
    """Y = X + N(0, sd^2)."""

    reads_own_reports = False
    stochastic = True

    sd: float

    def __call__(self, fields, rng):
        x = _x(fields)
        return x + self.sd * rng.standard_normal(x.shape)


@dataclass(frozen=True)
class PhaseShade:
    """Non-stationary: shade by ``amount`` only in explore rounds (``phase="explore"``) or only
    in exploit rounds (``phase="exploit"``)."""

    reads_own_reports = False
    stochastic = False

    amount: float
    phase: str = "explore"

    def __call__(self, fields, rng):
        explore = fields["explore"][:, 0]
        active = explore if self.phase == "explore" else 1.0 - explore
        return _x(fields) - self.amount * active

    def affine_report(self, n_allocations: int) -> np.ndarray:
        return _affine(n_allocations, 1.0, -self.amount, (1,) if self.phase == "explore" else (0,))


@dataclass(frozen=True)
class OwnMean:
    """Y = the agent's mean realised value for its current allocation over every round so far
    (this one included): a lower-variance report than X, using only the agent's own data."""

    reads_own_reports = False
    stochastic = False

    def __call__(self, fields, rng):
        return (fields["own_mean"] * fields["allocation"]).sum(-1).astype(np.float64)

    def affine_report(self, n_allocations: int) -> np.ndarray:
        table = np.zeros((2, 3, n_allocations))
        table[:, 2] = 1.0  # Y = 0 X + 0 + 1 (own mean)
        return table


def scripted() -> dict[str, object]:
    """The default scripted strategies of the audit, by name (scales act on allocation 0,
    e.g. the item in the single-item scenario)."""
    return {
        "scale_0.8": Scale((0.8,)),
        "scale_1.2": Scale((1.2,)),
        "shade_0.1": Shade(0.1),
        "inflate_0.1": Shade(-0.1),
        "noisy_0.2": Noisy(0.2),
        "explore_shade_0.3": PhaseShade(0.3, "explore"),
        "exploit_shade_0.3": PhaseShade(0.3, "exploit"),
        "own_mean": OwnMean(),
    }


def _value(fields: dict[str, np.ndarray]) -> np.ndarray:
    return fields["value"][:, 0].astype(np.float64)


@dataclass(frozen=True)
class BidScale:
    """Joint ads: bid factor x v (factor < 1 shades), from ``start`` (a fraction of T) until
    ``stop``, truthful outside."""

    factor: float
    start: float = 0.0
    stop: float = 1.0

    def __call__(self, fields, rng):
        t = fields["time"][:, 0]
        active = (t >= self.start) & (t < self.stop)
        return np.where(active, self.factor, 1.0) * _value(fields)


@dataclass(frozen=True)
class LastPrice:
    """Joint ads: bid the critical price paid the last time the ad was shown, if the value
    covers it, else the value: the cheapest bid that won before (the buyer's running guess at
    its best bid)."""

    def __call__(self, fields, rng):
        v, paid = _value(fields), fields["last_payment"][:, 0]
        shown = fields["last_allocated"][:, 0] > 0
        return np.where(shown & (paid <= v), paid, v)


def scripted_bids() -> dict[str, object]:
    """The default scripted strategies of the joint-ads audit, by name."""
    return {
        "bid_0.8v": BidScale(0.8),
        "bid_0.5v": BidScale(0.5),
        "zero_first_half": BidScale(0.0, 0.0, 0.5),
        "shade_0.5_first_quarter": BidScale(0.5, 0.0, 0.25),
        "last_price": LastPrice(),
    }
