"""The serving client's requests match an exported model's signatures.

TF Serving's model server is not installable here (no package, no Docker engine),
so what is verified is everything up to the wire: the request bodies and the gRPC
PredictRequest carry the signature and input names of a real export, and feeding
their tensors to the SavedModel gives the expected batch-major outputs.
"""

import json

import gymnasium as gym
import numpy as np
import tensorflow as tf

from examples.serving_client import grpc_predict_request, rest_columnar_request, rest_row_request
from trpo_tf.config import NetworkConfig
from trpo_tf.export import export_policy
from trpo_tf.networks import build_networks


def test_requests_fit_the_exported_signature(tmp_path):
  obs_space = gym.spaces.Box(-np.inf, np.inf, (11,), np.float32)
  act_space = gym.spaces.Box(-1, 1, (3,), np.float32)
  policy, _ = build_networks(obs_space, act_space, NetworkConfig())
  loaded = tf.saved_model.load(export_policy(policy, obs_space, act_space, str(tmp_path), {}))
  obs = np.random.default_rng(0).standard_normal((2, 11)).astype(np.float32)
  serve = loaded.signatures["serving_default"]
  expected = serve(observations=tf.constant(obs))["actions"].numpy()

  row = json.loads(json.dumps(rest_row_request(obs)))
  assert row["signature_name"] in loaded.signatures
  np.testing.assert_allclose(serve(observations=tf.constant(row["instances"], tf.float32))["actions"].numpy(),
                             expected, rtol=1e-6)
  col = json.loads(json.dumps(rest_columnar_request(obs, "distribution")))
  out = loaded.signatures[col["signature_name"]](**{k: tf.constant(v, tf.float32) for k, v in col["inputs"].items()})
  assert out["mean"].shape == (2, 3) and out["log_std"].shape == (2, 3)

  request = grpc_predict_request(obs, "hopper")
  assert request.model_spec.name == "hopper" and request.model_spec.signature_name == "serving_default"
  fed = tf.make_ndarray(request.inputs["observations"])
  np.testing.assert_allclose(serve(observations=tf.constant(fed))["actions"].numpy(), expected, rtol=1e-6)
