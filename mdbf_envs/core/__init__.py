"""The paper-agnostic core: what every paper's room and everything above it build on.

* :mod:`~mdbf_envs.core.protocol`: a repeated mechanism over R replications and the
  capabilities it may declare.
* :mod:`~mdbf_envs.core.paired_engine`: the paired engine (a game beside its truthful shadow on common
  random numbers), batch policies and strategies.
* :mod:`~mdbf_envs.core.stats`: paired-gain statistics (t-intervals, Holm, found ratios).
* :mod:`~mdbf_envs.core.streams`, :mod:`~mdbf_envs.core.checks`, :mod:`~mdbf_envs.core.parallel`:
  per-replication random streams, input checks, serial / process / Ray trials.

It imports no paper room and no env (import-linter contracts in ``pyproject.toml``).
"""
