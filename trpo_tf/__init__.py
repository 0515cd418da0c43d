"""trpo_tf: Trust Region Policy Optimization (Schulman et al., 2015) for TensorFlow 2."""

__version__ = "0.1.0"
