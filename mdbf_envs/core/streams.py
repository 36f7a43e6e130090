"""One random stream per replication, drawn as one batch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from gymnasium.utils import seeding


class ReplicationStreams:
    """R generators that draw like one: ``standard_normal((R, n))`` and ``random((R, n))`` take
    row r from generator r, exactly the numbers R lone runs would draw with ``(1, n)`` calls.

    A run that calls a single method with one shape every round (``draws`` of length 1, as
    :attr:`Scenario.draws` tells) can let each generator draw ``block`` rounds ahead in one
    call: the numbers and their order per generator are unchanged, and the draws left over
    when the streams are dropped (at a reset) are never used.

    Args:
        generators: one per replication.
        draws: the methods the caller will call each round, in order.
        block: rounds drawn ahead when ``draws`` has one method.
    """

    def __init__(self, generators: Sequence[np.random.Generator], draws: Sequence[str], block: int = 64):
        self.generators = list(generators)
        self._block = block if len(draws) == 1 else 1
        self._method = draws[0] if len(draws) == 1 else None
        self._buffer: np.ndarray | None = None  # (R, block, n) drawn ahead
        self._next = 0

    def standard_normal(self, shape: tuple[int, int]) -> np.ndarray:
        return self._draw("standard_normal", shape)

    def random(self, shape: tuple[int, int]) -> np.ndarray:
        return self._draw("random", shape)

    def _draw(self, method: str, shape: tuple[int, int]) -> np.ndarray:
        R, n = shape
        if R != len(self.generators):
            raise ValueError(f"{R} rows asked of {len(self.generators)} streams")
        if self._block == 1:
            out = np.empty(shape)
            for g, row in zip(self.generators, out, strict=True):
                getattr(g, method)(out=row)
            return out
        if method != self._method:
            raise ValueError(f"streams drawing {self._method} ahead were asked for {method}")
        if self._buffer is not None and self._buffer.shape[2] != n:
            raise ValueError(f"streams drawing {self._buffer.shape[2]} per row ahead were asked for {n}")
        if self._buffer is None or self._next == self._block:
            self._buffer = np.empty((R, self._block, n))
            for g, rows in zip(self.generators, self._buffer, strict=True):
                getattr(g, method)(out=rows)
            self._next = 0
        self._next += 1
        return self._buffer[:, self._next - 1]


def copy_generators(seed: int | Sequence[int] | None, copies: int,
                    current: list[np.random.Generator]) -> list[np.random.Generator]:
    """The generators of a vector env's copies after ``reset(seed)``: copy r seeded with
    ``seed + r`` (or ``seed[r]``), as Gymnasium's own vector envs seed them; with no seed, the
    current ones (fresh entropy the first time)."""
    if isinstance(seed, (int, np.integer)):
        seed = [int(seed) + r for r in range(copies)]
    if seed is not None:
        if len(seed) != copies:
            raise ValueError(f"{len(seed)} seeds for {copies} envs")
        return [seeding.np_random(s)[0] for s in seed]
    return current or [seeding.np_random(None)[0] for _ in range(copies)]


def pair_streams(seed: int | Sequence[int], pairs: int, copies: int, draws: Sequence[str],
                 first: int = 0) -> ReplicationStreams:
    """Streams for ``copies`` x ``pairs`` replications where pair m of every copy draws from the
    same generator, seeded (seed, m) (or (*seed, m)): common random numbers across copies (e.g.
    the candidates of a policy search) and across batch sizes. ``first``: start at pair
    ``first``, so later stages of an evaluation draw pairs that earlier stages never used."""
    key = [seed] if isinstance(seed, (int, np.integer)) else list(seed)
    return ReplicationStreams([np.random.default_rng([*key, m]) for _ in range(copies)
                               for m in range(first, first + pairs)], draws)
