"""PPO's hyperparameters, one dataclass for both trainers (:mod:`agents.ppo_paired`, :mod:`agents.train`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PPOConfig:
    """PPO's budget and hyperparameters; the defaults are those of paired decision-point
    episodes (:mod:`agents.ppo_paired`), and :class:`agents.train.Args` restates some for the
    plain views."""

    timesteps: int = 150_000
    """decision steps in all (under ETC about 43 per Appendix-F episode)"""
    n_envs: int = 32
    """copies in the batched market"""
    n_steps: int = 128
    """steps per copy per update"""
    batch_size: int = 1024
    """minibatch size"""
    n_epochs: int = 10
    """passes over each rollout"""
    learning_rate: float = 1e-3
    """Adam step size"""
    gamma: float = 1.0
    """discount: 1, since a kept report acts for the rest of the episode"""
    gae_lambda: float = 0.98
    """GAE lambda"""
    ent_coef: float = 0.0
    """entropy bonus"""
    log_std_init: float = -1.6
    """initial exploration sd exp(-1.6) = 0.2 in action units (0.6 in report units at scale 3)"""
    net_arch: tuple[int, ...] = (64, 64)
    """hidden layers of the policy and value networks"""
    use_sde: bool = False
    """generalized state-dependent exploration: noise fixed for ``sde_sample_freq`` steps (-1: a
    whole rollout), so a perturbation acts consistently over an episode, as a lie must"""
    sde_sample_freq: int = -1
    """steps between gSDE noise resamples (-1: once per rollout)"""
    seed: int = 0
    """seeds the model and the env copies"""


    def sb3_kwargs(self) -> dict:
        """The keyword arguments of stable-baselines3's ``PPO`` (and ``RecurrentPPO``)."""
        return {"learning_rate": self.learning_rate, "n_steps": self.n_steps, "batch_size": self.batch_size,
                "n_epochs": self.n_epochs, "gamma": self.gamma, "gae_lambda": self.gae_lambda, "ent_coef": self.ent_coef,
                "use_sde": self.use_sde, "sde_sample_freq": self.sde_sample_freq, "seed": self.seed,
                "policy_kwargs": {"log_std_init": self.log_std_init, "net_arch": list(self.net_arch)}}
