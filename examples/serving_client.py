"""Query a policy served by TF Serving, over REST and over gRPC.

Start the server (see README, "Serving"), then:
  python examples/serving_client.py --model=hopper --host=localhost
The request builders are also used by tests/test_serving_client.py, which checks
them against an exported model's signatures (the model server itself is not run
by the test suite).
"""

import argparse
import json
import urllib.request

import numpy as np


def rest_row_request(observations: np.ndarray, signature: str = "serving_default") -> dict:
  """Row ("instances") format: one entry per observation."""
  return {"signature_name": signature, "instances": observations.tolist()}


def rest_columnar_request(observations: np.ndarray, signature: str = "serving_default") -> dict:
  """Columnar ("inputs") format: named input tensors."""
  return {"signature_name": signature, "inputs": {"observations": observations.tolist()}}


def grpc_predict_request(observations: np.ndarray, model: str, signature: str = "serving_default"):
  """A tensorflow_serving PredictRequest for the `observations` input."""
  import tensorflow as tf
  from tensorflow_serving.apis import predict_pb2
  request = predict_pb2.PredictRequest()
  request.model_spec.name = model
  request.model_spec.signature_name = signature
  request.inputs["observations"].CopyFrom(tf.make_tensor_proto(observations.astype(np.float32)))
  return request


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--model", required=True, help="model name given to tensorflow_model_server")
  parser.add_argument("--host", default="localhost")
  parser.add_argument("--obs_dim", type=int, default=11)
  args = parser.parse_args()
  obs = np.zeros((2, args.obs_dim), np.float32)

  url = f"http://{args.host}:8501/v1/models/{args.model}:predict"
  for body in (rest_row_request(obs), rest_columnar_request(obs)):
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as response:
      print("REST", json.loads(response.read()))

  import grpc
  import tensorflow as tf
  from tensorflow_serving.apis import prediction_service_pb2_grpc
  with grpc.insecure_channel(f"{args.host}:8500") as channel:
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    result = stub.Predict(grpc_predict_request(obs, args.model), timeout=10)
    print("gRPC actions", tf.make_ndarray(result.outputs["actions"]))


if __name__ == "__main__":
  main()
