"""The Bazel BUILD files cover the project: every module, launcher and test file has a target, every
file a target names exists, every label a target uses is defined, and each target's deps are the
first-party modules its file imports. The BUILD files are read here on their own (a small Starlark
subset evaluated with stand-in rules), not through the generator that writes them."""

import ast
import os
import subprocess
import sys

import pytest

# The source tree itself, also under `bazel test`, whose runfiles hold only a test's own deps: they
# are symlinks into the workspace, so the real path of this file leads back to it.
ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))

PACKAGES = ("trpo_tf", "trpo_tf/sampling", "trpo_tf/tf_agents", "launchers", "benchmarks", "tests", "examples")
RULES = ("py_library", "py_binary", "py_test", "alias", "filegroup")


def read_build(package: str) -> dict:
  """name → attributes of every rule in <package>/BUILD."""
  targets = {}

  def rule(kind):
    def add(name, **attrs):
      assert name not in targets, f"{package}/BUILD defines {name!r} twice"
      targets[name] = dict(attrs, kind=kind)
    return add

  scope = {kind: rule(kind) for kind in RULES}
  scope.update(exports_files=lambda files, **_: [rule("file")(f) for f in files],
               load=lambda *a, **k: None, glob=lambda *a, **k: pytest.fail(f"{package}/BUILD uses glob()"))
  with open(os.path.join(ROOT, package, "BUILD")) as f:
    exec(compile(f.read(), f"{package}/BUILD", "exec"), scope)   # Starlark BUILD syntax is Python syntax
  return targets


def resolve(label: str, package: str):
  """'//pkg:name' / '//pkg' / ':name' → (package, name)."""
  if label.startswith(":"):
    return package, label[1:]
  path, _, name = label[2:].partition(":")
  return path, name or path.rpartition("/")[2]


def audit(builds: dict, files: dict) -> list:
  """Problems: files without a target, targets naming missing files or undefined labels, deps that
  differ from a file's first-party imports. `builds`: package → targets; `files`: module → path."""
  problems, covered = [], {}
  for package, targets in builds.items():
    for name, attrs in targets.items():
      for src in attrs.get("srcs", []):
        path = f"{package}/{src}"
        if not os.path.exists(os.path.join(ROOT, path)):
          problems.append(f"//{package}:{name} names {path}, which does not exist")
        covered.setdefault(path, []).append((package, name))
      for label in attrs.get("deps", []) + attrs.get("data", []) + ([attrs["actual"]] if "actual" in attrs else []):
        other, target = resolve(label, package)
        if other in builds and target not in builds[other]:
          problems.append(f"//{package}:{name} uses {label}, which {other}/BUILD does not define")
  for path in files.values():
    if path not in covered:
      problems.append(f"{path} has no Bazel target")
    elif os.path.basename(path).startswith("test_") and not any(
        builds[p][n]["kind"] == "py_test" for p, n in covered[path]):
      problems.append(f"{path} has no py_test")
  by_path = {path: module for module, path in files.items()}
  for path, owners in covered.items():
    module = by_path.get(path)
    if module is None or os.path.basename(path) == "pytest_main.py":
      continue
    imported = {files[m] for m in _imports(path, files)}
    for package, name in owners:
      reachable = _files_of_deps(builds, package, name)
      missing = sorted(p for p in imported if p not in reachable)
      if missing:
        problems.append(f"//{package}:{name} imports {', '.join(missing)} without a dep on them")
  return problems


def _files_of_deps(builds: dict, package: str, name: str, seen=None) -> set:
  """Every source file in the transitive deps of a target (itself included)."""
  seen = set() if seen is None else seen
  if (package, name) in seen or package not in builds or name not in builds[package]:
    return set()
  seen.add((package, name))
  attrs = builds[package][name]
  out = {f"{package}/{s}" for s in attrs.get("srcs", [])}
  for label in attrs.get("deps", []) + ([attrs["actual"]] if "actual" in attrs else []):
    out |= _files_of_deps(builds, *resolve(label, package), seen)
  return out


def _imports(path: str, files: dict) -> set:
  """First-party modules that `path` imports by package name, or by bare name from its own folder or
  benchmarks/ (which put themselves on sys.path)."""
  names = set()
  with open(os.path.join(ROOT, path)) as f:
    tree = ast.parse(f.read())
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      names |= {a.name for a in node.names}
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ""
      if node.level:
        base = ".".join(path[:-3].split("/")[:-node.level] + ([base] if base else []))
      names |= {base} | {f"{base}.{a.name}" for a in node.names}
  folder = os.path.dirname(path).replace("/", ".")
  found = {n for n in names if n in files}
  found |= {f"{d}.{n}" for n in names for d in (folder, "benchmarks") if "." not in n and f"{d}.{n}" in files}
  me = path[:-3].replace("/", ".")
  return found - {me, me.removesuffix(".__init__")}


def python_files() -> dict:
  out = {}
  for package in PACKAGES:
    for name in os.listdir(os.path.join(ROOT, package)):
      if name.endswith(".py"):
        module = f"{package}/{name}"[:-3].replace("/", ".")
        out[module.removesuffix(".__init__")] = f"{package}/{name}"
  return out


def test_build_files_cover_the_project():
  builds = {p: read_build(p) for p in PACKAGES}
  builds[""] = read_build("")
  assert audit(builds, python_files()) == []
  launchers = [f[:-3] for f in os.listdir(os.path.join(ROOT, "launchers")) if f[:-3] in
               ("train", "evaluate", "export", "train_tf_agents")]
  assert len(launchers) == 4 and all(builds["launchers"][n]["kind"] == "py_binary" for n in launchers)


def test_audit_reports_each_kind_of_gap():
  """The audit fails on what it must catch (a test that cannot fail would prove nothing)."""
  builds = {p: read_build(p) for p in PACKAGES}
  files = python_files()
  del builds["trpo_tf"]["fisher"]                                      # a module without a target
  builds["tests"]["test_fisher"]["kind"] = "py_library"                # a test file without a py_test
  builds["launchers"]["train"]["srcs"] = ["train.py", "gone.py"]       # a file that does not exist
  builds["trpo_tf"]["trpo_step"]["deps"] = [":init"]                   # deps that miss imports
  builds["trpo_tf"]["learner"]["deps"] = builds["trpo_tf"]["learner"]["deps"] + [":nonexistent"]
  problems = "\n".join(audit(builds, files))
  assert "trpo_tf/fisher.py has no Bazel target" in problems
  assert "tests/test_fisher.py has no py_test" in problems
  assert "//launchers:train names launchers/gone.py, which does not exist" in problems
  assert "//trpo_tf:trpo_step imports" in problems and "trpo_tf/conjugate_gradient.py" in problems
  assert "//trpo_tf:learner uses :nonexistent, which trpo_tf/BUILD does not define" in problems


def test_build_files_are_up_to_date():
  """What third_party/bazel/build_files.py would write today is what is committed."""
  proc = subprocess.run([sys.executable, os.path.join(ROOT, "third_party", "bazel", "build_files.py"), "--check"],
                        capture_output=True, text=True)
  assert proc.returncode == 0, proc.stderr
