"""The workspace's .venv as Bazel's Python 3 toolchain (Bazel 4: --python_top is disabled by toolchains).

The repository rule looks for `<workspace>/.venv/bin/python3` (made by `make`) and writes a BUILD
file with a py_runtime pointing at it; `register_toolchains("@python_venv//:toolchain")` in the
WORKSPACE makes every py_binary / py_test run with the project's pinned packages.
"""

def _python_venv_impl(rctx):
    root = rctx.path(Label("@//:WORKSPACE")).dirname
    python = root.get_child(".venv").get_child("bin").get_child("python3")
    if not python.exists:
        fail("no virtualenv at %s: run `make .venv/.installed` (make bazel-test does) first" % python)
    rctx.file("BUILD", """\
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")

py_runtime(
    name = "venv_python3",
    interpreter_path = "{python}",
    python_version = "PY3",
)

py_runtime_pair(
    name = "venv_runtime_pair",
    py3_runtime = ":venv_python3",
)

toolchain(
    name = "toolchain",
    toolchain = ":venv_runtime_pair",
    toolchain_type = "@bazel_tools//tools/python:toolchain_type",
)
""".format(python = python))

python_venv = repository_rule(
    implementation = _python_venv_impl,
    local = True,
)
