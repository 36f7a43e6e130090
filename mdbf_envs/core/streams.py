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

    ``repeats`` > 1 stands for ``repeats`` x G generators where repeat c of source g is seeded as g
    is (common random numbers across the candidates of a policy search): row c G + g gets
    source g's numbers, each drawn once and repeated.

    Args:
        generators: the G sources, one per replication when ``repeats`` is 1.
        draws: the methods the caller will call each round, in order.
        block: rounds drawn ahead when ``draws`` has one method.
        repeats: how many times the sources repeat down the rows.
    """

    def __init__(
        self, generators: Sequence[np.random.Generator], draws: Sequence[str], block: int = 64, repeats: int = 1
    ):
        if repeats < 1:
            raise ValueError(f"repeats = {repeats} must be >= 1")
        self.sources, self.repeats = list(generators), int(repeats)
        self.rows = self.repeats * len(self.sources)
        self._block = block if len(draws) == 1 else 1
        self._method = draws[0] if len(draws) == 1 else None
        self._buffer: np.ndarray | None = None  # (G, block, n) drawn ahead
        self._next = 0

    def standard_normal(self, shape: tuple[int, int]) -> np.ndarray:
        return self._draw("standard_normal", shape)

    def random(self, shape: tuple[int, int]) -> np.ndarray:
        return self._draw("random", shape)

    def rounds(self, method: str, rounds: int, n: int) -> np.ndarray:
        """``(rounds, G, n)``: the sources' next ``rounds`` rounds of ``method``, the numbers
        ``rounds`` calls of ``method((R, n))`` would give (their row c G + g is row g here).
        Only for streams that draw one method every round."""
        if method != self._method:
            raise ValueError(f"streams drawing {self._method} every round were asked for {rounds} rounds of {method}")
        out = np.empty((len(self.sources), rounds, n))
        done = 0
        if self._buffer is not None:
            self._check_width(n)
            done = min(self._block - self._next, rounds)
            out[:, :done] = self._buffer[:, self._next : self._next + done]
            self._next += done
        if done < rounds:
            for g, rows in zip(self.sources, out, strict=True):
                getattr(g, method)(out=rows[done:])
        return np.ascontiguousarray(out.transpose(1, 0, 2))

    def _check_width(self, n: int) -> None:
        if self._buffer is not None and self._buffer.shape[2] != n:
            raise ValueError(f"streams drawing {self._buffer.shape[2]} per row ahead were asked for {n}")

    def _draw(self, method: str, shape: tuple[int, int]) -> np.ndarray:
        R, n = shape
        if R != self.rows:
            raise ValueError(f"{R} rows asked of {self.rows} streams")
        if self._block == 1:
            out = np.empty((len(self.sources), n))
            for g, row in zip(self.sources, out, strict=True):
                getattr(g, method)(out=row)
        else:
            if method != self._method:
                raise ValueError(f"streams drawing {self._method} ahead were asked for {method}")
            self._check_width(n)
            if self._buffer is None or self._next == self._block:
                self._buffer = np.empty((len(self.sources), self._block, n))
                for g, rows in zip(self.sources, self._buffer, strict=True):
                    getattr(g, method)(out=rows)
                self._next = 0
            self._next += 1
            out = self._buffer[:, self._next - 1]
        return np.tile(out, (self.repeats, 1)) if self.repeats > 1 else out


def copy_generators(
    seed: int | Sequence[int] | None, num_envs: int, current: list[np.random.Generator]
) -> list[np.random.Generator]:
    """The generators of a vector env's copies after ``reset(seed)``: copy r seeded with
    ``seed + r`` (or ``seed[r]``), as Gymnasium's own vector envs seed them; with no seed, the
    current ones (fresh entropy the first time)."""
    if isinstance(seed, (int, np.integer)):
        seed = [int(seed) + r for r in range(num_envs)]
    if seed is not None:
        if len(seed) != num_envs:
            raise ValueError(f"{len(seed)} seeds for {num_envs} envs")
        return [seeding.np_random(s)[0] for s in seed]
    return current or [seeding.np_random(None)[0] for _ in range(num_envs)]


def pair_streams(
    seed: int | Sequence[int], pairs: int, repeats: int, draws: Sequence[str], first: int = 0
) -> ReplicationStreams:
    """Streams for ``repeats`` x ``pairs`` replications where pair m of every repeat gets the
    numbers of one generator seeded ``(seed, m)`` (or ``(*seed, m)``), drawn once: common random numbers
    across repeats (e.g. the candidates of a policy search) and across batch sizes. ``first``: start at pair
    ``first``, so later stages of an evaluation draw pairs that earlier stages never used."""
    key = [seed] if isinstance(seed, (int, np.integer)) else list(seed)
    return ReplicationStreams(
        [np.random.default_rng([*key, m]) for m in range(first, first + pairs)], draws, repeats=repeats
    )
