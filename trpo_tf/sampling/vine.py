"""Vine sampling with common random numbers (paper §5.2).

Each `collect`:
  1. runs a single-path *trunk* with π_old over the vector env and saves the
     exact simulator state (simulator_state.py) of N randomly chosen trunk
     states, the *rollout set*;
  2. from every rollout-set state s_n takes K actions a_{n,k}: drawn from π_old
     for continuous control, all actions (or K distinct uniform ones when K < |A|)
     for discrete, as the paper does;
  3. restores s_n into K branch envs, takes a_{n,k}, then follows π_old for up to
     H - 1 more steps. The K branches of one state use *common random numbers*:
     the same policy noise at every step, and the same simulator RNG (restored
     with the state), so their returns differ only through a_{n,k};
  4. returns the trunk as a Batch whose `vine` field holds the discounted branch
     returns. Where a branch is cut by H or by the time limit, the learner may add
     γ^len · V(s_end) (it owns V; see learner.py): the sampler never reads the
     value network, so it can run while V is fit.
Simulator steps spent in branches count toward the training budget like trunk steps.
"""

from typing import Callable, Dict, List

import gymnasium as gym
import numpy as np

from trpo_tf.config import ConfigError, SamplerConfig
from trpo_tf.normalization import RewardScaler
from trpo_tf.sampling.envs import action_to_env, observation_dtype
from trpo_tf.sampling.simulator_state import check_restorable, restore_state, save_state
from trpo_tf.sampling.batch import Batch, VineData
from trpo_tf.sampling.single_path import SinglePathSampler


def actions_from_noise(dist_params, noise: np.ndarray, discrete: bool) -> np.ndarray:
  """A reparameterised draw: Gaussian mean + σ·ε, or Gumbel-max over the logits."""
  if discrete:
    return np.argmax(dist_params[0] + noise, axis=-1).astype(np.int32)
  mean, log_std = dist_params
  return (mean + np.exp(log_std) * noise).astype(np.float32)


class VineSampler:
  """Trunk over the training vector env; branches over a pool of single envs built by
  `make_branch_env` (implements batch.Sampler)."""

  def __init__(self, env: gym.vector.VectorEnv, reward_scaler: RewardScaler,
               make_branch_env: Callable[[], gym.Env], config: SamplerConfig, gamma: float, seed: int):
    if not hasattr(env, "envs"):
      raise ConfigError("vine sampling needs vector_mode=sync (it saves the trunk envs' simulator states)")
    check_restorable(env.envs[0], config.env_id)
    self.trunk_sampler = SinglePathSampler(env, reward_scaler)
    self.env, self.reward_scaler, self.gamma, self.seed = env, reward_scaler, gamma, seed
    self.config = config
    self.observation_space = env.single_observation_space
    self.action_space = env.single_action_space
    self.num_envs = env.num_envs
    self.discrete = isinstance(self.action_space, gym.spaces.Discrete)
    self.num_branches = min(config.vine_actions, int(self.action_space.n)) if self.discrete \
        else config.vine_actions
    self._make_branch_env = make_branch_env
    self._branch_envs: List[gym.Env] = []
    self._obs_dtype = observation_dtype(env.single_observation_space)

  @property
  def vector_steps(self) -> int:
    return self.trunk_sampler.vector_steps

  def checkpointables(self) -> dict:
    return self.trunk_sampler.checkpointables()

  def reset(self, seed: int) -> None:
    self.trunk_sampler.reset(seed)

  def close(self) -> None:
    for e in self._branch_envs:
      e.close()
    self.trunk_sampler.close()

  def collect(self, actor, steps: int) -> Batch:
    # Seeded by the (checkpointed) vector-step count, so a resumed run draws what it would have.
    rng = np.random.default_rng([self.seed, 0x5EED, self.vector_steps])
    n_envs = self.env.num_envs
    chosen = rng.choice(steps * n_envs, size=min(self.config.vine_states, steps * n_envs), replace=False)
    wanted: Dict[int, List[int]] = {}
    for flat_index in np.sort(chosen):
      wanted.setdefault(int(flat_index) // n_envs, []).append(int(flat_index) % n_envs)
    snapshots = []   # (t, i, snapshot)

    def save_chosen(t: int, valid: np.ndarray) -> None:
      for i in wanted.get(t, ()):
        if valid[i]:    # an autoreset row has no state to branch from
          snapshots.append((t, i, save_state(self.env.envs[i])))

    trunk = self.trunk_sampler.collect(actor, steps, before_step=save_chosen)
    states = np.stack([trunk.obs[t, i] for t, i, _ in snapshots]) if snapshots else \
        np.empty((0,) + trunk.obs.shape[2:], self._obs_dtype)
    return self._branches(actor, trunk, states, [s for _, _, s in snapshots], rng)

  # -- private --------------------------------------------------------------

  def _pool(self, size: int) -> List[gym.Env]:
    while len(self._branch_envs) < size:
      e = self._make_branch_env()
      e.reset(seed=self.seed + len(self._branch_envs))   # wrappers insist on a reset before step
      self._branch_envs.append(e)
    return self._branch_envs[:size]

  def _first_actions(self, params, m: int, rng: np.random.Generator) -> np.ndarray:
    k = self.num_branches
    if not self.discrete:
      return actions_from_noise(params, rng.standard_normal((k,) + params[0].shape, np.float32), False)
    n = int(self.action_space.n)
    if k == n:
      return np.repeat(np.arange(n, dtype=np.int32)[:, None], m, axis=1)
    return np.stack([rng.permutation(n)[:k] for _ in range(m)], axis=1).astype(np.int32)

  def _branches(self, actor, trunk: Batch, states: np.ndarray, snapshots, rng) -> Batch:
    k, m, horizon = self.num_branches, len(snapshots), self.config.vine_rollout_length
    envs = self._pool(k * m)                     # env b = k_index * m + n (branch-major)
    for b, env in enumerate(envs):
      restore_state(env, snapshots[b % m])
    first = self._first_actions(actor.dist_params(states), m, rng) if m else \
        np.empty((k, 0) + self.action_space.shape, np.float32)
    obs = np.concatenate([states] * k) if m else states
    actions = first.reshape((k * m,) + first.shape[2:])
    partial_q = np.zeros(k * m)
    discount = np.zeros(k * m)
    cut_obs = obs.copy()
    active = np.ones(k * m, bool)
    steps = 0
    for t in range(horizon):
      if t > 0:
        params = actor.dist_params(obs)
        noise_shape = (m,) + params[0].shape[1:]
        noise = rng.gumbel(size=noise_shape) if self.discrete else rng.standard_normal(noise_shape, np.float32)
        actions = actions_from_noise(params, np.concatenate([noise] * k), self.discrete)   # common numbers
      env_actions = action_to_env(actions, self.action_space)
      rewards = np.zeros(k * m)
      for b in np.flatnonzero(active):
        next_obs, reward, terminated, truncated, _ = envs[b].step(env_actions[b])
        steps += 1
        obs[b] = np.asarray(next_obs, self._obs_dtype)
        rewards[b] = reward
        if terminated or truncated:
          active[b] = False
          if truncated and not terminated:
            discount[b], cut_obs[b] = self.gamma ** (t + 1), obs[b]
      partial_q += self.gamma ** t * self.reward_scaler.scale_frozen(rewards)   # 0 for finished branches
      if not active.any():
        break
    for b in np.flatnonzero(active):
      discount[b], cut_obs[b] = self.gamma ** horizon, obs[b]
    shape = (k, m)
    return trunk._replace(vine=VineData(
        states=states, actions=first, partial_q=partial_q.reshape(shape),
        bootstrap_obs=cut_obs.reshape(shape + obs.shape[1:]), bootstrap_discount=discount.reshape(shape),
        branch_steps=steps))
