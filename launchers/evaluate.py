"""Evaluate an exported SavedModel in its gymnasium environment (no training code needed).

  python launchers/evaluate.py --model_dir=exported_models/hopper [--episodes=10] [--stochastic]
      [--env_id=...] [--video_dir=videos/]

--model_dir is a version directory or a base directory (its highest version is used).
The env id is read from the model's assets/trpo_tf_policy.json unless --env_id is given.
Exports of launchers/export.py, launchers/train.py and launchers/train_tf_agents.py
(PolicySaver signatures plus serving_default) all load. Bad input (no model, an
unreadable one, a model that does not fit the env, a video dependency missing)
is one `error: ...` line and exit status 2, before any episode runs.
"""

import json
import os
import sys

if not __package__:   # run as a script (python launchers/X.py, bazel run): import as the launchers package
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  __package__ = "launchers"

from . import preflight

preflight.enter_invocation_directory()

preflight.quiet_tensorflow()

from absl import flags, logging  # noqa: E402

from trpo_tf.config import ConfigError  # noqa: E402
from trpo_tf.serving_layout import versions  # noqa: E402

flags.DEFINE_string("model_dir", None, "SavedModel version directory or TF Serving base directory", required=True)
flags.DEFINE_integer("episodes", 10, "episodes to run")
flags.DEFINE_integer("seed", 0, "seed of the first episode's reset (episode i uses seed + i)")
flags.DEFINE_bool("stochastic", False, "use the 'sample' signature instead of serving_default")
flags.DEFINE_string("env_id", None, "override the env id stored in the model")
flags.DEFINE_string("video_dir", None, "write one MP4 per episode here (MuJoCo: rendered from recorded "
                    "states in a subprocess with MUJOCO_GL=egl; Atari and classic control: captured frames)")
FLAGS = flags.FLAGS

METADATA = os.path.join("assets", "trpo_tf_policy.json")
POLICY_SAVER_ONLY = ("{} is a TF-Agents PolicySaver model without trpo_tf's signatures; evaluate the TF-Agents export that "
                     "launchers/train_tf_agents.py also writes (--export_dir, default exported_models/<run name>/)")


def _is_saved_model(path: str) -> bool:
  return any(os.path.isfile(os.path.join(path, f)) for f in ("saved_model.pb", "saved_model.pbtxt"))


def resolve_version(model_dir: str) -> str:
  """model_dir itself if it holds a SavedModel, else its highest integer version (TF Serving's choice)."""
  if not os.path.exists(model_dir):
    raise ConfigError(f"--model_dir {model_dir} does not exist")
  if not os.path.isdir(model_dir):
    raise ConfigError(f"--model_dir {model_dir} is a file; pass the SavedModel's directory")
  if _is_saved_model(model_dir):
    return model_dir
  found = versions(model_dir)
  if not found:
    raise ConfigError(f"--model_dir {model_dir} is not a SavedModel: it holds neither saved_model.pb nor "
                      "integer version directories")
  version = os.path.join(model_dir, str(found[-1]))
  if not _is_saved_model(version):
    raise ConfigError(f"{version}, the highest version under --model_dir, holds no saved_model.pb")
  return version


def stored_env_id(version: str):
  """The env id in the model's metadata (trpo_tf and TF-Agents exports both write it); None if absent."""
  path = os.path.join(version, METADATA)
  if not os.path.exists(path):
    return None
  try:
    with open(path) as f:
      return json.load(f)["env_id"]
  except (OSError, ValueError, KeyError, TypeError) as e:
    raise ConfigError(f"cannot read the env id from {path} ({type(e).__name__}: {e}); pass --env_id") from None


def choose_env_id(version: str) -> str:
  env_id = FLAGS.env_id or stored_env_id(version)
  if not env_id and os.path.exists(os.path.join(version, "policy_specs.pbtxt")):
    raise ConfigError(POLICY_SAVER_ONLY.format(version))
  if not env_id:
    raise ConfigError(f"{version} has no {METADATA} naming its environment; pass --env_id")
  return env_id


def open_env(env_id: str):
  """The evaluation env (rendering frames when they are captured here); checks --video_dir's needs."""
  from trpo_tf import video
  from trpo_tf.sampling.envs import make_env
  env = make_env(env_id)
  if not FLAGS.video_dir:
    return env
  try:
    if not video.needs_replay(env):   # ALE and classic control render in software: capture frames
      env.close()
      env = make_env(env_id, render_mode="rgb_array")
    video.check_recording(env, env_id)
    return env
  except BaseException:
    env.close()
    raise


def load_model(version: str):
  """tf.saved_model.load, with TFP's types registered (TF-Agents' PolicySaver stores them); one line on failure."""
  tf = preflight.load_tensorflow()
  import tensorflow_probability  # noqa: F401  registers e.g. Deterministic_ACTTypeSpec before loading
  try:
    return tf.saved_model.load(version)
  except (OSError, ValueError, KeyError, IndexError, TypeError, tf.errors.OpError) as e:   # truncated: IndexError
    first = (str(e).strip().splitlines() or [type(e).__name__])[0]
    raise ConfigError(f"cannot load the SavedModel in {version}: {first}") from None


def choose_signature(model, version: str, env, env_id: str):
  """The signature to act with, checked against the env's spaces."""
  from trpo_tf.evaluation import check_model_fits_env
  name = "sample" if FLAGS.stochastic else "serving_default"
  if "serving_default" not in model.signatures and "action" in model.signatures:
    raise ConfigError(POLICY_SAVER_ONLY.format(version))
  if FLAGS.stochastic and name not in model.signatures and "serving_default" in model.signatures:
    raise ConfigError(f"{version} has no 'sample' signature, which --stochastic uses (it was exported without "
                      "one); evaluate it without --stochastic, or export it again")
  try:
    check_model_fits_env(model.signatures, name, env.observation_space, env.action_space, env_id)
  except ConfigError as e:
    trained_on = stored_env_id(version)
    hint = f" (it was exported for {trained_on})" if trained_on and trained_on != env_id else ""
    raise ConfigError(f"{version}: {e}{hint}") from None
  return model.signatures[name]


class Recorder:
  """One episode's frames (captured envs) or simulator states (MuJoCo), written as episode_<i>.mp4."""

  def __init__(self, env, env_id: str, video_dir):
    self.env, self.env_id, self.video_dir, self.recorded = env, env_id, video_dir, []

  def record(self, t: int) -> None:
    """Called before the action of step t: keeps the state the policy sees (a new episode at t = 0)."""
    if self.video_dir:
      if t == 0:
        self.recorded.clear()
      self._capture()

  def _capture(self) -> None:
    from trpo_tf import video
    self.recorded.append(video.mujoco_state(self.env) if video.needs_replay(self.env) else self.env.render())

  def write(self, episode: int) -> str:
    import numpy as np

    from trpo_tf import video
    self._capture()   # the final state
    path = os.path.join(self.video_dir, f"episode_{episode}.mp4")
    if video.needs_replay(self.env):
      video.render_states_in_subprocess(self.env_id, np.stack(self.recorded), path)
    else:
      video.write_video(self.recorded, path, self.env.metadata.get("render_fps", video.FPS_FALLBACK))
    return path


def play(env, env_id: str, serve, version: str) -> int:
  """Runs the episodes with `serve` (a loaded signature) and prints each return and the mean."""
  import numpy as np
  import tensorflow as tf

  from trpo_tf.evaluation import run_episodes
  dtype = serve.structured_input_signature[1]["observations"].dtype
  recorder = Recorder(env, env_id, FLAGS.video_dir)

  def act(obs, episode, t):
    recorder.record(t)
    inputs = {"observations": tf.constant(obs[None], dtype)}
    if FLAGS.stochastic:
      inputs["seed"] = tf.constant(FLAGS.seed * 1_000_003 + episode * 10_007 + t, tf.int64)
    return serve(**inputs)["actions"].numpy()[0]

  def report(i, ret, length):
    print(f"episode {i}: return {ret:.1f}, length {length}", flush=True)
    if FLAGS.video_dir:
      print(f"  video: {recorder.write(i)}", flush=True)

  result = run_episodes(env, act, FLAGS.episodes, FLAGS.seed, on_episode=report)
  print(f"{env_id}, {version}: mean return {result.mean_return:.1f} ± {result.std_return:.1f} "
        f"over {len(result.returns)} episodes (mean length {np.mean(result.lengths):.0f})")
  return 0


def main(argv):
  del argv   # the program name only: preflight.run_app rejects positional arguments
  logging.set_verbosity(logging.WARNING)
  try:
    if FLAGS.episodes < 1:
      raise ConfigError("--episodes must be >= 1")
    if FLAGS.video_dir:
      preflight.check_writable_dir(FLAGS.video_dir, "--video_dir")
    version = resolve_version(FLAGS.model_dir)
    env_id = choose_env_id(version)
    env = open_env(env_id)
  except ConfigError as e:
    return preflight.fail(e)
  try:
    model = load_model(version)   # kept alive while its signatures run
    serve = choose_signature(model, version, env, env_id)
  except ConfigError as e:
    env.close()
    return preflight.fail(e)
  try:
    return play(env, env_id, serve, version)
  finally:
    env.close()


def run():
  """Console-script entry point (setup.py)."""
  preflight.run_app(main)


if __name__ == "__main__":
  run()
