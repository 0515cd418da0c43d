"""trpo_tf: Trust Region Policy Optimization for TensorFlow 2 (Schulman et al., 2015)."""

from setuptools import find_packages, setup

# Compatible ranges, so trpo_tf installs into an existing TensorFlow environment. The exact versions
# verified together (../shared/design.md §2) are in constraints.txt, which `make train` / `make test`
# install; the lower ends were checked with constraints-min.txt (README: Installing).
INSTALL_REQUIRES = [
    "tensorflow>=2.20,<2.22",
    "tf-keras>=2.20,<2.22",              # tensorflow-probability 0.25 fails to import without it
    "tensorflow-probability>=0.25,<0.26",
    "keras>=3.10,<4",                    # our networks are Keras 3 (`import keras`)
    "gymnasium>=1.1,<1.5",               # 1.x vector-env autoreset (NEXT_STEP) and register_envs
    "numpy>=1.26,<3",
    "absl-py>=2.1,<3",
    "tensorboard>=2.20,<2.22",           # its event writer (progress.py); TensorFlow no longer brings it
    "tqdm>=4.66,<5",
]

EXTRAS_REQUIRE = {
    # Environment families: a missing one is reported in one line naming its extra (sampling/envs.py).
    # MuJoCo presets sample on EnvPool by default (sampling/envpool_env.py), so it comes with them. EnvPool 1.2.5
    # bundles MuJoCo 3.6; gymnasium's envs on MuJoCo 3.6-3.17 step exactly as it does, on 3.3.6 (Hopper, Ant) or
    # 4.0 (Ant) they do not (tests/test_envpool.py::test_one_step_dynamics_are_gymnasiums): so training and
    # evaluation share one physics.
    "mujoco": ["gymnasium[mujoco]>=1.1,<1.5", "mujoco>=3.6,<4", "envpool>=1.2.5,<1.3"],
    "atari": ["ale-py>=0.10,<0.13",                     # Atari ROMs ship inside the wheel
              "opencv-python-headless>=4.8"],           # gymnasium's AtariPreprocessing resizes with cv2
    "envpool": ["envpool>=1.2.5,<1.3"],                 # --env_backend=envpool for other tasks
    "ray": ["ray>=2.60,<3"],                            # --sampler_backend=ray (sampling/ray_sampler.py)
    "video": ["imageio-ffmpeg>=0.5,<1", "pygame-ce>=2.5,<3"],   # evaluate.py --video_dir (pygame-ce: classic control)
    "serving": ["tensorflow-serving-api>=2.20,<2.22"],  # gRPC client protos (examples/serving_client.py)
    "bench": ["matplotlib>=3.8,<4"],
    "test": ["pytest>=8,<10", "pytest-xdist>=3.5,<4", "ruff>=0.17,<0.18"],   # ruff: the lint (ruff.toml)
}
# TF-Agents 0.19 pins tfp~=0.23 and gym<=0.23, which pip cannot resolve against this stack: the
# Makefile installs it with --no-deps (README: TF-Agents), so it is not an extra.
EXTRAS_REQUIRE["all"] = sorted({r for name in ("mujoco", "atari", "envpool", "ray", "video", "serving")
                                for r in EXTRAS_REQUIRE[name]})

setup(
    name="trpo_tf",
    version="0.1.0",
    description=__doc__,
    # The launchers live in launchers/ in the checkout and install as trpo_tf.launchers.
    packages=find_packages(include=["trpo_tf", "trpo_tf.*"]) + ["trpo_tf.launchers"],
    package_dir={"trpo_tf.launchers": "launchers"},
    python_requires=">=3.11",             # tested on 3.11 (EnvPool 1.2 has cp311 wheels)
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    entry_points={"console_scripts": [
        "trpo-train = trpo_tf.launchers.train:run",
        "trpo-evaluate = trpo_tf.launchers.evaluate:run",
        "trpo-export = trpo_tf.launchers.export:run",
        "trpo-train-tf-agents = trpo_tf.launchers.train_tf_agents:run",
    ]},
)
