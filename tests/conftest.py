import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# trpo_tf.tf_agents needs this before TensorFlow loads; our own networks are Keras 3 (`import keras`)
# and are unaffected, which the whole suite running with it set also checks.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
