"""RL manipulators (stable-baselines3) and the truthfulness audit."""
