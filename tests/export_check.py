"""Run in a fresh process by test_export.py: loads a SavedModel both ways and saves outputs.

  python tests/export_check.py MODEL_DIR INPUTS.npy OUT_PREFIX
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf

model_dir, inputs_path, out = sys.argv[1:4]
obs = np.load(inputs_path)

loaded = tf.saved_model.load(model_dir)
for name in ("serving_default", "distribution"):
  for key, value in loaded.signatures[name](observations=tf.constant(obs)).items():
    np.save(f"{out}_tf2_{name}_{key}.npy", value.numpy())

with tf.compat.v1.Session(graph=tf.Graph()) as sess:
  meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], model_dir)
  for name in ("serving_default", "distribution"):
    sig = meta.signature_def[name]
    for key, info in sig.outputs.items():
      value = sess.run(info.name, {sig.inputs["observations"].name: obs})
      np.save(f"{out}_tf1_{name}_{key}.npy", value)
print("ok")
