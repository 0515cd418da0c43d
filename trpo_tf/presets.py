"""Named presets: an env id plus hyperparameters, each citing its source.

The paper's locomotion tasks (Swimmer, Hopper, Walker2d; §7) and HalfCheetah/Ant
on MuJoCo v5, with modern network sizes ([sb3]/[zoo], see config.py); and two
small classic-control tasks used by the tests.
"""

from typing import Dict

from trpo_tf.config import ConfigError, ExperimentConfig

PRESETS: Dict[str, dict] = {
    "hopper": dict(env_id="Hopper-v5"),
    "walker2d": dict(env_id="Walker2d-v5"),
    "halfcheetah": dict(env_id="HalfCheetah-v5"),
    "ant": dict(env_id="Ant-v5"),
    # [zoo] Swimmer needs a long horizon: gamma 0.9999.
    "swimmer": dict(env_id="Swimmer-v5", gamma=0.9999),
    # Small tasks for tests and quick checks ([here]).
    "cartpole": dict(env_id="CartPole-v1", total_steps=100_000, num_envs=8, steps_per_env=128,
                     normalize_rewards=False, value_epochs=10),
    "pendulum": dict(env_id="Pendulum-v1", total_steps=300_000, num_envs=8, steps_per_env=256,
                     gae_lambda=0.95, gamma=0.9),
}


def preset(name: str) -> ExperimentConfig:
  """The ExperimentConfig of preset `name` (case-insensitive)."""
  key = name.lower()
  if key not in PRESETS:
    raise ConfigError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
  return ExperimentConfig().override(**PRESETS[key])
