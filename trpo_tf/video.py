"""Episode videos, without OpenGL and TensorFlow in one process.

On these machines MuJoCo's EGL renderer and TensorFlow crash when loaded in the
same process (in either order). So evaluation records the simulator state
(qpos, qvel) of every step, and this module, run as a TF-free subprocess,
restores each state and renders it. ALE renders in software, so Atari frames
are captured directly by the evaluating process.

  python -m trpo_tf.video --env_id=Hopper-v5 --states=ep0.npz --out=ep0.mp4
"""

import argparse
import os
import subprocess
import sys

import numpy as np

FPS_FALLBACK = 30
_INSTALL = "install the project's video extra (pip install -e '.[video]', which `make` does)"


def needs_replay(env) -> bool:
  """True for MuJoCo envs (rendered later from recorded states)."""
  return hasattr(env.unwrapped, "data") and hasattr(env.unwrapped, "set_state")


def check_recording(env, env_id: str) -> None:
  """ConfigError (one line) unless this process can write MP4s and, for captured envs, render `env`.

  Checked before any episode runs, so a missing video dependency costs no
  evaluation. MuJoCo envs are rendered later in a subprocess (see the module
  docstring) and cannot be tried here without loading OpenGL beside TensorFlow.
  """
  from trpo_tf.config import ConfigError
  try:
    import imageio  # noqa: F401
    import imageio_ffmpeg  # noqa: F401
  except ImportError as e:
    raise ConfigError(f"--video_dir needs {e.name} to write MP4s: {_INSTALL}") from None
  if needs_replay(env):
    return
  os.environ.setdefault("SDL_VIDEODRIVER", "dummy")   # pygame draws off screen (no display, no SDL complaints)
  import gymnasium as gym
  try:
    env.reset(seed=0)
    frame = env.render()
  except gym.error.DependencyNotInstalled as e:
    if "pygame" in str(e):   # classic control draws with pygame, which the video extra installs
      raise ConfigError(f"--video_dir needs pygame to render {env_id}: {_INSTALL}") from None
    raise ConfigError(f"--video_dir cannot render {env_id}: {str(e).splitlines()[0]}") from None
  if frame is None:
    raise ConfigError(f"--video_dir: {env_id} does not render frames (render_mode rgb_array gave none)")


def mujoco_state(env) -> np.ndarray:
  data = env.unwrapped.data
  return np.concatenate([data.qpos, data.qvel]).copy()


def write_video(frames, path: str, fps: int) -> None:
  import imageio
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  imageio.mimsave(path, [_pad_to_blocks(f) for f in frames], fps=fps)


def _pad_to_blocks(frame: np.ndarray, block: int = 16) -> np.ndarray:
  """Pads height and width to multiples of 16 (edge pixels), which the encoder needs: otherwise imageio
  rescales the frame (CartPole's 600 px, Atari's 210 px) and logs a warning for every video."""
  h, w = frame.shape[:2]
  pad = [(0, -h % block), (0, -w % block)] + [(0, 0)] * (frame.ndim - 2)
  return np.pad(frame, pad, mode="edge")


def render_states_in_subprocess(env_id: str, states: np.ndarray, path: str) -> None:
  """Renders recorded MuJoCo states to `path` in a fresh process (MUJOCO_GL=egl by default)."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  states_path = path + ".states.npz"
  np.savez(states_path, states=states)
  env = dict(os.environ)
  env.setdefault("MUJOCO_GL", "egl")
  try:
    proc = subprocess.run([sys.executable, "-m", "trpo_tf.video", f"--env_id={env_id}",
                           f"--states={states_path}", f"--out={path}"], capture_output=True, text=True,
                          env=env, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  finally:
    os.remove(states_path)
  if proc.returncode != 0:
    lines = proc.stderr.strip().splitlines()
    raise RuntimeError(f"rendering {path} failed: {lines[-1] if lines else proc.returncode}")


def main():
  parser = argparse.ArgumentParser(description="Render recorded MuJoCo states to a video.")
  parser.add_argument("--env_id", required=True)
  parser.add_argument("--states", required=True)
  parser.add_argument("--out", required=True)
  args = parser.parse_args()
  import gymnasium as gym
  env = gym.make(args.env_id, render_mode="rgb_array")
  env.reset(seed=0)
  env.render()
  # gymnasium renders with a free camera (reset on every render) even when the env names a
  # body to follow; move the camera's look-at point with that body so a walker stays in view.
  renderer = env.unwrapped.mujoco_renderer
  body = (renderer.default_cam_config or {}).get("trackbodyid")
  camera = renderer._get_viewer("rgb_array").cam
  nq = env.unwrapped.model.nq
  frames = []
  for state in np.load(args.states)["states"]:
    env.unwrapped.set_state(state[:nq], state[nq:])
    if body is not None:
      camera.lookat[:2] = env.unwrapped.data.xpos[int(body)][:2]
    frames.append(env.render())
  env.close()
  write_video(frames, args.out, env.metadata.get("render_fps", FPS_FALLBACK))


if __name__ == "__main__":
  main()
