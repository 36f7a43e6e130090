import json

import numpy as np
import pytest

from agents.training.shared_vec_env import SharedPolicyVecEnv
from agents.training.train import Args, main, train
from mdbf_envs import vcg_learn_v0


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("algo", ["ppo", "sac", "recurrent_ppo"])
def test_training_smoke(algo, tmp_path):
    args = Args(
        env_kwargs={"horizon": 40},
        algo=algo,
        timesteps=200,
        num_envs=2,
        n_steps=64,
        batch_size=64,
        others="explore_shade_0.3",
        progress_bar=False,
    )
    model = train(args, tmp_path / "run")
    assert (tmp_path / "run" / "model.zip").exists()
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["env_id"] == "mdbf_envs/VCGLearnOPT-v0" and config["seed"] == 0 and config["algo"] == algo
    assert "torch" in config["versions"]
    assert model.num_timesteps >= 200


def test_training_cli_on_joint_ads(tmp_path):
    main(
        [
            "--env-id",
            "mdbf_envs/JointAds-v0",
            "--env-kwargs",
            '{"horizon": 30}',
            "--timesteps",
            "128",
            "--num-envs",
            "2",
            "--n-steps",
            "64",
            "--batch-size",
            "64",
            "--no-progress-bar",
            "--out",
            str(tmp_path),
        ]
    )
    (run,) = tmp_path.glob("JointAds-v0_ppo_seed0_*")
    assert (run / "model.zip").exists()


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--algo", "foo"], "foo"),
        (["--timesteps", "0"], "--timesteps = 0 must be >= 1"),
        (["--num-envs", "0"], "--num-envs = 0 must be >= 1"),
        (["--env-kwargs", "[1,2]"], "must be a JSON object"),
        (["--others", "nope"], "--others 'nope'"),
        (["--env-id", "mdbf_envs/Nope-v0"], "is not registered"),
    ],
    ids=["unknown-algo", "no-timesteps", "no-envs", "kwargs-not-an-object", "unknown-others", "unknown-id"],
)
def test_training_cli_refuses_bad_options_before_any_work(argv, match, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--out", str(tmp_path / "runs")])
    assert stop.value.code == 2 and not (tmp_path / "runs").exists()
    assert match in capsys.readouterr().err


def test_training_cli_names_the_run_after_what_it_trained(tmp_path):
    run = main(
        [
            "--env-kwargs",
            '{"horizon": 20, "zeta": "etc"}',
            "--timesteps",
            "64",
            "--num-envs",
            "1",
            "--n-steps",
            "32",
            "--batch-size",
            "32",
            "--no-progress-bar",
            "--out",
            str(tmp_path),
        ]
    )
    assert run.name.startswith("VCGLearnOPT-v0_etc_ppo_seed0_") and (run / "model.zip").exists()
    with pytest.raises(FileExistsError, match="exists"):
        train(
            Args(env_kwargs={"horizon": 20}, timesteps=32, num_envs=1, n_steps=32, batch_size=32, progress_bar=False),
            run,
        )


def test_shared_vec_env_seeds_copies_apart_and_flags_truncation():
    venv = SharedPolicyVecEnv(lambda: vcg_learn_v0.parallel_env(horizon=3), num_envs=2, seed=5)
    n = len(venv.agents)
    obs = venv.reset()
    assert obs.shape == (2 * n, venv.observation_space.shape[0])
    assert not np.array_equal(obs[:n], obs[n:])  # copies get different seeds
    for _ in range(3):
        obs, rewards, dones, infos = venv.step(np.zeros((2 * n, 1)))
    assert dones.all()
    assert all(info["TimeLimit.truncated"] for info in infos)
    assert all("terminal_observation" in info for info in infos)
    # zero deviation is truthful: rewards equal the env's truthful rewards
    env = vcg_learn_v0.parallel_env(horizon=3)
    env.reset(seed=5)
    for _ in range(3):
        _, rew, *_ = env.step({a: env.truthful_action(a) for a in env.agents})
    np.testing.assert_allclose(rewards[:n], [rew[a] for a in venv.agents], atol=1e-6)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_parameter_shared_training_smoke(tmp_path):
    from agents.training.train_shared import main as shared_main

    report = shared_main(
        ["--horizon", "30", "--timesteps", "128", "--eval-episodes", "1", "--no-progress-bar", "--out", str(tmp_path)]
    )
    assert len(report["mean_utility"]["learned"]) == 10
