"""Evaluate an exported SavedModel in its gymnasium environment (no training code needed).

  python launchers/evaluate.py --model_dir=exported_models/hopper [--episodes=10] [--stochastic]
      [--env_id=...] [--video_dir=videos/]

--model_dir is a version directory or a base directory (its highest version is used).
The env id is read from the model's assets/trpo_tf_policy.json unless --env_id is given.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from launchers import preflight

preflight.quiet_tensorflow()

from absl import app, flags, logging  # noqa: E402

flags.DEFINE_string("model_dir", None, "SavedModel version directory or TF Serving base directory", required=True)
flags.DEFINE_integer("episodes", 10, "episodes to run")
flags.DEFINE_integer("seed", 0, "seed of the first episode's reset (episode i uses seed + i)")
flags.DEFINE_bool("stochastic", False, "use the 'sample' signature instead of serving_default")
flags.DEFINE_string("env_id", None, "override the env id stored in the model")
flags.DEFINE_string("video_dir", None, "write one MP4 per episode here (MuJoCo: rendered from recorded "
                    "states in a subprocess with MUJOCO_GL=egl; Atari: captured frames)")
FLAGS = flags.FLAGS


def resolve_version(model_dir: str) -> str:
  if os.path.exists(os.path.join(model_dir, "saved_model.pb")):
    return model_dir
  from trpo_tf.serving_layout import versions
  found = versions(model_dir)
  if not found:
    raise FileNotFoundError(f"{model_dir} holds neither saved_model.pb nor integer version directories")
  return os.path.join(model_dir, str(found[-1]))


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  logging.set_verbosity(logging.WARNING)
  if FLAGS.episodes < 1:
    print("error: --episodes must be >= 1", file=sys.stderr)
    return 2
  try:
    version = resolve_version(FLAGS.model_dir)
    env_id = FLAGS.env_id
    if env_id is None:
      with open(os.path.join(version, "assets", "trpo_tf_policy.json")) as f:
        env_id = json.load(f)["env_id"]
  except (OSError, KeyError, ValueError) as e:
    print(f"error: {e}", file=sys.stderr)
    return 2
  preflight.load_tensorflow()
  from trpo_tf.config import ConfigError
  from trpo_tf.evaluation import run_episodes
  from trpo_tf import video
  from trpo_tf.sampling.envs import make_env
  try:
    env = make_env(env_id)
    if FLAGS.video_dir and not video.needs_replay(env):   # ALE renders in software: capture frames
      env.close()
      env = make_env(env_id, render_mode="rgb_array")
  except ConfigError as e:
    print(f"error: {e}", file=sys.stderr)
    return 2
  import numpy as np
  import tensorflow as tf
  model = tf.saved_model.load(version)
  serve = model.signatures["sample" if FLAGS.stochastic else "serving_default"]
  dtype = serve.structured_input_signature[1]["observations"].dtype

  recorded = []   # this episode's frames (ALE) or simulator states (MuJoCo)

  def record():
    if FLAGS.video_dir:
      recorded.append(video.mujoco_state(env) if video.needs_replay(env) else env.render())

  def act(obs, episode, t):
    if t == 0:
      recorded.clear()
    record()
    inputs = {"observations": tf.constant(obs[None], dtype)}
    if FLAGS.stochastic:
      inputs["seed"] = tf.constant(FLAGS.seed * 1_000_003 + episode * 10_007 + t, tf.int64)
    return serve(**inputs)["actions"].numpy()[0]

  def report(i, ret, length):
    print(f"episode {i}: return {ret:.1f}, length {length}", flush=True)
    if FLAGS.video_dir:
      record()   # the final state
      path = os.path.join(FLAGS.video_dir, f"episode_{i}.mp4")
      if video.needs_replay(env):
        video.render_states_in_subprocess(env_id, np.stack(recorded), path)
      else:
        video.write_video(recorded, path, env.metadata.get("render_fps", video.FPS_FALLBACK))
      print(f"  video: {path}", flush=True)

  try:
    result = run_episodes(env, act, FLAGS.episodes, FLAGS.seed, on_episode=report)
  finally:
    env.close()
  print(f"{env_id}, {version}: mean return {result.mean_return:.1f} ± {result.std_return:.1f} "
        f"over {len(result.returns)} episodes (mean length {np.mean(result.lengths):.0f})")
  return 0


if __name__ == "__main__":
  app.run(main)
