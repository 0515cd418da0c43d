"""SavedModel export: loads in TF2 and in the TF1 session loader (TF Serving's path) in a fresh
process with outputs equal to the in-memory policy; saved_model_cli; bad input; atomic versions."""

import json
import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import ROOT, run_train
from trpo_tf.config import NetworkConfig
from trpo_tf.export import ExportError, export_policy
from trpo_tf.networks import build_networks

CHECK = os.path.join(ROOT, "tests", "export_check.py")
CASES = {
    "gaussian": (gym.spaces.Box(-np.inf, np.inf, (11,), np.float64), gym.spaces.Box(-1, 1, (3,), np.float32)),
    "categorical": (gym.spaces.Box(-np.inf, np.inf, (4,), np.float32), gym.spaces.Discrete(2)),
}


def trained_like_policy(obs_space, act_space, seed=0):
  tf.keras.utils.set_random_seed(seed)
  policy, _ = build_networks(obs_space, act_space, NetworkConfig())
  for v in policy.trainable_variables:   # large weights so clipping and normalisation matter
    v.assign(tf.random.normal(v.shape, stddev=0.8, seed=seed))
  policy.normalizer.update(np.random.default_rng(seed).normal(1.0, 2.0, (300,) + obs_space.shape))
  return policy


@pytest.mark.parametrize("kind", sorted(CASES))
def test_fresh_process_loaders_match_in_memory_policy(tmp_path, kind):
  obs_space, act_space = CASES[kind]
  policy = trained_like_policy(obs_space, act_space)
  version = export_policy(policy, obs_space, act_space, str(tmp_path / "base"), {"env_id": "x"})
  for batch in (1, 4096):
    obs = np.random.default_rng(batch).normal(1.0, 3.0, (batch,) + obs_space.shape).astype(np.float32)
    np.save(tmp_path / "obs.npy", obs)
    out = str(tmp_path / f"out{batch}")
    proc = subprocess.run([sys.executable, CHECK, version, str(tmp_path / "obs.npy"), out],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    params = [p.numpy() for p in policy.dist_params(obs)]
    if kind == "gaussian":
      expected = {"serving_default_actions": np.clip(params[0], -1, 1),
                  "distribution_mean": params[0], "distribution_log_std": params[1]}
    else:
      expected = {"serving_default_actions": np.argmax(params[0], -1),
                  "distribution_logits": params[0],
                  "distribution_probabilities": tf.nn.softmax(params[0]).numpy()}
    for loader in ("tf2", "tf1"):
      for key, want in expected.items():
        got = np.load(f"{out}_{loader}_{key}.npy")
        assert got.shape[0] == batch, (loader, key, got.shape)   # every output batch-major
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=f"{loader} {key}")
    if kind == "gaussian":
      assert np.any(np.abs(params[0]) > 1)   # the clipping inside the model was exercised


def test_sample_signature_is_seeded_and_clipped(tmp_path):
  obs_space, act_space = CASES["gaussian"]
  policy = trained_like_policy(obs_space, act_space)
  loaded = tf.saved_model.load(export_policy(policy, obs_space, act_space, str(tmp_path), {}))
  obs = tf.zeros((64, 11))
  a = loaded.signatures["sample"](observations=obs, seed=tf.constant(5, tf.int64))["actions"].numpy()
  b = loaded.signatures["sample"](observations=obs, seed=tf.constant(5, tf.int64))["actions"].numpy()
  c = loaded.signatures["sample"](observations=obs, seed=tf.constant(6, tf.int64))["actions"].numpy()
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c) and a.shape == (64, 3) and np.all(np.abs(a) <= 1)


def test_saved_model_cli_run(tmp_path):
  obs_space, act_space = CASES["gaussian"]
  version = export_policy(trained_like_policy(obs_space, act_space), obs_space, act_space, str(tmp_path), {})
  cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
  row = "[" + ",".join(["0.5"] * 11) + "]"
  proc = subprocess.run([cli, "run", "--dir", version, "--tag_set", "serve", "--signature_def",
                         "serving_default", "--input_exprs", f"observations=[{row},{row}]"],
                        capture_output=True, text=True, timeout=300)
  assert proc.returncode == 0, proc.stderr[-2000:]
  assert "Result for output key actions" in proc.stdout
  show = subprocess.run([cli, "show", "--dir", version, "--all"], capture_output=True, text=True, timeout=300)
  for text in ("signature_def['serving_default']", "signature_def['sample']", "signature_def['distribution']",
               "shape: (-1, 11)", "name: serving_default_observations:0"):
    assert text in show.stdout, text


def test_bad_inputs_name_the_expected_shape_and_dtype(tmp_path):
  obs_space, act_space = CASES["gaussian"]
  loaded = tf.saved_model.load(
      export_policy(trained_like_policy(obs_space, act_space), obs_space, act_space, str(tmp_path), {}))
  serve = loaded.signatures["serving_default"]
  for bad in (np.zeros((4, 5), np.float32), np.zeros((11,), np.float32)):
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"expected shape \[\?,11\]"):
      serve(observations=tf.constant(bad))
  with pytest.raises(tf.errors.InvalidArgumentError, match="expected to be a float tensor but is a double"):
    serve(observations=tf.constant(np.zeros((4, 11))))


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


def test_export_and_evaluate_launchers_end_to_end(tmp_path):
  run_dir, base = tmp_path / "run", tmp_path / "models"
  proc = run_train("--preset=cartpole", "--total_steps=2048", "--eval_episodes=0", f"--run_dir={run_dir}",
                   f"--export_dir={base}")
  assert proc.returncode == 0, proc.stderr[-2000:]
  assert sorted(os.listdir(base)) == ["1"]            # final export from training
  proc = _export(f"--run_dir={run_dir}", f"--export_dir={base}")
  assert proc.returncode == 0 and proc.stdout.strip().endswith(os.path.join("models", "2")), proc.stderr
  proc = subprocess.run([sys.executable, os.path.join(ROOT, "launchers", "evaluate.py"), f"--model_dir={base}",
                         "--episodes=2"], capture_output=True, text=True, timeout=300)
  assert proc.returncode == 0, proc.stderr[-2000:]
  assert "CartPole-v1" in proc.stdout and "mean return" in proc.stdout and os.path.join("models", "2") in proc.stdout


def test_export_launcher_bad_checkpoints(tmp_path):
  base = tmp_path / "models"
  proc = _export(f"--run_dir={tmp_path / 'nothing'}", f"--export_dir={base}")
  assert proc.returncode == 2 and proc.stderr.strip().splitlines()[-1].startswith("error: ")
  run_dir = tmp_path / "run"
  assert run_train("--preset=cartpole", "--total_steps=1024", "--eval_episodes=0", f"--run_dir={run_dir}").returncode == 0
  ckpt_dir = run_dir / "checkpoints"
  data = [f for f in os.listdir(ckpt_dir) if ".data-" in f][0]
  with open(ckpt_dir / data, "r+b") as f:   # corrupt the checkpoint
    f.truncate(16)
  proc = _export(f"--run_dir={run_dir}", f"--export_dir={base}")
  # Reading a checkpoint needs TensorFlow, whose start-up banner may precede our one error line.
  errors = [line for line in proc.stderr.strip().splitlines() if line.startswith("error: ")]
  assert proc.returncode == 2 and len(errors) == 1 and "missing or corrupt" in errors[0], proc.stderr
  assert proc.stderr.strip().splitlines()[-1] == errors[0]
  assert not base.exists() or os.listdir(base) == []
  proc = _export(f"--run_dir={run_dir}", "--checkpoint=/no/such/ckpt-9", f"--export_dir={base}")
  assert proc.returncode == 2 and "missing or corrupt" in proc.stderr


def test_evaluate_records_mujoco_video(tmp_path):
  """MuJoCo frames are rendered from recorded states in a TF-free subprocess (trpo_tf/video.py)."""
  obs_space, act_space = CASES["gaussian"]
  version = export_policy(trained_like_policy(obs_space, act_space), obs_space, act_space,
                          str(tmp_path / "models"), {"env_id": "Hopper-v5"})
  proc = subprocess.run([sys.executable, os.path.join(ROOT, "launchers", "evaluate.py"), f"--model_dir={version}",
                         "--episodes=1", f"--video_dir={tmp_path / 'videos'}"],
                        capture_output=True, text=True, timeout=300)
  assert proc.returncode == 0, proc.stderr[-2000:]
  length = int(proc.stdout.split("length ")[1].split()[0].rstrip(","))
  import imageio.v3 as iio
  frames = iio.imread(tmp_path / "videos" / "episode_0.mp4")
  assert frames.shape[0] == length + 1 and frames.shape[-1] == 3   # initial state + one per step
  assert os.listdir(tmp_path / "videos") == ["episode_0.mp4"]
