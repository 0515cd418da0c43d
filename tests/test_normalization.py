"""The observation normaliser's running statistics against numpy over all the data seen."""

import numpy as np

from trpo_tf.normalization import ObservationNormalizer


def test_statistics_after_is_the_update_without_applying_it():
  rng = np.random.default_rng(0)
  first, second = rng.normal(2.0, 3.0, (40, 4)), rng.normal(-1.0, 0.5, (25, 4))
  second[3, 1] = np.nan                   # a non-finite row is skipped
  layer = ObservationNormalizer((4,), clip=3.0)
  layer.update(first)
  mean, var, count = (np.asarray(t) for t in layer.statistics_after(second))
  seen = np.concatenate([first, np.delete(second, 3, axis=0)])
  np.testing.assert_allclose(mean, seen.mean(0), rtol=1e-12)
  np.testing.assert_allclose(var, seen.var(0), rtol=1e-12)
  assert count == 64.0
  np.testing.assert_allclose(np.asarray(layer.mean), first.mean(0), rtol=1e-12)   # the layer is unchanged
  assert float(layer.count) == 40.0
  x = rng.normal(0.0, 10.0, (7, 4)).astype(np.float32)
  predicted = np.asarray(layer.normalize(x, mean, var))
  layer.update(second)
  np.testing.assert_array_equal(predicted, np.asarray(layer(x)))   # what the layer computes once updated
  assert np.abs(predicted).max() == 3.0                             # clipped at ±clip
  np.testing.assert_allclose(predicted, np.clip((x - seen.mean(0)) / np.sqrt(seen.var(0) + 1e-8), -3, 3),
                             rtol=1e-5, atol=1e-6)
