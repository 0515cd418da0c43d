"""The `main` of every Bazel py_test (tests/BUILD): runs pytest on the test file given as the first
argument and exits with pytest's status, so a failing test fails `bazel test`."""

import os
import sys

import pytest

if __name__ == "__main__":
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  # Bazel's sandbox leaves HOME read-only: matplotlib, Keras and TF-Agents write their caches under it.
  if os.environ.get("TEST_TMPDIR"):
    os.environ["HOME"] = os.environ["TEST_TMPDIR"]
  # Bazel's TEST_TMPDIR is writable and cleaned for us; pytest's cache would write into the runfiles.
  sys.exit(pytest.main([sys.argv[1], "-p", "no:cacheprovider", "-c", os.path.join(root, "pytest.ini"),
                        "--rootdir", root, *sys.argv[2:]]))
