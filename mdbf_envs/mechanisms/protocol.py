"""The mechanism protocol: what an environment needs from a repeated mechanism."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from mdbf_envs.mechanisms.vcg_learn import Round
from mdbf_envs.scenario import Scenario


@runtime_checkable
class Mechanism(Protocol):
    """A repeated mechanism over R independent replications (the PettingZoo env uses R = 1, the
    vector env R = num_envs; factories take ``replications``).

    Each round: ``propose()`` returns the :class:`Round` (outcome ``(R,)``, prices ``(R, n)``,
    phase, bracket); the agents experience it; ``observe(reports)`` takes their reports
    ``(R, n)``. Optional attributes ``counts`` / ``sums`` ``(R, n, |S|)`` expose what the
    mechanism holds about each agent, and envs show an agent its own row of them.
    """

    scenario: Scenario
    replications: int

    def reset(self) -> None:
        """Forget everything; the next ``propose()`` is round 1."""

    def propose(self) -> Round:
        """Choose the next round's outcome and prices."""

    def observe(self, reports: np.ndarray) -> None:
        """Take the round's reports ``(R, n)``."""
