"""The :class:`Scenario`: who takes part, what can happen, and what it is worth.

*Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica), Sec. 2 (the model).

A scenario fixes n agents, a finite allocation set S, the outcome table Omega (outcome
``o`` gives agent ``i`` the allocation ``outcomes[o, i]``, i.e. s_i(omega)), the seller's
value v_0(omega), and for every (agent, allocation) a value distribution P(. | i, s) with
mean v_i(s) in [0, 1] and a sub-Gaussian constant sigma_i(s).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from mdbf_envs.vcg_learn.vcg import EnumeratedOutcomes, OutcomeOptimizer

if TYPE_CHECKING:
    from mdbf_envs.core.streams import ReplicationStreams

NOISE_FAMILIES: tuple[str, ...] = ("gaussian", "bernoulli", "deterministic")
"""Value noise families; the index of a family is its code in :attr:`Scenario.noise`."""
GAUSSIAN, BERNOULLI, DETERMINISTIC = range(3)


class ScenarioError(ValueError):
    """A scenario's tables are inconsistent or out of range."""


def _array(name: str, value: ArrayLike, dtype: type, ndim: int) -> np.ndarray:
    try:
        given = np.asarray(value)
        arr = np.array(value, dtype=dtype)
    except (ValueError, TypeError) as err:
        raise ScenarioError(f"{name} = {value!r} is not a regular table of {np.dtype(dtype).name}: {err}") from None
    if arr.dtype.kind == "i" and given.dtype.kind == "f" and np.any(given != arr):  # refuse 0.5, never truncate it
        bad = np.argwhere(given != arr)[0]
        raise ScenarioError(f"{name} must hold integers (indices); {name}{bad.tolist()} = {given[tuple(bad)]}")
    if arr.ndim != ndim:
        raise ScenarioError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ScenarioError(f"{name}{bad.tolist()} = {arr[tuple(bad)]} is not finite")
    arr.setflags(write=False)
    return arr


MAX_OUTCOMES = 10**5
"""The most outcomes a builder may enumerate (each is a row of the outcome table, searched
every exploit round); larger spaces take a solver (``online_ads(enumerate_outcomes=False)``)."""


def check_enumerable(name: str, outcomes: int) -> None:
    """Refuse a builder argument that would enumerate more than :data:`MAX_OUTCOMES` outcomes."""
    if outcomes > MAX_OUTCOMES:
        shown = f"{float(outcomes):.3g}" if outcomes < 10**300 else "over 1e300"
        raise ValueError(f"{name} gives {shown} outcomes to enumerate; at most {MAX_OUTCOMES:g} are searched")


MAX_NOISE_SD = 1e6
"""The largest noise sd a scenario may have: a realised value must stay far inside float32
(the envs' observations), and every report of noise this large is clipped to the report space
anyway."""


@dataclass(frozen=True, eq=False)
class Scenario:
    """A repeated-mechanism scenario (paper 1, Sec. 2). Arrays are validated and read-only.

    Attributes:
        name: identifier, used by the registry and in result files.
        allocations: labels of the allocation set S.
        outcomes: ``(|Omega|, n)`` ints, ``outcomes[o, i] = s_i(omega_o)``; or an outcome space
            object (e.g. :class:`mdbf_envs.vcg_learn.assignment.AssignmentOutcomes`) for spaces too large
            to enumerate. :attr:`space` is the outcome space either way.
        seller_value: ``(|Omega|,)`` the seller's value v_0(omega) (negative = cost); a scalar
            (constant v_0) with an outcome space object.
        mean: ``(n, |S|)`` expected values v_i(s) in [0, 1].
        noise: ``(n, |S|)`` noise family codes (index into :data:`NOISE_FAMILIES`).
        noise_sd: ``(n, |S|)`` standard deviation of the Gaussian family (ignored otherwise).
        known: ``(n, |S|)`` True where the mechanism knows v_i(s) a priori (e.g. the zero value
            of not being served); known pairs are never estimated and have zero width.
        seller_noise_sd: sd of the seller's realised value around v_0, used only by the
            unknown-seller-value variant of VCG-Learn.
        agent_names: labels of the agents.
    """

    name: str
    allocations: tuple[str, ...]
    outcomes: np.ndarray
    seller_value: np.ndarray
    mean: np.ndarray
    noise: np.ndarray
    noise_sd: np.ndarray
    known: np.ndarray = field(default=None)  # type: ignore[assignment]
    seller_noise_sd: float = 0.0
    agent_names: tuple[str, ...] = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "allocations", tuple(str(a) for a in self.allocations))
        n_alloc = len(self.allocations)
        if isinstance(self.outcomes, OutcomeOptimizer):
            space = self.outcomes
            n_outcomes, n = space.n_outcomes, space.n_agents
            seller_value = _array("seller_value", self.seller_value, np.float64, 0)
            shown = space.allocations(space.covering_schedule(np.ones((n, n_alloc), bool)))
            if shown.max() >= n_alloc:
                raise ScenarioError(f"the outcome space uses {shown.max() + 1} allocations, |S|={n_alloc}")
        else:
            outcomes = _array("outcomes", self.outcomes, np.int64, 2)
            n_outcomes, n = outcomes.shape
            if n_outcomes == 0 or n == 0 or n_alloc == 0:
                raise ScenarioError(
                    f"need at least one outcome, agent and allocation, got |Omega|={n_outcomes}, n={n}, |S|={n_alloc}"
                )
            if outcomes.min() < 0 or outcomes.max() >= n_alloc:
                raise ScenarioError(
                    f"outcomes hold allocation indices in [{outcomes.min()}, {outcomes.max()}], "
                    f"outside [0, {n_alloc - 1}] for |S|={n_alloc}"
                )
            put(self, "outcomes", outcomes)
            space, shown = EnumeratedOutcomes(outcomes), outcomes
            seller_value = _array("seller_value", self.seller_value, np.float64, 1)
            if seller_value.shape != (n_outcomes,):
                raise ScenarioError(
                    f"seller_value has shape {seller_value.shape}, expected ({n_outcomes},) for {n_outcomes} outcomes"
                )
        put(self, "space", space)
        put(self, "seller_value", seller_value)
        table_shape = (n, n_alloc)
        for name in ("mean", "noise_sd"):
            arr = _array(name, getattr(self, name), np.float64, 2)
            if arr.shape != table_shape:
                raise ScenarioError(f"{name} has shape {arr.shape}, expected (n, |S|)={table_shape}")
            put(self, name, arr)
        if self.mean.min() < 0 or self.mean.max() > 1:
            bad = np.argwhere((self.mean < 0) | (self.mean > 1))[0]
            raise ScenarioError(f"mean{bad.tolist()} = {self.mean[tuple(bad)]} is outside [0, 1]")
        if self.noise_sd.min() < 0:
            bad = np.argwhere(self.noise_sd < 0)[0]
            raise ScenarioError(f"noise_sd{bad.tolist()} = {self.noise_sd[tuple(bad)]} is negative")
        if self.noise_sd.max() > MAX_NOISE_SD:
            bad = np.argwhere(self.noise_sd > MAX_NOISE_SD)[0]
            raise ScenarioError(
                f"noise_sd{bad.tolist()} = {self.noise_sd[tuple(bad)]} must be <= {MAX_NOISE_SD:g} "
                "(larger noise overflows the envs' float32 observations and rewards)"
            )
        noise = np.array(self.noise)
        if noise.dtype.kind in "USO":
            unknown = set(noise.ravel()) - set(NOISE_FAMILIES)
            if unknown:
                raise ScenarioError(f"unknown noise families {sorted(unknown)}; use {NOISE_FAMILIES}")
            noise = np.vectorize(NOISE_FAMILIES.index)(noise)
        noise = _array("noise", noise, np.int64, 2)
        if noise.shape != table_shape or noise.min() < 0 or noise.max() >= len(NOISE_FAMILIES):
            raise ScenarioError(f"noise must be (n, |S|)={table_shape} codes in [0, 2]")
        put(self, "noise", noise)
        put(self, "_any_gaussian", bool((noise == GAUSSIAN).any()))
        put(self, "_gaussian_sd", np.where(noise == GAUSSIAN, self.noise_sd, 0.0))
        put(self, "_any_bernoulli", bool((noise == BERNOULLI).any()))
        known = np.zeros(table_shape, bool) if self.known is None else self.known
        known = _array("known", known, bool, 2)
        if known.shape != table_shape:
            raise ScenarioError(f"known has shape {known.shape}, expected (n, |S|)={table_shape}")
        put(self, "known", known)
        if not np.isfinite(self.seller_noise_sd) or self.seller_noise_sd < 0:
            raise ScenarioError(f"seller_noise_sd = {self.seller_noise_sd} must be finite and >= 0")
        names = tuple(f"agent_{i}" for i in range(n)) if self.agent_names is None else self.agent_names
        if len(names) != n or len(set(names)) != n:
            raise ScenarioError(f"agent_names must be {n} distinct names, got {names}")
        put(self, "agent_names", tuple(names))
        reach = np.zeros(table_shape, bool)
        reach[np.arange(n)[None, :], shown] = True
        if not reach.all():
            i, s = np.argwhere(~reach)[0]
            raise ScenarioError(f"agent {names[i]} never gets allocation {self.allocations[s]!r} in any outcome")

    @property
    def n_agents(self) -> int:
        """Number of agents n."""
        return self.space.n_agents

    @property
    def n_allocations(self) -> int:
        """Size of the allocation set |S|."""
        return len(self.allocations)

    @property
    def n_outcomes(self) -> int:
        """Size of the outcome set |Omega|."""
        return self.space.n_outcomes

    @property
    def sigma(self) -> np.ndarray:
        """``(n, |S|)`` sub-Gaussian constants: sd (Gaussian), 1/2 (Bernoulli), 0 (deterministic)."""
        return np.where(self.noise == GAUSSIAN, self.noise_sd, np.where(self.noise == BERNOULLI, 0.5, 0.0))

    @property
    def draws(self) -> tuple[str, ...]:
        """The generator methods :meth:`realise` calls each round, in order (each draws one
        number per replication and agent)."""
        return ("standard_normal",) * self._any_gaussian + ("random",) * self._any_bernoulli

    def realise(self, outcome: np.ndarray, rng: np.random.Generator | ReplicationStreams) -> np.ndarray:
        """Draw realised values X_i ~ P(. | i, s_i(omega)) for a batch of outcomes.

        Args:
            outcome: ``(R,)`` outcome indices, one per replication.
            rng: the random source: a generator, or :class:`~mdbf_envs.core.streams.ReplicationStreams`
                (one generator per replication). One standard normal (if any pair is
                Gaussian) and one uniform (if any is Bernoulli) are drawn per (replication,
                agent), whatever the outcome, so two runs that share a seed see the same noise
                round by round (common random numbers).

        Returns:
            ``(R, n)`` realised values.
        """
        shape = (outcome.shape[0], self.n_agents)
        s = self.allocation_of(outcome)
        agents = np.arange(self.n_agents)
        x = self.mean[agents, s]
        if self._any_gaussian:  # other families have sd 0 here
            x += self._gaussian_sd[agents, s] * rng.standard_normal(shape)
        if self._any_bernoulli:
            u = rng.random(shape)
            x = np.where(self.noise[agents, s] == BERNOULLI, (u < x).astype(np.float64), x)
        return x

    def realise_seller(self, outcome: np.ndarray, rng: np.random.Generator | ReplicationStreams) -> np.ndarray:
        """The seller's realised values X_0 = v_0(omega) + ``seller_noise_sd`` Z ``(R,)``, for a
        mechanism that learns v_0 (paper 1, Sec. 5); one standard normal per replication."""
        z = rng.standard_normal((outcome.shape[0], 1))[:, 0]
        return self.seller_value[outcome] + self.seller_noise_sd * z

    def allocation_of(self, outcome: np.ndarray) -> np.ndarray:
        """``(..., n)`` allocations s_i(omega) of ``(...)`` outcome ids."""
        return self.space.allocations(outcome)

    def outcome_label(self, outcome: int) -> str:
        """Human-readable ``agent:allocation`` listing of one outcome."""
        return ", ".join(
            f"{a}:{self.allocations[s]}" for a, s in zip(self.agent_names, self.allocation_of(outcome), strict=True)
        )
