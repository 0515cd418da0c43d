"""SavedModel export: loads in TF2 and in the TF1 session loader (TF Serving's path) in a fresh
process with outputs equal to the in-memory policy; per-row int64 seeds of `sample`; int64 discrete
actions; saved_model_cli; bad input; atomic versions; no absolute paths in a trained export."""

import json
import os
import shutil
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import saved_model_pb2

from tests.helpers import ROOT
from trpo_tf.config import NetworkConfig
from trpo_tf.export import ExportError, export_policy
from trpo_tf.networks import build_networks

CHECK = os.path.join(ROOT, "tests", "export_check.py")
CASES = {
    "gaussian": (gym.spaces.Box(-np.inf, np.inf, (11,), np.float64), gym.spaces.Box(-1, 1, (3,), np.float32)),
    "categorical": (gym.spaces.Box(-np.inf, np.inf, (4,), np.float32), gym.spaces.Discrete(2)),
}
ENV_IDS = {"gaussian": "Hopper-v5", "categorical": "CartPole-v1"}   # environments with those spaces


def trained_like_policy(obs_space, act_space, seed=0):
  tf.keras.utils.set_random_seed(seed)
  policy, _ = build_networks(obs_space, act_space, NetworkConfig())
  for v in policy.trainable_variables:   # large weights so clipping and normalisation matter
    v.assign(tf.random.normal(v.shape, stddev=0.8, seed=seed))
  policy.normalizer.update(np.random.default_rng(seed).normal(1.0, 2.0, (300,) + obs_space.shape))
  return policy


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
  """One export per CASES entry, shared by the tests that only read it: kind → (policy, version dir)."""
  out = {}
  for kind, (obs_space, act_space) in CASES.items():
    policy = trained_like_policy(obs_space, act_space)
    base = tmp_path_factory.mktemp(f"exported-{kind}")
    out[kind] = (policy, export_policy(policy, obs_space, act_space, str(base), {"env_id": ENV_IDS[kind]}))
  return out


def stateless_pair(seed: int) -> np.ndarray:
  """The documented seed split, computed independently of trpo_tf.export: (low, high) 32-bit words."""
  bits = int(seed) & (2 ** 64 - 1)
  return np.array([bits & 0xFFFFFFFF, bits >> 32], np.uint32).view(np.int32)


def policy_sample_rows(policy, kind, obs, seeds, rows):
  """The policy's own draw for each row, alone, with that row's seed, finished as served."""
  out = []
  for i in rows:
    action = policy.sample(obs[i:i + 1], tf.constant(stateless_pair(seeds[i])))[0].numpy()
    out.append(np.clip(action, -1, 1) if kind == "gaussian" else np.int64(action))
  return np.array(out)


def assert_actions(kind, got, want):
  """Discrete actions are int64 and exact; Gaussian ones float32 within round-off (row vs batch matmuls)."""
  if kind == "gaussian":
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
  else:
    assert got.dtype == np.int64, got.dtype
    np.testing.assert_array_equal(got, want)


def varied_observation(policy, kind, obs_space):
  """An observation whose served draws vary with the seed: categorical probabilities all ≥ 0.2,
  or a Gaussian dimension mostly inside the bounds (the trained-like weights push most means past
  them, where clipping makes different draws equal)."""
  candidates = np.random.default_rng(7).normal(1.0, 3.0, (256,) + obs_space.shape).astype(np.float32)
  params = policy.dist_params(candidates)
  if kind == "categorical":
    score = tf.reduce_min(tf.nn.softmax(params[0]), -1).numpy()
  else:
    normal = tfp.distributions.Normal(params[0], tf.exp(params[1]))
    score = tf.reduce_max(normal.cdf(1.0) - normal.cdf(-1.0), -1).numpy()   # best dimension's P(inside)
  assert score.max() >= 0.2, score.max()
  return candidates[np.argmax(score)]


@pytest.mark.parametrize("kind", sorted(CASES))
def test_fresh_process_loaders_match_in_memory_policy(tmp_path, exported, kind):
  obs_space, _ = CASES[kind]
  policy, version = exported[kind]
  for batch in (1, 4096):
    rng = np.random.default_rng(batch)
    obs = rng.normal(1.0, 3.0, (batch,) + obs_space.shape).astype(np.float32)
    seeds = rng.integers(-2 ** 63, 2 ** 63 - 1, batch, dtype=np.int64, endpoint=True)
    np.save(tmp_path / "obs.npy", obs)
    np.save(tmp_path / "seeds.npy", seeds)
    out = str(tmp_path / f"out{batch}")
    proc = subprocess.run([sys.executable, CHECK, version, str(tmp_path / "obs.npy"), out,
                           str(tmp_path / "seeds.npy")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    params = [p.numpy() for p in policy.dist_params(obs)]
    if kind == "gaussian":
      expected = {"serving_default_actions": np.clip(params[0], -1, 1),
                  "distribution_mean": params[0], "distribution_log_std": params[1]}
    else:
      expected = {"serving_default_actions": np.argmax(params[0], -1),
                  "distribution_logits": params[0],
                  "distribution_probabilities": tf.nn.softmax(params[0]).numpy()}
    rows = sorted({0, batch // 3, batch // 2, batch - 1})   # drawn alone, as the sample contract says
    sampled = policy_sample_rows(policy, kind, obs, seeds, rows)
    for loader in ("tf2", "tf1"):
      for key, want in expected.items():
        got = np.load(f"{out}_{loader}_{key}.npy")
        assert got.shape[0] == batch, (loader, key, got.shape)   # every output batch-major
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=f"{loader} {key}")
      served = np.load(f"{out}_{loader}_sample_actions.npy")
      assert served.shape == expected["serving_default_actions"].shape, (loader, served.shape)
      assert_actions(kind, np.load(f"{out}_{loader}_serving_default_actions.npy"),
                     expected["serving_default_actions"])
      assert_actions(kind, served[rows], sampled)
    np.testing.assert_array_equal(np.load(f"{out}_tf1_sample_actions.npy"), np.load(f"{out}_tf2_sample_actions.npy"))
    if kind == "gaussian":
      assert np.any(np.abs(params[0]) > 1)   # the clipping inside the model was exercised


@pytest.mark.parametrize("kind", sorted(CASES))
def test_sample_seeds_are_per_row_and_use_all_64_bits(exported, kind):
  obs_space, _ = CASES[kind]
  policy, version = exported[kind]
  sample = tf.saved_model.load(version).signatures["sample"]
  one = varied_observation(policy, kind, obs_space)
  base = np.arange(1, 33, dtype=np.int64) * 1_000_003
  seeds = np.concatenate([base, base, base + 2 ** 31, base + 2 ** 32, -base])   # equal / +2³¹ / +2³² / negative
  obs = np.repeat(one[None], len(seeds), axis=0)
  got = sample(observations=tf.constant(obs), seed=tf.constant(seeds))["actions"].numpy()
  assert_actions(kind, got, policy_sample_rows(policy, kind, obs, seeds, range(len(seeds))))
  groups = got.reshape((5, 32) + got.shape[1:])
  np.testing.assert_array_equal(groups[0], groups[1])   # equal seeds, equal draws
  for other in groups[2:]:   # seeds differing by 2³¹, 2³² or in sign draw differently
    differ = np.mean([not np.array_equal(a, b) for a, b in zip(groups[0], other)])
    assert differ > 0.25, differ   # the old seed % 2³¹ made +2³¹ draw identically (0)
  # A scalar seed (the compatible form) is that seed for every row.
  scalar = sample(observations=tf.constant(obs[:3]), seed=tf.constant(seeds[0]))["actions"].numpy()
  assert_actions(kind, scalar, np.repeat(got[:1], 3, axis=0))
  for bad in (seeds[:2], seeds[:3].reshape(3, 1)):   # not one per row
    with pytest.raises(tf.errors.InvalidArgumentError, match="seed must be a scalar or one int64 per observation row"):
      sample(observations=tf.constant(obs[:3]), seed=tf.constant(bad))
  if kind == "gaussian":
    assert np.all(np.abs(got) <= 1)


def signature_defs(version: str):
  """The SignatureDefs as saved (what `saved_model_cli show` prints and TF Serving's metadata returns)."""
  with open(os.path.join(version, "saved_model.pb"), "rb") as f:
    return saved_model_pb2.SavedModel.FromString(f.read()).meta_graphs[0].signature_def


@pytest.mark.parametrize("kind", sorted(CASES))
def test_saved_model_cli_run(tmp_path, exported, kind):
  """The session loader TF Serving uses, through the CLI: actions' dtype and values, both signatures."""
  obs_space, _ = CASES[kind]
  policy, version = exported[kind]
  width = obs_space.shape[0]
  obs = np.array([[0.5] * width, [-1.5] * width, [3.0] * width], np.float32)
  seeds = [7, 7 + 2 ** 31, -3]
  rows = "[" + ",".join("[" + ",".join(map(str, row)) + "]" for row in obs.tolist()) + "]"
  exprs = {"serving_default": f"observations={rows}", "sample": f"observations={rows};seed={seeds}"}
  mode = np.clip(policy.mode(obs).numpy(), -1, 1) if kind == "gaussian" else policy.mode(obs).numpy()
  expected = {"serving_default": mode, "sample": policy_sample_rows(policy, kind, obs, seeds, range(3))}
  cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
  for name, expr in exprs.items():
    proc = subprocess.run([cli, "run", "--dir", version, "--tag_set", "serve", "--signature_def", name,
                           "--input_exprs", expr, "--outdir", str(tmp_path / name)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Result for output key actions" in proc.stdout
    assert_actions(kind, np.load(tmp_path / name / "actions.npy"), expected[name])

  defs = signature_defs(version)
  assert {"serving_default", "sample", "distribution"} <= set(defs)
  action_dtype = types_pb2.DT_FLOAT if kind == "gaussian" else types_pb2.DT_INT64
  for name in ("serving_default", "sample"):
    observations = defs[name].inputs["observations"]
    assert observations.name == f"{name}_observations:0" and observations.dtype == types_pb2.DT_FLOAT
    assert [d.size for d in observations.tensor_shape.dim] == [-1, width]
    assert defs[name].outputs["actions"].dtype == action_dtype
  seed = defs["sample"].inputs["seed"]
  assert seed.dtype == types_pb2.DT_INT64 and seed.tensor_shape.unknown_rank   # [batch] or a scalar


def test_bad_inputs_name_the_expected_shape_and_dtype(exported):
  loaded = tf.saved_model.load(exported["gaussian"][1])
  serve = loaded.signatures["serving_default"]
  for bad in (np.zeros((4, 5), np.float32), np.zeros((11,), np.float32)):
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"expected shape \[\?,11\]"):
      serve(observations=tf.constant(bad))
  with pytest.raises(tf.errors.InvalidArgumentError, match="expected to be a float tensor but is a double"):
    serve(observations=tf.constant(np.zeros((4, 11))))


def test_a_state_dependent_sigma_is_served_per_row(tmp_path):
  obs_space, act_space = CASES["gaussian"]
  tf.keras.utils.set_random_seed(0)
  policy, _ = build_networks(obs_space, act_space, NetworkConfig(state_dependent_std=True))
  for v in policy.trainable_variables:
    v.assign(tf.random.normal(v.shape, stddev=0.3, seed=0))
  version = export_policy(policy, obs_space, act_space, str(tmp_path), {"env_id": ENV_IDS["gaussian"]})
  obs = np.random.default_rng(0).normal(0.0, 2.0, (32,) + obs_space.shape).astype(np.float32)
  served = tf.saved_model.load(version).signatures["distribution"](observations=tf.constant(obs))
  mean, log_std = (p.numpy() for p in policy.dist_params(obs))
  assert np.ptp(log_std, axis=0).min() > 0.1                      # σ differs from row to row
  np.testing.assert_allclose(served["log_std"].numpy(), log_std, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(served["mean"].numpy(), mean, rtol=1e-5, atol=1e-5)


def test_image_observations_stay_uint8(tmp_path):
  obs_space = gym.spaces.Box(0, 255, (6, 6), np.uint8)
  policy = trained_like_policy(gym.spaces.Box(0, 255, (6, 6), np.uint8), gym.spaces.Discrete(3))
  loaded = tf.saved_model.load(export_policy(policy, obs_space, gym.spaces.Discrete(3), str(tmp_path), {}))
  serve = loaded.signatures["serving_default"]
  assert serve.structured_input_signature[1]["observations"].dtype == tf.uint8
  frames = np.random.default_rng(0).integers(0, 255, (2, 6, 6), dtype=np.uint8)
  np.testing.assert_array_equal(serve(observations=tf.constant(frames))["actions"].numpy(),
                                np.argmax(policy.dist_params(frames)[0].numpy(), -1))


def test_versions_are_atomic_and_never_overwritten(tmp_path):
  obs_space, act_space = CASES["categorical"]
  policy = trained_like_policy(obs_space, act_space)
  base = tmp_path / "base"
  first = export_policy(policy, obs_space, act_space, str(base), {"n": 1})
  second = export_policy(policy, obs_space, act_space, str(base), {"n": 2})
  assert [os.path.basename(first), os.path.basename(second)] == ["1", "2"]
  assert sorted(os.listdir(base)) == ["1", "2"]   # no temporary directory left behind
  for version, n in ((first, 1), (second, 2)):
    assert os.path.exists(os.path.join(version, "saved_model.pb"))
    assert os.listdir(os.path.join(version, "variables"))
    with open(os.path.join(version, "assets", "trpo_tf_policy.json")) as f:
      assert json.load(f)["n"] == n
  with pytest.raises(ExportError):   # a failing export leaves nothing behind
    export_policy(policy, obs_space, act_space, str(base), {"bad": object()})
  assert sorted(os.listdir(base)) == ["1", "2"]


def _export(*flags):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  return subprocess.run([sys.executable, os.path.join(ROOT, "launchers", "export.py"), *flags],
                        capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def trained_exports(trained_cartpole, tmp_path_factory):
  """The shared CartPole run exported twice: version 1 by the trainer, version 2 by launchers/export.py
  (into a copy, so the shared run stays as it was)."""
  root = tmp_path_factory.mktemp("trained")
  shutil.copytree(trained_cartpole[0].parent, root, dirs_exist_ok=True)
  run_dir, base = root / "run", root / "models"
  proc = _export(f"--run_dir={run_dir}", f"--export_dir={base}")
  assert proc.returncode == 0 and proc.stdout.strip().endswith(os.path.join("models", "2")), proc.stderr
  return run_dir, base


def test_export_and_evaluate_launchers_end_to_end(trained_exports):
  _, base = trained_exports
  proc = subprocess.run([sys.executable, os.path.join(ROOT, "launchers", "evaluate.py"), f"--model_dir={base}",
                         "--episodes=2"], capture_output=True, text=True, timeout=300)
  assert proc.returncode == 0, proc.stderr[-2000:]
  assert "CartPole-v1" in proc.stdout and "mean return" in proc.stdout and os.path.join("models", "2") in proc.stdout


def test_exports_name_the_run_not_the_machine(trained_exports, trained_cartpole):
  """A model is copied to servers: its asset and graph must not carry this machine's directories."""
  run_dir, base = trained_exports
  places = (run_dir, base, ROOT) + trained_cartpole[:2]   # version 1 was written where the run trained
  secrets = {str(p).encode() for d in places for p in (os.path.abspath(d), os.path.realpath(d))}
  for version in ("1", "2"):
    with open(base / version / "assets" / "trpo_tf_policy.json") as f:
      meta = json.load(f)
    assert meta["env_id"] == "CartPole-v1" and meta["run_name"] == "run", meta
    if version == "2":   # the launcher's export names its checkpoint by file name only
      assert meta["checkpoint"].startswith("ckpt-") and os.sep not in meta["checkpoint"], meta
    files = [os.path.join(d, f) for d, _, names in os.walk(base / version) for f in names]
    assert {"saved_model.pb", "trpo_tf_policy.json"} <= {os.path.basename(f) for f in files}
    for path in files:
      with open(path, "rb") as f:
        data = f.read()
      leaked = [s.decode() for s in secrets if s in data]
      assert not leaked, (path, leaked)


def test_evaluate_records_mujoco_video(tmp_path, exported):
  """MuJoCo frames are rendered from recorded states in a TF-free subprocess (trpo_tf/video.py)."""
  version = exported["gaussian"][1]   # its asset names Hopper-v5
  proc = subprocess.run([sys.executable, os.path.join(ROOT, "launchers", "evaluate.py"), f"--model_dir={version}",
                         "--episodes=1", f"--video_dir={tmp_path / 'videos'}"],
                        capture_output=True, text=True, timeout=300)
  assert proc.returncode == 0, proc.stderr[-2000:]
  length = int(proc.stdout.split("length ")[1].split()[0].rstrip(","))
  import imageio.v3 as iio
  frames = iio.imread(tmp_path / "videos" / "episode_0.mp4")
  assert frames.shape[0] == length + 1 and frames.shape[-1] == 3   # initial state + one per step
  assert os.listdir(tmp_path / "videos") == ["episode_0.mp4"]
