"""Training with stable-baselines3 on the plain views: one agent (:mod:`agents.training.train`),
every agent sharing one policy (:mod:`agents.training.train_shared`), and the vector-env adapters
they use."""
