"""The manipulators' searches: CMA-ES over a linear policy (:mod:`agents.search.cmaes`), PPO on
paired decision-point episodes (:mod:`agents.search.ppo`), and the paired game both play
(:mod:`agents.search.game`)."""
