"""TF Serving's directory layout: <base>/<integer version>/. TF-free, so launchers can
check paths before TensorFlow loads."""

import os
import re
import shutil

_VERSION = re.compile(r"^\d+$")


def versions(base_dir: str) -> list:
  """The integer version directories of a TF Serving base, ascending."""
  if not os.path.isdir(base_dir):
    return []
  return sorted(int(d) for d in os.listdir(base_dir) if _VERSION.match(d))


def next_version(base_dir: str) -> int:
  return max(versions(base_dir), default=0) + 1


TEMP_PREFIX = ".tmp-export-"   # <base>/.tmp-export-<pid>-<random>/: an export being written
_TEMP = re.compile(r"^\.tmp-export-(\d+)-")


def temp_prefix() -> str:
  """The name prefix of this process's temporary export directories (hidden from TF Serving)."""
  return f"{TEMP_PREFIX}{os.getpid()}-"


def remove_stale_temporaries(base_dir: str) -> list:
  """Deletes export temporaries that killed processes left in base_dir; returns their paths.

  Only directories named by temp_prefix() whose writer is no longer running
  (or that carry no pid, from older versions) are ours to delete; integer
  version directories are never touched.
  """
  if not os.path.isdir(base_dir):
    return []
  removed = []
  for name in os.listdir(base_dir):
    if not name.startswith(TEMP_PREFIX):
      continue
    match = _TEMP.match(name)
    if match and _alive(int(match.group(1))):
      continue
    shutil.rmtree(os.path.join(base_dir, name), ignore_errors=True)
    removed.append(os.path.join(base_dir, name))
  return removed


def _alive(pid: int) -> bool:
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    return True   # someone else's process
  return True
