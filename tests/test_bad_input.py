"""Bad input: one clear error line, non-zero exit, nothing written or overwritten."""

import os

import gymnasium as gym
import numpy as np
import pytest

from tests.helpers import run_train
from trpo_tf.config import ConfigError
from trpo_tf.sampling.envs import make_env, make_vector_env


@pytest.mark.parametrize("flags, message", [
    (["--total_steps=0"], "total_steps must be > 0"),
    (["--max_kl=0"], "max_kl must be > 0"),
    (["--max_kl_final_fraction=0"], "max_kl_final_fraction must be > 0"),
    (["--max_kl_hold_fraction=1", "--max_kl_final_fraction=0.1"], "max_kl_hold_fraction must be in [0, 1), got 1.0"),
    (["--preset=halfcheetah", "--max_kl_hold_fraction=0.5"], "max_kl_hold_fraction=0.5 holds a scheduled δ: set "
     "max_kl_final_fraction ≠ 1 too"),
    (["--gae_lambda_final=1.5"], "gae_lambda_final must be in [0, 1], or -1 for a constant gae_lambda, got 1.5"),
    (["--gamma_final=1.5"], "gamma_final must be in (0, 1], or -1 for a constant gamma, got 1.5"),
    (["--preset=hopper_vine", "--gamma_final=0.999"], "gamma_final schedules the single-path sampler's γ; vine's "
     "branch returns use a constant gamma (the supported choices for vine: gamma_final=-1)"),
    (["--steps_per_env_final=0"], "steps_per_env_final must be >= 1, or -1 for a constant steps_per_env, got 0"),
    (["--num_envs=-2"], "num_envs must be >= 1"),
    (["--value_history=0"], "value_history must be >= 1, got 0"),
    (["--env_id=NoSuchEnv-v9"], "unknown environment id 'NoSuchEnv-v9'"),
    (["--env_id=FrozenLake-v1"], "observation space Discrete(16) is not supported"),
    (["--preset=nope"], "unknown preset 'nope'"),
    (["--fvp_mode=magic"], "fvp_mode must be one of"),
    (["--policy_hidden=a,b"], "--policy_hidden must be comma-separated integers"),
    (["--resume", "--run_dir="], "--resume needs --run_dir"),
    (["--sampler=vine", "--vector_mode=async"], "sampler=vine needs vector_mode=sync"),
    (["--sampler=vine", "--vine_actions=1"], "vine_actions must be >= 2"),
    (["--sampler=tree"], "sampler must be single_path or vine"),
    (["--max_kl=inf"], "max_kl must be a finite number, got inf"),
    (["--cg_damping=inf"], "cg_damping must be a finite number"),
    (["--value_learning_rate=inf"], "value_learning_rate must be a finite number"),
    (["--obs_clip=inf"], "obs_clip must be a finite number"),
    (["--obs_dims=0:27,x"], "obs_dims must be entries 'i' or ranges 'start:stop'"),
    (["--env_id=Hopper-v5", "--obs_dims=0:12"], "obs_dims '0:12' reaches past this env's 11 observation entries"),
    (["--reward_clip=inf"], "reward_clip must be a finite number"),
    (["--log_std_init=nan"], "log_std_init must be a finite number, got nan"),
    (["--seed=99999999999"], "seed must be in [0, "),
    (["--seed=-1"], "seed must be in [0, "),
    (["--policy_hidden="], "need at least one layer size"),
    # absl's own parsing errors: a FATAL line, a help hint and exit 1 before preflight.run_app
    (["--max_kll=0.02"], "Unknown command line flag 'max_kll'. Did you mean: max_kl, max_kl_final_fraction, max_kl_hold_fraction ?"),
    (["--max_kl=abc"], "flag --max_kl=abc: could not convert string to float"),
    (["--seed=1.5"], "flag --seed=1.5: invalid literal for int()"),
    (["extra", "words"], "unexpected arguments: extra words"),
])
def test_launcher_rejects_bad_flags(tmp_path, flags, message):
  run_dir = tmp_path / "run"
  proc = run_train(f"--run_dir={run_dir}", *flags, timeout=120)
  assert proc.returncode == 2
  lines = proc.stderr.strip().splitlines()
  assert lines == [lines[-1]] and lines[0].startswith("error: ") and message in lines[0], proc.stderr
  assert not run_dir.exists()


def _one_error_line(proc, message):
  lines = proc.stderr.strip().splitlines()
  assert proc.returncode == 2, proc.stderr
  assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr


def test_unusable_run_and_export_dirs_are_rejected_before_training(tmp_path):
  a_file = tmp_path / "file"
  a_file.write_text("x")
  for flags, message in [
      ([f"--run_dir={a_file}/run"], f"--run_dir {a_file}/run cannot be created: {a_file} is a file"),
      (["--run_dir=/proc/trpo_run"], "--run_dir /proc/trpo_run is inside a system directory"),
      ([f"--run_dir={tmp_path}/run", "--export", f"--export_dir={a_file}/models"],
       f"--export_dir {a_file}/models cannot be created"),
      ([f"--run_dir={tmp_path}/run", "--export", "--export_dir=/sys/models"], "inside a system directory"),
  ]:
    proc = run_train("--preset=cartpole", *flags, timeout=120)
    _one_error_line(proc, message)
  assert sorted(os.listdir(tmp_path)) == ["file"]


def test_existing_run_is_not_touched(tmp_path):
  run_dir = tmp_path / "run"
  run_dir.mkdir()
  (run_dir / "config.json").write_text("{\"keep\": 1}")
  proc = run_train(f"--run_dir={run_dir}", "--preset=cartpole", timeout=120)
  _one_error_line(proc, "already holds a run; pass --resume to continue it")
  assert (run_dir / "config.json").read_text() == "{\"keep\": 1}"
  assert sorted(os.listdir(run_dir)) == ["config.json"]


class _MultiBinaryEnv(gym.Env):
  observation_space = gym.spaces.Box(-1, 1, (2,), np.float32)
  action_space = gym.spaces.MultiBinary(3)

  def reset(self, *, seed=None, options=None):
    return np.zeros(2, np.float32), {}

  def step(self, action):
    return np.zeros(2, np.float32), 0.0, True, False, {}


def test_unsupported_action_space_is_rejected():
  gym.register("TestMultiBinary-v0", entry_point=_MultiBinaryEnv)
  with pytest.raises(ConfigError, match="action space MultiBinary.*not supported"):
    make_env("TestMultiBinary-v0")
  with pytest.raises(ConfigError, match="action space MultiBinary.*not supported"):
    make_vector_env("TestMultiBinary-v0", 2)


def test_batches_without_valid_rows_do_not_crash_a_run(tmp_path):
  """num_envs=1 × steps_per_env=1: every episode end gives a batch that is only an autoreset row."""
  from tests.helpers import train_run
  from trpo_tf.presets import preset
  config = preset("cartpole").override(num_envs=1, steps_per_env=1, total_steps=40, eval_episodes=0)
  trainer, result = train_run(config, tmp_path / "run")
  assert result.env_steps == 40 and result.iterations > 40   # some iterations had nothing to learn from
  assert all(np.all(np.isfinite(v.numpy())) for v in trainer.policy.weights + trainer.value_net.weights)
