"""Run in a fresh process by test_export.py: loads a SavedModel both ways and saves outputs.

  python tests/export_check.py MODEL_DIR INPUTS.npy OUT_PREFIX [SEEDS.npy]

Saves OUT_PREFIX_{tf2,tf1}_{signature}_{output}.npy for serving_default and distribution, and for
sample too when per-row seeds are given. The TF1 session loader is the path TF Serving takes.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf

model_dir, inputs_path, out = sys.argv[1:4]
obs = np.load(inputs_path)
feeds = {"serving_default": {"observations": obs}, "distribution": {"observations": obs}}
if len(sys.argv) > 4:
  feeds["sample"] = {"observations": obs, "seed": np.load(sys.argv[4])}

loaded = tf.saved_model.load(model_dir)
for name, inputs in feeds.items():
  outputs = loaded.signatures[name](**{k: tf.constant(v) for k, v in inputs.items()})
  for key, value in outputs.items():
    np.save(f"{out}_tf2_{name}_{key}.npy", value.numpy())

with tf.compat.v1.Session(graph=tf.Graph()) as sess:
  meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], model_dir)
  for name, inputs in feeds.items():
    sig = meta.signature_def[name]
    feed = {sig.inputs[k].name: v for k, v in inputs.items()}
    for key, info in sig.outputs.items():
      np.save(f"{out}_tf1_{name}_{key}.npy", sess.run(info.name, feed))
print("ok")
