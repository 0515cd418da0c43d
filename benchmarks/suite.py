"""Shared runner for the learning benchmarks (mujoco_suite.py, vine.py).

Each (preset, seed) trains through launchers/train.py in its own process into
benchmarks/runs/<preset>-<steps>-s<seed>/ (git-ignored). A finished run (one
with eval.json) is reused, an interrupted one is resumed from its checkpoint,
so rerunning a benchmark only trains what is missing; --fresh retrains.

A preset's runs are reused only while their config.json is the config the preset
builds today. A finished run whose config is out of date is moved aside to
<dir>.stale-<n> (kept, never deleted) and the run is retrained, unless another
finished run under benchmarks/runs/ (an ablation variant, say) was trained with
exactly today's config: training is deterministic, so the canonical directory
then becomes a link to that run instead of a second copy of it. The same holds
for a preset's runs on another backend (extra flags only --env_backend=B, variant B).
"""

import concurrent.futures
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Dict, List, NamedTuple, Optional, Sequence

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
RUNS = os.path.join(BENCH, "runs")
RESULTS = os.path.join(BENCH, "results")
TRAIN = os.path.join(ROOT, "launchers", "train.py")
if ROOT not in sys.path:   # trpo_tf's config and presets (no TensorFlow), for the reuse check below
  sys.path.insert(0, ROOT)
from trpo_tf.checkpoints import (CONFIG_FILE, EVAL_FILE, VERSIONS_FILE, RunDirectory,   # noqa: E402 (no TensorFlow)
                                 package_versions)


class RunSummary(NamedTuple):
  preset: str
  seed: int
  env_steps: int
  eval_mean: float           # deterministic evaluation of the final policy (10 episodes)
  eval_std: float
  train_seconds: float       # the training loop's wall time (progress.csv)
  run_dir: str


def run_dir(preset: str, seed: int, steps: int, variant: str = "") -> str:
  """`variant` names runs trained with extra flags (e.g. "analytic" for --fvp_mode=analytic)."""
  return os.path.join(RUNS, f"{preset}{'-' + variant if variant else ''}-{steps // 1000}k-s{seed}")


def finished(preset: str, seed: int, steps: int, variant: str = "") -> bool:
  """Whether that run trained to the end (its final evaluation, eval.json, exists)."""
  return os.path.exists(os.path.join(run_dir(preset, seed, steps, variant), EVAL_FILE))


def is_env_id(preset: str) -> bool:
  """Whether a benchmark's "preset" is an env id with no preset named (Reacher-v5): it then trains with
  `--env_id=` and the settings trpo_tf.presets.settings_for_env picks, as a user's run of it would."""
  from trpo_tf.presets import PRESETS
  return preset.lower() not in PRESETS and "-v" in preset


def preset_config(preset: str, seed: int, steps: int, env_backend: str = "") -> dict:
  """The config.json a run of `preset` trained by this module has today (JSON types: lists, not tuples);
  with `env_backend`, that of its run sampled on that backend (--env_backend, the suites' backend variant)."""
  from trpo_tf.presets import resolve
  env_id = preset if is_env_id(preset) else None
  config, _ = resolve(None if env_id else preset, env_id, default=preset)
  backend = {"env_backend": env_backend} if env_backend else {}
  return json.loads(json.dumps(config.override(seed=seed, total_steps=steps, export_dir="", **backend).to_dict()))


def _config_of(path: str) -> Optional[dict]:
  """A run's config.json as preset_config() writes it. Fields added to the config since the run was
  trained read as their defaults, as a resume reads them (a new field's default keeps the old behaviour)."""
  from trpo_tf.config import ExperimentConfig
  try:
    with open(os.path.join(path, CONFIG_FILE)) as f:
      return json.loads(json.dumps(ExperimentConfig.from_dict(json.load(f)).to_dict()))
  except (OSError, ValueError, TypeError):
    return None


def _other_physics(path: str, mujoco: Optional[str]) -> bool:
  """Whether a run's versions.json says it ran on a MuJoCo other than `mujoco` (the installed one): config.json
  does not name the simulator, and gymnasium's Ant-v5 steps differently on MuJoCo 4.0 than on 3.x. A run
  without versions.json (made before runs recorded it) cannot say, and counts as the same."""
  saved = RunDirectory(path).read_json(VERSIONS_FILE)   # None if missing or unreadable
  current = saved.get("current") if isinstance(saved, dict) else None
  return isinstance(current, dict) and current.get("mujoco") != mujoco


def equivalent_run(config: dict, runs_dir: Optional[str] = None) -> Optional[str]:
  """A finished run directory under runs_dir (default RUNS) trained with exactly `config` on the installed
  MuJoCo (None if there is none). Links are skipped: they point at runs the scan meets anyway."""
  runs_dir = runs_dir or RUNS
  if not os.path.isdir(runs_dir):
    return None
  mujoco = package_versions()["mujoco"]
  for name in sorted(os.listdir(runs_dir)):
    path = os.path.join(runs_dir, name)
    if (not os.path.islink(path) and os.path.exists(os.path.join(path, EVAL_FILE))
        and _config_of(path) == config and not _other_physics(path, mujoco)):
      return path
  return None


def _set_aside(path: str) -> str:
  """Moves a run directory (or link) out of the way, keeping it: <path>.stale-<n>."""
  n = 1
  while os.path.lexists(f"{path}.stale-{n}"):
    n += 1
  os.rename(path, f"{path}.stale-{n}")
  return f"{os.path.basename(path)}.stale-{n}"


def _reuse_preset_run(preset: str, seed: int, steps: int, env_backend: str = "") -> Optional[str]:
  """For a preset's own run (no extra flags, or only --env_backend=B in variant B): keeps the canonical
  directory only if its config is today's, else sets it aside; links an equivalent finished run there.
  Returns what it did, or None when the run still has to be trained (or resumed)."""
  path = run_dir(preset, seed, steps, env_backend)
  if os.path.islink(path) and not os.path.exists(path):   # links to a run that was deleted since
    os.remove(path)
  config = preset_config(preset, seed, steps, env_backend)
  note = ""
  if os.path.lexists(path) and _config_of(path) != config:   # out of date, or no readable config
    note = f" (its out-of-date run kept as {_set_aside(path)})"
  if finished(preset, seed, steps, env_backend):
    return f"{os.path.basename(path)}: done earlier, reused"
  match = equivalent_run(config)
  if match is None:
    if note:
      print(f"{os.path.basename(path)}:{note}; training it again", flush=True)
    return None
  if os.path.lexists(path):
    note += f" (its unfinished run kept as {_set_aside(path)})"
  os.symlink(os.path.basename(match), path)
  return f"{os.path.basename(path)}: reused {os.path.basename(match)}, trained with the same config{note}"


def _train(preset: str, seed: int, steps: int, extra: Sequence[str], fresh: bool, variant: str) -> str:
  path = run_dir(preset, seed, steps, variant)
  if fresh and os.path.lexists(path):
    os.remove(path) if os.path.islink(path) else shutil.rmtree(path)
  # The preset's own run: no extra flags, or the suites' backend variant (only --env_backend=<variant>).
  own_run = not extra and not variant or tuple(extra) == (f"--env_backend={variant}",)
  if own_run and not fresh:
    reused = _reuse_preset_run(preset, seed, steps, variant)
    if reused:
      return reused
  elif finished(preset, seed, steps, variant):
    return f"{os.path.basename(path)}: done earlier, reused"
  resume = os.path.isdir(os.path.join(path, "checkpoints")) and os.listdir(os.path.join(path, "checkpoints"))
  if os.path.exists(path) and not resume:
    shutil.rmtree(path)
  settings = f"--env_id={preset}" if is_env_id(preset) else f"--preset={preset}"
  cmd = [sys.executable, TRAIN, settings, f"--seed={seed}", f"--total_steps={steps}", f"--run_dir={path}",
         "--export=false", "--progress=false", *extra] + (["--resume"] if resume else [])
  start = time.perf_counter()
  os.makedirs(RUNS, exist_ok=True)
  with open(path + ".log", "a") as log:
    proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
  if proc.returncode != 0:
    raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}); see {path}.log")
  return f"{os.path.basename(path)}: trained in {time.perf_counter() - start:.0f} s"


def ensure_runs(presets: Sequence[str], seeds: Sequence[int], steps: int, jobs: int = 2,
                extra: Sequence[str] = (), fresh: bool = False, variant: str = "") -> None:
  """Trains every missing (preset, seed), `jobs` processes at a time, printing one line per run.

  `extra` launcher flags must come with a `variant` name, so their runs get their own directories.
  """
  if extra and not variant:
    raise ValueError("extra flags need a variant name")
  train_specs([(p, s, tuple(extra), variant) for p in presets for s in seeds], steps, jobs, fresh)


def train_specs(specs: Sequence[tuple], steps: int, jobs: int = 2, fresh: bool = False) -> None:
  """Trains every missing run of `specs`, (preset, seed, extra flags, variant) each, in one pool of
  `jobs` processes (so no core idles between variants), printing one line per run."""
  with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
    futures = [pool.submit(_train, p, s, steps, extra, fresh, variant) for p, s, extra, variant in specs]
    for i, f in enumerate(concurrent.futures.as_completed(futures), 1):
      print(f"[{i}/{len(specs)}] {f.result()}", flush=True)


def summarise(preset: str, seed: int, steps: int, variant: str = "") -> RunSummary:
  path = run_dir(preset, seed, steps, variant)
  with open(os.path.join(path, EVAL_FILE)) as f:
    ev = json.load(f)
  with open(os.path.join(path, "progress.csv")) as f:
    rows = list(csv.DictReader(f))
  # A resumed run restarts its clock: add up the segments.
  seconds, last = 0.0, 0.0
  for r in rows:
    w = float(r["wall_seconds"])
    if w < last:
      seconds += last
    last = w
  return RunSummary(preset, seed, int(ev["env_steps"]), float(ev["mean_return"]), float(ev["std_return"]),
                    seconds + last, path)


def parse_seeds(text: str) -> List[int]:
  """"0-4" → [0, 1, 2, 3, 4]; "0,2,5" → [0, 2, 5]; ranges and lists mix ("0-2,7")."""
  seeds = []
  for part in text.split(","):
    lo, sep, hi = part.partition("-")
    try:
      seeds.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
    except ValueError:
      raise SystemExit(f"error: --seeds takes numbers and ranges such as 0-4 or 0,1,2; got {text!r}") from None
  return seeds


def area_under_curve(run: RunSummary) -> float:
  """Mean training return over the run, each iteration weighted by its env steps: the area under
  the training curve divided by its length, so a change that only helps the final evaluation barely
  moves it."""
  return curve_area(os.path.join(run.run_dir, "progress.csv"))


def curve_area(path: str) -> float:
  """area_under_curve of a progress.csv, or of the copy copy_curves keeps of it."""
  with open(path) as f:
    rows = list(csv.DictReader(f))
  steps = [b - a for a, b in zip([0] + [int(r["env_steps"]) for r in rows], [int(r["env_steps"]) for r in rows])]
  pairs = [(float(r["episode/return"]), n) for r, n in zip(rows, steps) if r["episode/return"]]
  return sum(ret * n for ret, n in pairs) / max(1, sum(n for _, n in pairs))


def add_run_flags(parser, default_envs: str) -> None:
  """The flags every learning benchmark shares."""
  parser.add_argument("--envs", default=default_envs)
  parser.add_argument("--seeds", default="0,1,2", help="e.g. 0-4 or 0,1,2")
  parser.add_argument("--steps", type=int, default=1_000_000)
  parser.add_argument("--jobs", type=int, default=2, help="runs in parallel")
  parser.add_argument("--fresh", action="store_true", help="retrain runs that exist already")


def read_json(path: str) -> dict:
  with open(path) as f:
    return json.load(f)


def serving_actor(model_dir: str):
  """act(observations) → actions through a SavedModel's serving signature (the deterministic policy), a batch
  in, a batch out."""
  import tensorflow as tf
  serve = tf.saved_model.load(model_dir).signatures["serving_default"]
  return lambda obs: next(iter(serve(tf.constant(obs, tf.float32)).values())).numpy()


def export_run(run_dir: str, into: str) -> str:
  """Exports a run's final checkpoint with launchers/export.py into `into`; returns the SavedModel's directory
  (its serving signature is the deterministic policy a user deploys)."""
  cmd = [sys.executable, os.path.join(ROOT, "launchers", "export.py"), f"--run_dir={run_dir}", f"--export_dir={into}"]
  done = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
  if done.returncode != 0:
    raise SystemExit(f"error: exporting {run_dir} failed: {(done.stderr or done.stdout).strip().splitlines()[-1]}")
  return done.stdout.strip().splitlines()[-1]


def steps_tag(steps: int) -> str:
  """"1m" for 1,000,000 steps, "500k" for 500,000: names the output files."""
  return f"{steps // 1000}k" if steps % 1_000_000 else f"{steps // 1_000_000}m"


def results_csv(name: str, steps: int, variant: str = "") -> str:
  """RESULTS/<name>_<tag>[_<variant>].csv, the record train_and_collect writes."""
  return os.path.join(RESULTS, f"{name}_{steps_tag(steps)}{'_' + variant if variant else ''}.csv")


def train_and_collect(presets: Sequence[str], args, name: str, extra: Sequence[str] = (),
                      variant: str = "", keep: Sequence[dict] = ()) -> Dict[str, List[RunSummary]]:
  """Trains the missing runs of `presets` × args.seeds (with `extra` launcher flags under a `variant`
  name, see ensure_runs), then writes results_csv (plus the `keep` rows, as recorded_rows reads them)
  and the per-run curve CSVs to RESULTS; returns the summaries grouped by preset."""
  seeds = parse_seeds(args.seeds)
  ensure_runs(presets, seeds, args.steps, args.jobs, extra=extra, fresh=args.fresh, variant=variant)
  summaries = [summarise(p, s, args.steps, variant) for p in presets for s in seeds]
  write_csv(summaries, results_csv(name, args.steps, variant), keep)
  copy_curves(summaries, os.path.join(RESULTS, "curves"))
  return by_preset(summaries)


CSV_COLUMNS = ("preset", "seed", "env_steps", "eval_mean_return", "eval_std_return", "train_seconds",
               "auc_train_return", "env_backend")


def summary_row(s: RunSummary) -> dict:
  """A run as a results-CSV row (CSV_COLUMNS; numbers unrounded), AUC and backend included, so a later
  invocation can keep the row without the run directory."""
  return dict(preset=s.preset, seed=s.seed, env_steps=s.env_steps, eval_mean_return=s.eval_mean,
              eval_std_return=s.eval_std, train_seconds=s.train_seconds, auc_train_return=area_under_curve(s),
              env_backend=backend_of(s))


def write_csv(summaries: List[RunSummary], path: str, keep: Sequence[dict] = ()) -> None:
  """One row per run (summary_row), then the `keep` rows (as recorded_rows reads them)."""
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(CSV_COLUMNS)
    for r in map(summary_row, summaries):
      w.writerow([r["preset"], r["seed"], r["env_steps"], f"{r['eval_mean_return']:.1f}", f"{r['eval_std_return']:.1f}",
                  f"{r['train_seconds']:.0f}", f"{r['auc_train_return']:.1f}", r["env_backend"]])
    for row in keep:
      w.writerow([row.get(c, "") for c in CSV_COLUMNS])


def recorded_rows(path: str, steps: int, variant: str = "", exclude: Sequence[str] = ()) -> List[dict]:
  """The rows of a results CSV for presets not in `exclude`, with their AUC and backend filled in where
  an older CSV lacks them (the AUC from the kept curve in RESULTS/curves, if any; the backend the run
  directory's name or the preset implies). Missing file: none."""
  if not os.path.exists(path):
    return []
  with open(path, newline="") as f:
    rows = [r for r in csv.DictReader(f) if r["preset"] not in exclude]
  for r in rows:
    if not r.get("auc_train_return"):
      curve = os.path.join(RESULTS, "curves", f"{os.path.basename(run_dir(r['preset'], int(r['seed']), steps, variant))}.csv")
      r["auc_train_return"] = f"{curve_area(curve):.1f}" if os.path.exists(curve) else ""
    if not r.get("env_backend"):
      r["env_backend"] = variant or preset_config(r["preset"], int(r["seed"]), steps)["sampler"]["env_backend"]
  return rows


def backend_of(run: RunSummary) -> str:
  """The env backend the run sampled with, from its config.json."""
  with open(os.path.join(run.run_dir, CONFIG_FILE)) as f:
    return json.load(f)["sampler"].get("env_backend", "gymnasium")


def write_rows(rows: List[dict], path: str) -> None:
  """A list of same-keyed dicts as a CSV file (the benchmarks' raw tables)."""
  with open(path, "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)


def by_preset(summaries: List[RunSummary]) -> Dict[str, List[RunSummary]]:
  out: Dict[str, List[RunSummary]] = {}
  for s in summaries:
    out.setdefault(s.preset, []).append(s)
  return out


CURVE_COLUMNS = ("iteration", "env_steps", "wall_seconds", "episode/return", "episode/return_recent20",
                 "trpo/mean_kl", "trpo/entropy", "time/sample_seconds", "time/update_seconds")


def copy_curves(summaries: List[RunSummary], out_dir: str) -> None:
  """Keeps the main columns of each run's progress.csv beside the PNGs, so the curves can be re-plotted
  (plot_curves.py reads these files like run directories)."""
  os.makedirs(out_dir, exist_ok=True)
  for s in summaries:
    with open(os.path.join(s.run_dir, "progress.csv")) as src, \
        open(os.path.join(out_dir, f"{os.path.basename(s.run_dir)}.csv"), "w", newline="") as dst:
      writer = csv.writer(dst)
      writer.writerow(CURVE_COLUMNS)
      for row in csv.DictReader(src):
        writer.writerow([_short(row.get(c, "")) for c in CURVE_COLUMNS])


def _short(value: str) -> str:
  try:
    return f"{float(value):.6g}" if "." in value or "e" in value else value
  except ValueError:
    return value
