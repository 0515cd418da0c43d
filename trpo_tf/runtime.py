"""Process-wide TensorFlow settings, applied before TF runs its first op."""

import logging

import tensorflow as tf


def configure_tensorflow(intra_op_threads: int, inter_op_threads: int, deterministic: bool) -> None:
  """Thread pools and op determinism.

  One intra- and one inter-op thread is fastest on this 2-core machine: the
  value fit then runs on one core while the simulator steps on the other
  (benchmarks/throughput.py); bigger pools spin and steal the simulator's core.
  0 leaves TF's default. Thread pools can only be set before TF's first op;
  later calls keep the existing pools and log a warning.
  """
  try:
    if intra_op_threads:
      tf.config.threading.set_intra_op_parallelism_threads(intra_op_threads)
    if inter_op_threads:
      tf.config.threading.set_inter_op_parallelism_threads(inter_op_threads)
  except RuntimeError:
    if (intra_op_threads and tf.config.threading.get_intra_op_parallelism_threads() != intra_op_threads) or \
        (inter_op_threads and tf.config.threading.get_inter_op_parallelism_threads() != inter_op_threads):
      logging.getLogger(__name__).warning("TensorFlow already initialised; thread pool settings not applied")
  if deterministic:
    tf.config.experimental.enable_op_determinism()
