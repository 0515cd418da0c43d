"""TF Serving's directory layout: <base>/<integer version>/. TF-free, so launchers can
check paths before TensorFlow loads."""

import os
import re

_VERSION = re.compile(r"^\d+$")


def versions(base_dir: str) -> list:
  """The integer version directories of a TF Serving base, ascending."""
  if not os.path.isdir(base_dir):
    return []
  return sorted(int(d) for d in os.listdir(base_dir) if _VERSION.match(d))


def next_version(base_dir: str) -> int:
  return max(versions(base_dir), default=0) + 1
