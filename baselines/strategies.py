"""Scripted reporting strategies for VCG-Learn's realisation agents.

Each strategy is a batch function of an agent's decoded observation fields
(:meth:`ObservationBuilder.decode`), ``{name: (R, width)}``, and a Generator, returning reports
``(R,)``. :func:`as_policy` turns one into a policy for the PettingZoo env and the Gymnasium
view, so every strategy runs in every env and in the audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pettingzoo import ParallelEnv


def _x(fields: dict[str, np.ndarray]) -> np.ndarray:
    return fields["realised"][:, 0].astype(np.float64)


@dataclass(frozen=True)
class Truthful:
    """Y = X."""

    def __call__(self, fields, rng):
        return _x(fields)


@dataclass(frozen=True)
class Scale:
    """Y = phi_s(X) = factor_s X for the allocation s just received (paper 1's own example of
    squashing or amplifying, Sec. 2). Allocations past the given factors keep factor 1."""

    factors: tuple[float, ...]

    def __call__(self, fields, rng):
        allocation = fields["allocation"]
        factor = np.ones(allocation.shape[-1])
        factor[: len(self.factors)] = self.factors
        return _x(fields) * (allocation @ factor)


@dataclass(frozen=True)
class Shade:
    """Y = X - amount (a constant shade; negative amounts inflate)."""

    amount: float

    def __call__(self, fields, rng):
        return _x(fields) - self.amount


@dataclass(frozen=True)
class Noisy:
    """Y = X + N(0, sd^2)."""

    sd: float

    def __call__(self, fields, rng):
        x = _x(fields)
        return x + self.sd * rng.standard_normal(x.shape)


@dataclass(frozen=True)
class PhaseShade:
    """Non-stationary: shade by ``amount`` only in explore rounds (``phase="explore"``) or only
    in exploit rounds (``phase="exploit"``)."""

    amount: float
    phase: str = "explore"

    def __call__(self, fields, rng):
        explore = fields["explore"][:, 0]
        active = explore if self.phase == "explore" else 1.0 - explore
        return _x(fields) - self.amount * active


@dataclass(frozen=True)
class OwnMean:
    """Y = the agent's mean realised value for its current allocation over every round so far
    (this one included): a lower-variance report than X, using only the agent's own data."""

    def __call__(self, fields, rng):
        return (fields["own_mean"] * fields["allocation"]).sum(-1).astype(np.float64)


@dataclass(frozen=True)
class Parametric:
    """Y = (1 + theta_0) X + theta_1 + explore (theta_2 + theta_3 X): a family that contains
    truthful play (theta = 0), scaling, shading and phase-timed lies. :func:`random_search`
    tunes it as the non-RL reference the RL manipulator should beat."""

    theta: tuple[float, float, float, float]

    def __call__(self, fields, rng):
        x, e = _x(fields), fields["explore"][:, 0]
        t0, t1, t2, t3 = self.theta
        return (1 + t0) * x + t1 + e * (t2 + t3 * x)


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


def random_search(objective, n_candidates: int, rng: np.random.Generator, scale: Sequence[float] = (0.3, 0.2, 0.3, 0.3)):
    """Best :class:`Parametric` strategy among ``n_candidates`` Gaussian draws (and theta = 0)
    under ``objective(strategy) -> float`` (higher is better). Returns (strategy, value)."""
    candidates = [np.zeros(4)] + [rng.standard_normal(4) * np.asarray(scale) for _ in range(n_candidates)]
    scored = [(objective(Parametric(tuple(map(float, th)))), k) for k, th in enumerate(candidates)]
    value, k = max(scored)
    return Parametric(tuple(map(float, candidates[k]))), value


def as_policy(strategy):
    """A policy ``(env, agent, obs, rng) -> action`` for the VCG-Learn envs, clipped to the
    env's report bounds (the strategy's reports, not the agent's action, are clipped)."""

    def policy(env: ParallelEnv, agent: str, obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        space = env.action_space(agent)
        report = strategy(env.decode(np.asarray(obs)[None]), rng)
        return np.clip(np.float32(report), space.low, space.high)

    return policy
