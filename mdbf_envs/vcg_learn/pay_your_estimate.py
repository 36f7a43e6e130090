"""Deliberately non-truthful mechanisms, to show that the audit can find a manipulation.

Not from *Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica): a control
built on its VCG-Learn (Algorithm 1) with a first-price-like payment.
"""

from __future__ import annotations

import numpy as np

from mdbf_envs.vcg_learn.mechanism import Estimates, VCGLearn


class PayYourEstimate(VCGLearn):
    """VCG-Learn's allocation, but each agent pays the mechanism's mean estimate of its own
    value for what it gets, p_it = v-bar_it(s_i(omega_t)) (first-price-like).

    Truthful reports are IR in expectation, but under-reporting lowers the estimate and so the
    price: shading is profitable. Not from either paper; a control for the truthfulness audit.
    """

    def prices(self, est: Estimates, outcome: np.ndarray) -> np.ndarray:
        return self.optimizer.agent_values(est.mean, outcome)
