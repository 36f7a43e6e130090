"""Experiments behind the theorems' verdicts (:mod:`agents.experiments.theorem25`)."""
