"""The serving client's requests, and the README's, match an exported model's signatures.

TF Serving's model server is not installable here (no package, no Docker engine),
so what is verified is everything up to the wire: the request bodies and the gRPC
PredictRequest carry the signature and input names of a real export, and feeding
their tensors to the SavedModel the way the server does (row format: each named
input stacked over the instances; columnar: as given; dtypes from the signature)
gives the policy's own outputs. The observation shape is read from the metadata
TF Serving returns, built here from the export's SignatureDefs.
"""

import json
import os
import re

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import json_format
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import get_model_metadata_pb2

from examples.serving_client import grpc_predict_request, observation_spec, rest_columnar_request, rest_row_request
from tests.helpers import ROOT
from tests.test_export import CASES, assert_actions, policy_sample_rows, trained_like_policy
from trpo_tf.export import export_policy


@pytest.fixture(scope="module")
def hopper(tmp_path_factory):
  """A Hopper-shaped export (11 observations, 3 actions in [-1, 1]): (policy, version dir, loaded)."""
  obs_space, act_space = CASES["gaussian"]
  policy = trained_like_policy(obs_space, act_space)
  version = export_policy(policy, obs_space, act_space, str(tmp_path_factory.mktemp("hopper")), {})
  return policy, version, tf.saved_model.load(version)


def served(loaded, body: dict) -> dict:
  """What TF Serving feeds the signature for a REST body: named inputs, dtypes from the signature."""
  signature = loaded.signatures[body.get("signature_name", "serving_default")]
  specs = signature.structured_input_signature[1]
  if "instances" in body:
    rows = body["instances"]
    named = {k: [row[k] for row in rows] for k in rows[0]} if isinstance(rows[0], dict) else {"observations": rows}
  else:
    named = body["inputs"]
  assert set(named) == set(specs), (set(named), set(specs))
  return {k: v.numpy() for k, v in signature(**{k: tf.constant(v, specs[k].dtype) for k, v in named.items()}).items()}


def model_metadata(version: str, name: str) -> dict:
  """GetModelMetadataResponse for the export as JSON (proto field names, int64 sizes as strings)."""
  with open(os.path.join(version, "saved_model.pb"), "rb") as f:
    defs = saved_model_pb2.SavedModel.FromString(f.read()).meta_graphs[0].signature_def
  signature_map = get_model_metadata_pb2.SignatureDefMap()
  for key, value in defs.items():
    signature_map.signature_def[key].CopyFrom(value)
  response = get_model_metadata_pb2.GetModelMetadataResponse()
  response.model_spec.name = name
  response.metadata["signature_def"].Pack(signature_map)
  return json.loads(json_format.MessageToJson(response, preserving_proto_field_name=True))


def test_observation_spec_comes_from_model_metadata(hopper, tmp_path):
  assert observation_spec(model_metadata(hopper[1], "hopper")) == ((11,), np.float32)
  image_space, actions = gym.spaces.Box(0, 255, (6, 6), np.uint8), gym.spaces.Discrete(3)
  image = export_policy(trained_like_policy(image_space, actions), image_space, actions, str(tmp_path), {})
  assert observation_spec(model_metadata(image, "breakout"), "sample") == ((6, 6), np.uint8)


def test_requests_fit_the_exported_signatures(hopper):
  policy, _, loaded = hopper
  obs = np.random.default_rng(0).standard_normal((2, 11)).astype(np.float32)
  mean, log_std = (p.numpy() for p in policy.dist_params(obs))
  seeds = [7, 7 + 2 ** 31]
  sampled = policy_sample_rows(policy, "gaussian", obs, seeds, range(2))

  def rest(body):   # through JSON, as sent
    return served(loaded, json.loads(json.dumps(body)))

  assert_actions("gaussian", rest(rest_row_request(obs))["actions"], np.clip(mean, -1, 1))
  out = rest(rest_columnar_request(obs, "distribution"))
  np.testing.assert_allclose(out["mean"], mean, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(out["log_std"], log_std, rtol=1e-5, atol=1e-5)
  row = rest_row_request(obs, "sample", seeds)
  assert row["instances"][1] == {"observations": obs[1].tolist(), "seed": 7 + 2 ** 31}
  assert_actions("gaussian", rest(row)["actions"], sampled)
  assert_actions("gaussian", rest(rest_columnar_request(obs, "sample", seeds))["actions"], sampled)
  scalar = rest(rest_columnar_request(obs, "sample", 7))["actions"]   # one seed for every row
  assert_actions("gaussian", scalar, policy_sample_rows(policy, "gaussian", obs, [7, 7], range(2)))

  for signature, row_seeds, want in (("serving_default", None, np.clip(mean, -1, 1)), ("sample", seeds, sampled)):
    request = grpc_predict_request(obs, "hopper", signature, row_seeds)
    assert request.model_spec.name == "hopper" and request.model_spec.signature_name == signature
    fed = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
    assert fed["observations"].dtype == np.float32 and (row_seeds is None or fed["seed"].dtype == np.int64)
    assert_actions("gaussian", loaded.signatures[signature](**{k: tf.constant(v) for k, v in fed.items()})["actions"],
                   want)


def readme_request_bodies() -> list:
  """The JSON bodies of the README's `curl ... :predict -d '{...}'` examples."""
  with open(os.path.join(ROOT, "README.md")) as f:
    text = f.read()
  return [json.loads(body) for body in re.findall(r":predict -d '(\{.*?\})'", text, re.S)]


def test_readme_request_bodies_run_on_a_hopper_export(hopper):
  policy, _, loaded = hopper
  bodies = readme_request_bodies()
  signatures = {(b["signature_name"], "instances" if "instances" in b else "inputs") for b in bodies}
  assert {("serving_default", "instances"), ("sample", "instances"), ("sample", "inputs")} <= signatures
  for body in bodies:
    out = served(loaded, body)
    rows = body["instances"] if "instances" in body else body["inputs"]["observations"]
    obs = np.array([r["observations"] if isinstance(r, dict) else r for r in rows], np.float32)
    if body["signature_name"] == "sample":
      seeds = [r["seed"] for r in rows] if "instances" in body else body["inputs"]["seed"]
      seeds = seeds if isinstance(seeds, list) else [seeds] * len(obs)
      assert_actions("gaussian", out["actions"], policy_sample_rows(policy, "gaussian", obs, seeds, range(len(obs))))
    else:
      assert all(v.shape[0] == len(obs) for v in out.values()), body
