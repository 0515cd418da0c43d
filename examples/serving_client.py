"""Query a policy served by TF Serving, over REST and over gRPC.

Start the server (see README, "Exporting and serving policies"), then:
  python examples/serving_client.py --model=hopper --host=localhost
The observation shape and dtype come from the server's model metadata (or --obs_shape).
The request builders are also used by tests/test_serving_client.py, which checks
them against an exported model's signatures (the model server itself is not run
by the test suite).

The `sample` signature takes one int64 seed per observation row ("seed", [batch]):
row i's action depends only on observation i and seed i, so equal seeds give equal
actions. A scalar seed is also accepted and then applies to every row.
"""

import argparse
import json
import urllib.request

import numpy as np

# TF Serving's metadata names dtypes by their DataType enum; exports use these two.
_DTYPES = {"DT_FLOAT": np.float32, "DT_UINT8": np.uint8}


def observation_spec(metadata: dict, signature: str = "serving_default"):
  """(shape without the batch dimension, numpy dtype) of `observations`, read from TF Serving's
  GET /v1/models/<name>/metadata response (its SignatureDefMap, int64 sizes as JSON strings)."""
  spec = metadata["metadata"]["signature_def"]["signature_def"][signature]["inputs"]["observations"]
  dims = [int(d["size"]) for d in spec["tensor_shape"]["dim"]]
  return tuple(dims[1:]), _DTYPES[spec["dtype"]]


def rest_row_request(observations: np.ndarray, signature: str = "serving_default", seeds=None) -> dict:
  """Row ("instances") format: one entry per observation; with seeds, one object per row."""
  if seeds is None:
    return {"signature_name": signature, "instances": observations.tolist()}
  rows = [{"observations": obs, "seed": int(seed)} for obs, seed in zip(observations.tolist(), seeds)]
  return {"signature_name": signature, "instances": rows}


def rest_columnar_request(observations: np.ndarray, signature: str = "serving_default", seeds=None) -> dict:
  """Columnar ("inputs") format: named input tensors; `seeds` a list (one per row) or one int."""
  inputs = {"observations": observations.tolist()}
  if seeds is not None:
    inputs["seed"] = np.asarray(seeds, np.int64).tolist()
  return {"signature_name": signature, "inputs": inputs}


def grpc_predict_request(observations: np.ndarray, model: str, signature: str = "serving_default",
                         seeds=None, dtype=np.float32):
  """A tensorflow_serving PredictRequest: `observations` as `dtype`, plus int64 `seed` if given."""
  import tensorflow as tf
  from tensorflow_serving.apis import predict_pb2
  request = predict_pb2.PredictRequest()
  request.model_spec.name = model
  request.model_spec.signature_name = signature
  request.inputs["observations"].CopyFrom(tf.make_tensor_proto(np.asarray(observations, dtype)))
  if seeds is not None:
    request.inputs["seed"].CopyFrom(tf.make_tensor_proto(np.asarray(seeds, np.int64)))
  return request


def _http_json(url: str, body=None) -> dict:
  data = None if body is None else json.dumps(body).encode()
  request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
  with urllib.request.urlopen(request, timeout=10) as response:
    return json.loads(response.read())


def _rest(args, obs, seeds):
  base = f"http://{args.host}:{args.rest_port}/v1/models/{args.model}"
  for body in (rest_row_request(obs), rest_columnar_request(obs, "distribution"),
               rest_row_request(obs, "sample", seeds), rest_columnar_request(obs, "sample", seeds)):
    print("REST", body["signature_name"], "instances" if "instances" in body else "inputs",
          _http_json(f"{base}:predict", body))


def _grpc(args, obs, seeds, dtype):
  import grpc
  import tensorflow as tf
  from tensorflow_serving.apis import prediction_service_pb2_grpc
  with grpc.insecure_channel(f"{args.host}:{args.grpc_port}") as channel:
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    for signature, row_seeds in (("serving_default", None), ("sample", seeds)):
      result = stub.Predict(grpc_predict_request(obs, args.model, signature, row_seeds, dtype), timeout=10)
      print("gRPC", signature, "actions", tf.make_ndarray(result.outputs["actions"]))


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--model", required=True, help="model name given to tensorflow_model_server")
  parser.add_argument("--host", default="localhost")
  parser.add_argument("--rest_port", type=int, default=8501)
  parser.add_argument("--grpc_port", type=int, default=8500)
  parser.add_argument("--obs_shape", default=None,
                      help="observation shape without the batch, e.g. 11 or 4,84,84 (default: from the model's metadata)")
  parser.add_argument("--obs_dtype", default="float32", choices=["float32", "uint8"], help="with --obs_shape")
  parser.add_argument("--seed", type=int, default=7, help="seed of the first row for `sample`; row i uses seed + i")
  args = parser.parse_args()
  if args.obs_shape:
    shape, dtype = tuple(int(n) for n in args.obs_shape.split(",")), np.dtype(args.obs_dtype).type
  else:
    metadata = _http_json(f"http://{args.host}:{args.rest_port}/v1/models/{args.model}/metadata")
    shape, dtype = observation_spec(metadata)
  obs = np.zeros((2,) + shape, dtype)
  seeds = [args.seed, args.seed + 1]
  _rest(args, obs, seeds)
  _grpc(args, obs, seeds, dtype)


if __name__ == "__main__":
  main()
