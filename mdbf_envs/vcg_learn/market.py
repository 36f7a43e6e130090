"""VCG-Learn's round, written once: propose, realise, experience, report, observe, account.

Paper 1, Sec. 2's protocol over R replications: the mechanism proposes omega_t and prices, every
agent realises X_it ~ P(. | i, s_i(omega_t)) (and the seller X_0t when the mechanism learns v_0,
:class:`~mdbf_envs.core.protocol.ObservesSeller`), the agents report Y_it, the mechanism takes the
reports, and the round's expected utilities and regrets are booked (eq. 3). The PettingZoo env,
the paired market, the reference rollout and the numpy simulator all step this loop; the compiled
loop (:mod:`mdbf_envs.vcg_learn.compiled`) is tested against it.
"""

from __future__ import annotations

import numpy as np

from mdbf_envs.core.protocol import (
    Mechanism,
    Round,
    bidders,
    observes_seller,
    optimizer_of,
    repeats_rounds,
)
from mdbf_envs.core.streams import ReplicationStreams
from mdbf_envs.vcg_learn.observation import AgentTallies
from mdbf_envs.vcg_learn.regret import RegretAccount, Utilities

Source = np.random.Generator | ReplicationStreams


class Market:
    """The round loop of one mechanism's R replications.

    Args:
        mechanism: any :class:`~mdbf_envs.core.protocol.Mechanism` over a paper-1 Scenario.
        tallies: keep the agents' own tallies (:class:`AgentTallies`, what observations show);
            a simulator that builds no observation can skip them.

    After :meth:`begin`: ``round``, ``realised`` ``(R, n)``, ``seller_realised`` ``(R,)`` (or
    None) and ``allocation`` ``(R, n)`` describe the round; :meth:`finish` plays it with the
    reports. ``draws`` lists the random-stream methods one round calls, in order.
    """

    def __init__(self, mechanism: Mechanism, tallies: bool = True):
        if not isinstance(mechanism, Mechanism):
            raise TypeError(
                f"{mechanism!r} lacks the Mechanism protocol (scenario, replications, reset, propose, observe)"
            )
        self.mechanism, self.scenario = mechanism, mechanism.scenario
        self.replications = mechanism.replications
        self.reporting = ~bidders(mechanism)
        self.seller_observed = observes_seller(mechanism)
        self.draws = self.scenario.draws + (("standard_normal",) if self.seller_observed else ())
        self.repeats_rounds = repeats_rounds(mechanism)
        self._keep_tallies = tallies
        self.round: Round | None = None

    def reset(self, rng: Source) -> None:
        """A new episode drawing from ``rng`` (one call per method of :attr:`draws` each round)."""
        self.rng = rng
        self.mechanism.reset()
        self.account = RegretAccount(self.scenario, self.replications, optimizer_of(self.mechanism))
        self.tallies = AgentTallies(self.replications, self.scenario) if self._keep_tallies else None
        self.round = None

    def begin(self) -> Round:
        """Propose the next round; the agents (and the seller) realise their values."""
        sc = self.scenario
        self.round = rnd = self.mechanism.propose()
        self.realised = sc.realise(rnd.outcome, self.rng)
        self.seller_realised = sc.realise_seller(rnd.outcome, self.rng) if self.seller_observed else None
        self.allocation = sc.allocation_of(rnd.outcome)
        if self.tallies is not None:
            self.tallies.experience(self.allocation, self.realised)
        return rnd

    def finish(self, reports: np.ndarray) -> Utilities:
        """Play the round with ``reports`` ``(R, n)``; returns its expected utilities."""
        rnd = self.round
        if self.tallies is not None:
            self.tallies.report(self.allocation, reports, self.reporting)
        if self.seller_observed:
            self.mechanism.observe(reports, self.seller_realised)
        else:
            self.mechanism.observe(reports)
        return self.account.record(rnd.outcome, rnd.prices)

    def skip(self, limit: int, draw: bool = True) -> tuple[int, Utilities | None]:
        """After :meth:`finish`, account at once for the following rounds that repeat this one
        (:class:`~mdbf_envs.core.protocol.SkipsRounds`), at most ``limit``, everyone reporting
        truthfully there (reports are ignored). ``draw``: still draw each skipped round's
        realisations, so the random stream and the tallies are those of the round-by-round
        run. Returns the rounds skipped and one round's utilities (None if none)."""
        if not self.repeats_rounds or limit <= 0:
            return 0, None
        left = self.mechanism.skip_repeats(limit)
        if left == 0:
            return 0, None
        rnd, sc = self.round, self.scenario
        if draw:
            realised_sum = np.zeros_like(self.realised)
            for _ in range(left):  # the same draws, in the same order, as round by round
                realised_sum += sc.realise(rnd.outcome, self.rng)
            if self.tallies is not None:
                self.tallies.experience(self.allocation, realised_sum, rounds=left)
                self.tallies.report(self.allocation, realised_sum, self.reporting, rounds=left)
        return left, self.account.record(rnd.outcome, rnd.prices, left)
