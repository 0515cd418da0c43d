"""TRPOLearner: the one learner step both training loops use."""

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from trpo_tf.advantages import gae
from trpo_tf.config import NetworkConfig, TRPOConfig
from trpo_tf.learner import TRPOLearner
from trpo_tf.networks import build_networks
from trpo_tf.sampling.batch import Batch, VineData

OBS = gym.spaces.Box(-1, 1, (3,), np.float32)
ACT = gym.spaces.Box(-1, 1, (2,), np.float32)


def make_learner(seed=0, config=None, **kwargs):
  tf.keras.utils.set_random_seed(seed)
  policy, value = build_networks(OBS, ACT, NetworkConfig(policy_hidden=(16,), value_hidden=(16,)))
  return TRPOLearner(policy, value, config or TRPOConfig(value_epochs=2), seed, **kwargs), policy, value


def random_batch(seed=0, T=6, N=3, vine=None):
  rng = np.random.default_rng(seed)
  valid = np.ones((T, N), bool)
  valid[3, 1] = False                     # an autoreset row after env 1's episode ended at t = 2
  terminated = np.zeros((T, N), bool)
  terminated[2, 1] = True
  truncated = np.zeros((T, N), bool)
  truncated[4, 2] = True
  rewards = rng.standard_normal((T, N))
  rewards[~valid] = 0.0
  return Batch(obs=rng.standard_normal((T, N, 3)).astype(np.float32),
               actions=rng.standard_normal((T, N, 2)).astype(np.float32), rewards=rewards,
               terminated=terminated, truncated=truncated, valid=valid,
               last_obs=rng.standard_normal((N, 3)).astype(np.float32), vine=vine)


def batch_values(value, batch):
  """V (float64) on the batch's [T, N] rows and on its last observations: what the learner's GAE starts from."""
  t, n = batch.valid.shape
  values = value(batch.obs.reshape(t * n, 3)).numpy().astype(np.float64).reshape(t, n)
  return values, value(batch.last_obs).numpy().astype(np.float64)


def test_targets_are_the_valid_rows_with_their_gae():
  learner, _, value = make_learner()
  batch = random_batch()
  targets = learner.targets(batch)
  T, N = batch.valid.shape
  values, last = batch_values(value, batch)
  ref = gae(batch.rewards, values, last, batch.terminated, batch.truncated, batch.valid, 0.99, 0.95)
  mask = batch.valid.reshape(-1)
  assert targets.obs.shape == (T * N - 1, 3)      # time-major order, the autoreset row dropped
  np.testing.assert_array_equal(targets.obs.numpy(), batch.obs.reshape(-1, 3)[mask])
  np.testing.assert_array_equal(targets.actions.numpy(), batch.actions.reshape(-1, 2)[mask])
  np.testing.assert_allclose(targets.advantages.numpy(), np.asarray(ref.advantages).reshape(-1)[mask], rtol=1e-5)
  returns = np.asarray(ref.returns).reshape(-1)[mask]
  np.testing.assert_allclose(targets.returns.numpy(), returns, rtol=1e-5)
  explained = 1 - np.var(returns - values.reshape(-1)[mask]) / np.var(returns)
  np.testing.assert_allclose(float(targets.explained_variance), explained, rtol=1e-6)


def test_returns_targets_are_discounted_returns_bootstrapped_only_where_cut():
  tf.keras.utils.set_random_seed(0)
  policy, value = build_networks(OBS, ACT, NetworkConfig(policy_hidden=(16,), value_hidden=(16,)))
  learner = TRPOLearner(policy, value, TRPOConfig(value_targets="returns", gamma=0.9), 0)
  batch = random_batch()
  T, N = batch.valid.shape
  values, last = batch_values(value, batch)
  expected = np.zeros((T, N))
  for n in range(N):   # by hand, backwards: r + γ·(0 at a termination, V where cut, else the next return)
    for t in reversed(range(T)):
      if not batch.valid[t, n]:
        continue
      following = 0.0 if batch.terminated[t, n] else \
          (values[t + 1, n] if t + 1 < T else last[n]) if batch.truncated[t, n] or t == T - 1 else expected[t + 1, n]
      expected[t, n] = batch.rewards[t, n] + 0.9 * following
  targets = learner.targets(batch)
  mask = batch.valid.reshape(-1)
  np.testing.assert_allclose(targets.returns.numpy(), expected.reshape(-1)[mask], rtol=1e-5, atol=1e-6)
  tf.keras.utils.set_random_seed(0)   # the same networks, λ-return targets: the advantages stay GAE(λ)'s
  policy, value = build_networks(OBS, ACT, NetworkConfig(policy_hidden=(16,), value_hidden=(16,)))
  gae_targets = TRPOLearner(policy, value, TRPOConfig(gamma=0.9), 0).targets(batch)
  np.testing.assert_array_equal(gae_targets.advantages.numpy(), targets.advantages.numpy())
  assert not np.allclose(gae_targets.returns.numpy(), targets.returns.numpy())


def test_step_updates_policy_normaliser_and_value():
  learner, policy, value = make_learner()
  batch = random_batch()
  before_policy = [v.numpy().copy() for v in policy.trainable_variables]
  before_value = [v.numpy().copy() for v in value.trainable_variables]
  info = learner.step(batch, 0)
  assert int(info.trpo.status) == 0 and 0 < float(info.trpo.mean_kl) <= 0.01
  assert any(not np.array_equal(a, b.numpy()) for a, b in zip(before_policy, policy.trainable_variables))
  assert any(not np.array_equal(a, b.numpy()) for a, b in zip(before_value, value.trainable_variables))
  assert float(np.asarray(policy.normalizer.count)) == batch.valid.sum()
  assert info.value_fit is not None and float(info.value_fit.loss_after) < float(info.value_fit.loss_before)


def test_normalizer_kl_is_the_policy_change_of_the_normaliser_update():
  """The step reports KL(π before ‖ π after) of the normaliser update: here computed by hand from the
  Gaussian parameters before and after it, on the batch's valid rows."""
  learner, policy, _ = make_learner()
  batch = random_batch()
  batch = batch._replace(obs=batch.obs * 5.0 + 3.0)   # far from the normaliser's initial statistics
  obs = learner.targets(batch).obs
  captured = {}
  update = policy.normalizer.update

  def spy(x):
    captured["before"] = [np.asarray(p, np.float64) for p in policy.dist_params(x)]
    update(x)
    captured["after"] = [np.asarray(p, np.float64) for p in policy.dist_params(x)]

  policy.normalizer.update = spy
  learner._update_normalizer = lambda x: learner._update_normalizer_impl(x)   # eager, so the spy runs
  info = learner.step(batch, 0)
  (m0, s0), (m1, s1) = captured["before"], captured["after"]
  s0, s1 = np.broadcast_to(s0, m0.shape), np.broadcast_to(s1, m1.shape)   # log σ is state-independent
  kl = np.sum(s1 - s0 + (np.exp(2 * s0) + (m0 - m1) ** 2) / (2 * np.exp(2 * s1)) - 0.5, axis=-1).mean()
  assert obs.shape[0] == batch.valid.sum() and kl > 1e-3
  np.testing.assert_allclose(float(info.normalizer_kl), kl, rtol=1e-4)
  assert learner.metrics(info)["policy/normalizer_kl"] == float(info.normalizer_kl)


def test_overlapped_fit_is_reported_by_the_next_step_and_matches_inline():
  inline, inline_policy, inline_value = make_learner()
  overlapped, policy, value = make_learner(overlap_value_fit=True)
  batches = [random_batch(seed) for seed in range(3)]
  reports = [overlapped.step(b, i).value_fit for i, b in enumerate(batches)]
  overlapped.wait()
  inline_reports = [inline.step(b, i).value_fit for i, b in enumerate(batches)]
  assert reports[0] is None
  for late, on_time in zip(reports[1:], inline_reports[:-1]):
    assert float(late.loss_after) == float(on_time.loss_after)
  for a, b in zip(policy.variables + value.variables, inline_policy.variables + inline_value.variables):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  overlapped.close()


IMAGES = gym.spaces.Box(0, 255, (2, 12, 12), np.uint8)   # frames: the CNN scales them, no normaliser


def image_batch(seed, T=6, N=3):
  rng = np.random.default_rng(seed)
  return random_batch(seed, T, N)._replace(
      obs=rng.integers(0, 256, (T, N) + IMAGES.shape).astype(np.uint8),
      last_obs=rng.integers(0, 256, (N,) + IMAGES.shape).astype(np.uint8),
      actions=rng.integers(0, 3, (T, N)).astype(np.int32))


def test_with_no_normaliser_to_update_the_overlapped_fit_runs_beside_the_policy_step():
  """Images: the fit of batch k starts before batch k's policy step, with the same results as inline.
  With a normaliser it must wait for the normaliser update, which follows the policy step."""
  runs = []
  for overlap in (False, True):
    tf.keras.utils.set_random_seed(0)
    policy, value = build_networks(IMAGES, gym.spaces.Discrete(3), NetworkConfig(cnn="paper"))
    learner = TRPOLearner(policy, value, TRPOConfig(value_epochs=2), 0, overlap_value_fit=overlap)
    assert learner._update_normalizer is None
    runs.append((learner, policy, value, _record_fit_in_flight_at_policy_step(learner)))
    for i in range(3):
      learner.step(image_batch(i), i)
    learner.close()
  (_, inline_policy, inline_value, inline_seen), (_, policy, value, seen) = runs
  assert inline_seen == [False] * 3 and seen == [True] * 3
  for a, b in zip(policy.variables + value.variables, inline_policy.variables + inline_value.variables):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  mlp, _, _ = make_learner(overlap_value_fit=True)
  mlp_seen = _record_fit_in_flight_at_policy_step(mlp)
  mlp.step(random_batch(), 0)
  mlp.close()
  assert mlp_seen == [False]


def _record_fit_in_flight_at_policy_step(learner):
  seen, update = [], learner.updater.update

  def recording(*args):
    seen.append(learner._pending is not None)
    return update(*args)
  learner.updater.update = recording
  return seen


def test_vine_q_adds_the_discounted_value_where_a_branch_was_cut(monkeypatch):
  learner, _, value = make_learner()
  rng = np.random.default_rng(1)
  k, n = 3, 4
  vine = VineData(states=rng.standard_normal((n, 3)).astype(np.float32),
                  actions=rng.standard_normal((k, n, 2)).astype(np.float32),
                  partial_q=rng.standard_normal((k, n)),
                  bootstrap_obs=rng.standard_normal((k, n, 3)).astype(np.float32),
                  bootstrap_discount=np.where(rng.random((k, n)) < 0.5, 0.99 ** 7, 0.0), branch_steps=40)
  seen = {}

  def capture(states, actions, q_values, iteration):
    seen["q"] = np.asarray(q_values)
    return original(states, actions, q_values, iteration)

  original = learner.updater.update_vine
  monkeypatch.setattr(learner.updater, "update_vine", capture)
  v_cut = value(vine.bootstrap_obs.reshape(k * n, 3)).numpy().astype(np.float64).reshape(k, n)   # V before the step
  info = learner.step(random_batch(vine=vine), 0)
  np.testing.assert_allclose(seen["q"], vine.partial_q + vine.bootstrap_discount * v_cut, rtol=1e-6)
  assert info.vine is not None and info.vine.branch_steps == 40 and float(info.vine.states) == n
  assert random_batch(vine=vine).num_transitions == 17 + 40


def test_step_compiles_and_matches_eager():
  eager, eager_policy, _ = make_learner()
  compiled, policy, _ = make_learner()
  batch = random_batch()
  tensors = Batch(*(tf.constant(x) for x in batch[:7]))
  eager_info = eager.step(batch, 0)
  compiled_info = tf.function(lambda b: compiled.step(b, tf.constant(0, tf.int64)))(tensors)
  np.testing.assert_allclose(float(compiled_info.trpo.mean_kl), float(eager_info.trpo.mean_kl), rtol=1e-5)
  for a, b in zip(policy.variables, eager_policy.variables):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("history", [1, 3])
def test_value_fit_regresses_on_the_earlier_batches_then_this_one(monkeypatch, history):
  learner, _, _ = make_learner(config=TRPOConfig(value_epochs=1, value_history=history))
  real_fit, seen = learner.fitter.fit, []

  def capture(obs, returns, iteration):
    seen.append((np.asarray(obs), np.asarray(returns)))
    return real_fit(obs, returns, iteration)

  monkeypatch.setattr(learner.fitter, "fit", capture)
  own = []
  for i in range(4):
    batch = random_batch(i)
    own.append(learner.targets(batch))   # what step() computes: V has not moved since the last fit
    learner.step(batch, i)
  for i, (obs, returns) in enumerate(seen):
    window = own[max(0, i - history + 1): i + 1]   # oldest first, this batch last
    np.testing.assert_array_equal(obs, np.concatenate([np.asarray(t.obs) for t in window]))
    np.testing.assert_array_equal(returns, np.concatenate([np.asarray(t.returns) for t in window]))
  assert [len(r) for _, r in seen][-1] == sum(len(np.asarray(t.returns)) for t in own[-history:])


def test_value_history_overlapped_matches_inline():
  config = TRPOConfig(value_epochs=2, value_history=2)
  inline, inline_policy, inline_value = make_learner(config=config)
  overlapped, policy, value = make_learner(config=config, overlap_value_fit=True)
  for i in range(3):
    inline.step(random_batch(i), i)
    overlapped.step(random_batch(i), i)
  overlapped.close()
  for a, b in zip(policy.variables + value.variables, inline_policy.variables + inline_value.variables):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_value_history_refuses_a_compiled_step():
  learner, _, _ = make_learner(config=TRPOConfig(value_epochs=1, value_history=2))
  tensors = Batch(*(tf.constant(x) for x in random_batch()[:7]))
  with pytest.raises(RuntimeError, match="value_history > 1 .* needs eager execution"):
    tf.function(lambda b: learner.step(b, tf.constant(0, tf.int64)))(tensors)
