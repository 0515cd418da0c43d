"""trpo_tf: Trust Region Policy Optimization for TensorFlow 2 (Schulman et al., 2015)."""

from setuptools import find_packages, setup

# Pinned: the stack verified together in ../shared/design.md §2.
INSTALL_REQUIRES = [
    "tensorflow==2.21.0",
    "tensorflow-probability==0.25.0",
    "tf-keras==2.21.0",          # tensorflow-probability 0.25 fails to import without it
    "keras==3.15.1",
    "gymnasium[mujoco,atari]==1.4.0",
    "mujoco==4.0.0",
    "ale-py==0.12.1",            # Atari ROMs ship inside the wheel
    "opencv-python-headless==5.0.0.93",  # gymnasium's AtariPreprocessing resizes with cv2
    "numpy==2.4.6",
    "absl-py==2.5.1",
    "tensorboard==2.21.0",       # tf.summary
    "tqdm==4.70.1",
]

setup(
    name="trpo_tf",
    version="0.1.0",
    description=__doc__,
    packages=find_packages(include=["trpo_tf", "trpo_tf.*"]),
    python_requires=">=3.11,<3.12",
    install_requires=INSTALL_REQUIRES,
    extras_require={
        "test": ["pytest==9.2.0", "pytest-xdist==3.8.0", "ruff==0.17.5"],   # xdist: `make test` runs on every core; ruff: its lint (ruff.toml)
        "bench": ["matplotlib==3.11.2"],
        "serving": ["tensorflow-serving-api==2.21.0"],   # gRPC client protos (examples/serving_client.py)
        "video": ["imageio-ffmpeg==0.8.1", "pygame-ce==2.5.8"],   # evaluate.py --video_dir: MP4; classic control draws with pygame(-ce, gymnasium 1.4's choice)
        "envpool": ["envpool==1.2.5"],                   # --env_backend=envpool (sampling/envpool_env.py)
    },
)
