"""Flat-vector views of a list of variables: what CG and the line search work on."""

from typing import Sequence

import tensorflow as tf


def flatten(tensors: Sequence[tf.Tensor]) -> tf.Tensor:
  """Concatenates tensors (e.g. gradients) into one float vector."""
  return tf.concat([tf.reshape(t, [-1]) for t in tensors], axis=0)


def unflatten(flat: tf.Tensor, like: Sequence[tf.Variable]) -> list:
  """Splits a flat vector into tensors shaped like `like`."""
  sizes = [v.shape.num_elements() for v in like]
  parts = tf.split(flat, sizes)
  return [tf.reshape(p, v.shape) for p, v in zip(parts, like)]


def get_flat(variables: Sequence[tf.Variable]) -> tf.Tensor:
  return flatten([tf.convert_to_tensor(v) for v in variables])


def set_flat(variables: Sequence[tf.Variable], flat: tf.Tensor) -> None:
  for v, part in zip(variables, unflatten(flat, variables)):
    v.assign(part)
