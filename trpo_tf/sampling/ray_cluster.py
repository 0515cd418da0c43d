"""Joining or starting the Ray cluster of --sampler_backend=ray, and splitting the envs among workers.

No TensorFlow here: the launchers call `connect` in their pre-flight, before
TensorFlow loads, so a missing Ray or an unreachable cluster is one error line
and nothing is written.
"""

import logging
import os
import socket
from typing import List, Tuple

from trpo_tf.config import ConfigError, first_line

_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def connect(address: str):
  """The `ray` module, initialised: joins `address` or starts a local instance sized to this machine.
  One-line ConfigErrors when Ray is missing or the cluster cannot be reached."""
  try:
    import ray
  except ImportError:
    raise ConfigError("sampler_backend=ray needs Ray, which is not installed: pip install 'trpo_tf[ray]' "
                      "(make train / make test install it)") from None
  if not ray.is_initialized():
    _check_reachable(address)
    # Local workers import trpo_tf from wherever this process found it (a checkout need not be installed).
    path = os.pathsep.join(p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")) if p)
    try:
      ray.init(address=address or None, include_dashboard=False, log_to_driver=True,
               logging_level=logging.ERROR, runtime_env={"env_vars": {"PYTHONPATH": path}})
    except (ConnectionError, RuntimeError, ValueError) as e:
      where = f"reach the Ray cluster at {address!r}" if address else "start a local Ray instance"
      raise ConfigError(f"cannot {where}: {first_line(e)}") from None
  return ray


def shards(num_envs: int, num_workers: int) -> List[Tuple[int, int]]:
  """(offset, count) of each worker's contiguous block of envs, sizes differing by at most one."""
  sizes = [num_envs // num_workers + (i < num_envs % num_workers) for i in range(num_workers)]
  return [(int(sum(sizes[:i])), size) for i, size in enumerate(sizes)]


def _check_reachable(address: str, timeout: float = 10.0) -> None:
  """A TCP connection to an explicit host:port (Ray would otherwise retry for ever); 'auto' and ''
  are Ray's own business (it fails at once when no local cluster runs)."""
  if address in ("", "auto", "local"):
    return
  host, sep, port = address.removeprefix("ray://").rpartition(":")
  if not sep or not host or not port.isdigit():
    raise ConfigError(f"ray_address must be 'auto', 'host:port' or 'ray://host:port', got {address!r}")
  try:
    socket.create_connection((host, int(port)), timeout=timeout).close()
  except OSError as e:
    raise ConfigError(f"cannot reach the Ray cluster at {address!r}: {e.strerror or e}") from None


def check_capacity(ray, num_workers: int) -> None:
  """Each rollout worker takes one CPU of the cluster; more workers than CPUs would wait for ever."""
  cpus = ray.cluster_resources().get("CPU", 0)
  if num_workers > cpus:
    raise ConfigError(f"num_workers={num_workers} but the Ray cluster has {cpus:g} CPUs (each worker takes one)")
