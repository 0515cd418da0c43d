"""Diagnostic env for issue 13's Ant rounds (not a preset): registers `AntNoCfrc-v5`, gymnasium's Ant-v5 with
`include_cfrc_ext_in_observation=False`: the same dynamics, reward (contact cost included) and termination, but
27 observed numbers (Ant-v4's) instead of 105 (the 78 contact forces left out).

Python imports `sitecustomize` at start-up from the path, so any launcher run with
`PYTHONPATH=benchmarks/ant_no_contact_obs` knows the id, e.g.
  PYTHONPATH=benchmarks/ant_no_contact_obs .venv/bin/python launchers/train.py --preset=ant \
      --env_id=AntNoCfrc-v5 --env_backend=gymnasium ...
"""

import gymnasium as gym

gym.register("AntNoCfrc-v5", entry_point="gymnasium.envs.mujoco.ant_v5:AntEnv", max_episode_steps=1000,
             kwargs={"include_cfrc_ext_in_observation": False})
