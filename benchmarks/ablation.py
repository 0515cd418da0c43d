"""Learning-robustness ablations (issue 13): presets × variants × seeds at 1M steps, per-seed tables.

  python benchmarks/ablation.py --envs hopper,halfcheetah --seeds 0,1,2 \
      --variant batch4096=--steps_per_env=256 --variant norewnorm=--normalize_rewards=false [--jobs 2]
  python benchmarks/ablation.py --envs InvertedDoublePendulum-v5 --variant ...   # an env id: its default settings

Each --variant is NAME=FLAGS (launcher flags, space-separated); the preset as
it is (no flags) is the variant "preset", always included. Runs train through
launchers/train.py into benchmarks/runs/<preset>-<variant>-1000k-s<seed>/ (the
preset's runs reuse benchmarks/runs/<preset>-envpool-*, which the EnvPool parity
benchmark trained with the same settings), finished runs are reused. Writes
benchmarks/results/ablations/<preset>.md, .csv and .png: per variant the final
deterministic evaluation per seed (10 episodes), mean ± standard error over
seeds, minimum, the area under the training curve (mean training return over
the run) and the training time.
A reused run whose config.json no longer matches what its variant builds today
(a preset changed since) is reported on stdout and marked in the flags column.
Run directories are git-ignored, so the committed CSV is the record: a (variant,
seed) it holds counts as finished when its run directory is gone (its row is kept,
marked "recorded"), and each finished run's curve is kept in results/curves/ for
the PNG. --retrain ignores recorded rows. Each row also records a key of the config its run learned
with (every section but "run"; the configs themselves in <preset>.configs.json): a recorded row whose
key is not what its variant builds today (a preset changed since) is shown as its own variant,
NAME@KEY, and its seed is trained again under NAME, so one row never mixes two configs; so is a
reused run of an older config (--report_only), unless it replaces a row recorded before keys. Rows
recorded before keys, whose config is unknown, are shown as NAME@unkeyed once NAME has keyed rows.
A variant not named in this invocation keeps its rows and name, but where a preset change has overtaken
them (their key is not what their flags build today) the table's flags column says what they were
recorded with ("on an earlier preset: field=value, ..."), so no row reads as today's preset + flags
when it was not.
"""

import argparse
import csv
import dataclasses
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_curves import plot_groups
from mujoco_suite import TARGETS, share_of_target, table_number
from suite import (CONFIG_FILE, RESULTS, ROOT, TRAIN, RunSummary, area_under_curve, copy_curves, finished, is_env_id,
                   parse_seeds, run_dir, summarise, train_specs)

CURVES = os.path.join(RESULTS, "curves")


class Row(NamedTuple):
  """One (variant, seed) of a table: from a local run, or recorded in the committed CSV."""
  variant: str
  flags: str
  seed: int
  eval_mean: float
  auc: float
  train_seconds: float
  curve: Optional[str]     # run directory or kept curve CSV, for the PNG (None: no curve available)
  env_steps: int
  config: str = ""         # config_key of what the run learned with ("": recorded before keys existed)

PRESET_VARIANT = "envpool"   # the directory tag of the preset's own runs (see the module docstring)
PRESET_FLAGS = ["--env_backend=envpool"]   # the flags those runs were trained with


def parse_variants(items: Sequence[str]) -> Dict[str, List[str]]:
  variants = {"preset": []}
  for item in items:
    name, sep, flags = item.partition("=")
    if not sep or not name or not flags.strip() or not name.replace("_", "").isalnum():
      raise SystemExit(f"error: --variant needs NAME=FLAGS with an alphanumeric name, got {item!r}")
    variants[name] = flags.split()
  return variants


def mean_and_error(values: np.ndarray, scale: float) -> str:
  """The mean with its standard error over seeds (sample std / √n), which says how far apart two variants' means
  must be before the seeds can tell them apart ([here] Ant's final returns spread by ~600 over ten seeds of one
  setting); one seed: the mean alone."""
  if len(values) < 2:
    return table_number(values.mean(), scale)
  error = values.std(ddof=1) / np.sqrt(len(values))
  return f"{table_number(values.mean(), scale)} ± {table_number(error, scale)}"


def table(preset: str, rows: Dict[str, List[Row]]) -> str:
  """The markdown table of each variant's rows (seeds in order)."""
  lines = ["| variant | flags | per seed (final eval) | seeds | mean ± s.e. | min | min / target | "
           "AUC (mean train return) | train time / run |",
           "|---|---|---|---|---:|---:|---:|---:|---:|"]
  for name, runs in rows.items():
    finals = np.array([r.eval_mean for r in runs])
    scale = np.abs(finals).max()   # one format per row: Reacher's -3.5, Hopper's 3,466
    lines.append(f"| {name} | `{runs[0].flags or '(preset)'}` | "
                 f"{' / '.join(table_number(m, scale) for m in finals)} | {_seed_list([r.seed for r in runs])} | "
                 f"{mean_and_error(finals, scale)} | {table_number(finals.min(), scale)} | "
                 f"{share_of_target(finals.min(), TARGETS.get(preset)) or '-'} | "
                 f"{table_number(np.mean([r.auc for r in runs]))} | {np.mean([r.train_seconds for r in runs]):.0f} s |")
  return "\n".join(lines)


def learning_config(config: dict) -> dict:
  """What a run learns with: its config (today's defaults for fields added since) without the "run" section."""
  from trpo_tf.config import ExperimentConfig
  fields = {f.name: {g.name: g for g in dataclasses.fields(f.type)} for f in dataclasses.fields(ExperimentConfig)}
  full = ExperimentConfig.from_dict({section: {k: v for k, v in config.get(section, {}).items() if k in names}
                                     for section, names in fields.items()}).to_dict()
  full.pop("run")
  for section, values in full.items():   # 1 and 1.0 are one setting of a float field
    for key, value in values.items():
      if isinstance(fields[section][key].default, float) and isinstance(value, int) and not isinstance(value, bool):
        values[key] = float(value)
  return json.loads(json.dumps(full))   # tuples as JSON lists, as config.json holds them


def config_key(config: dict) -> str:
  return hashlib.sha1(json.dumps(learning_config(config), sort_keys=True).encode()).hexdigest()[:8]


def recorded_rows(preset: str, today: Optional[Dict[str, str]] = None) -> Dict[Tuple[str, int], Row]:
  """(variant, seed) → the row the committed CSV holds for it (curve and steps filled in by main).

  `today`: variant → config_key of what it builds now; a recorded row of such a variant with another
  key becomes variant NAME@KEY, with the fields that differ in its flags.
  """
  path = os.path.join(RESULTS, "ablations", f"{preset}.csv")
  if not os.path.exists(path):
    return {}
  rekey, configs = _recorded_keys(preset)
  rows = {}
  with open(path, newline="") as f:
    for r in csv.DictReader(f):
      key = r.get("config", "")
      row = Row(r["variant"], r["flags"], int(r["seed"]), float(r["eval_mean_return"]), float(r["auc_train_return"]),
                float(r["train_seconds"]), None, 0, rekey.get(key, key))
      now = (today or {}).get(row.variant)
      if row.config and now and row.config != now:
        then = ", ".join(differences(configs.get(row.config, {}), configs.get(now, {})))
        row = row._replace(variant=f"{row.variant}@{row.config}",
                           flags=f"{row.flags} (recorded with {then or 'an earlier config'})".strip())
      rows[(row.variant, row.seed)] = row
  return rows


def _stored_configs(preset: str) -> Dict[str, dict]:
  path = os.path.join(RESULTS, "ablations", f"{preset}.configs.json")
  if not os.path.exists(path):
    return {}
  with open(path) as f:
    return json.load(f)


def _recorded_keys(preset: str) -> Tuple[Dict[str, str], Dict[str, dict]]:
  """(stored key → key today, key today → learning config) of the configs the recorded rows learned with.
  Keys are derived as today derives them: a config field added since reads as its default, so adding one
  leaves a recorded row today's variant."""
  rekey, configs = {}, {}
  for old, config in _stored_configs(preset).items():
    rekey[old] = config_key(config)
    configs[rekey[old]] = learning_config(config)
  return rekey, configs


def recorded_configs(preset: str) -> Dict[str, dict]:
  """config_key → learning config of what the recorded rows learned with (keys as today derives them)."""
  return _recorded_keys(preset)[1]


def differences(then: dict, now: dict) -> List[str]:
  """"field=value then" for each field where two learning configs differ: what a row was recorded with."""
  return [f"{key}={value}" for section, fields in then.items() for key, value in fields.items()
          if section in now and key in now[section] and now[section][key] != value]


def _seed_list(seeds: List[int]) -> str:
  return f"{seeds[0]}–{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2 else \
      ",".join(map(str, seeds))


def current_config(preset: str, flags: Sequence[str]) -> dict:
  """The config `launchers/train.py --preset=preset flags` (--env_id=preset for an env id) builds today."""
  cmd = [sys.executable, TRAIN, f"--env_id={preset}" if is_env_id(preset) else f"--preset={preset}",
         "--print_config", *flags]
  return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout)


# What main and recorded_rows append to a row's flags: "(trained with ...)", "(recorded with ...)".
_FLAG_NOTE = re.compile(r"\s*\((?:trained|recorded) with .*\)$")


def overtaken(preset: str, rows: Dict[str, List[Row]], named: Sequence[str], configs: Dict[str, dict]) -> Dict[str, str]:
  """Variant → "field=value, ..." where its rows' recorded config differs from what its flags build today.

  For the variants this invocation does not name (named ones are re-keyed by recorded_rows instead): a
  preset changed after they were recorded, so their flags alone no longer say what they learned with.
  Rows without a key, NAME@KEY rows and rows already labelled as an earlier preset's are left as they are.
  """
  out = {}
  for name, runs in rows.items():
    keys = {r.config for r in runs}
    if name in named or "@" in name or "" in keys or runs[0].flags.startswith("("):
      continue
    try:
      today = current_config(preset, shlex.split(_FLAG_NOTE.sub("", runs[0].flags)) or PRESET_FLAGS)
    except subprocess.CalledProcessError:
      out[name] = "flags the launcher no longer accepts"
      continue
    if keys == {config_key(today)}:
      continue
    now = learning_config(today)
    out[name] = ", ".join(sorted({d for key in keys for d in differences(configs.get(key, {}), now)})) \
        or "an earlier config"
  return out


def stale_fields(now: dict, runs: Sequence[RunSummary]) -> List[Tuple[str, object, object]]:
  """Where reused runs' config.json differ from `now` (a preset changed since they trained):
  (field, trained value(s), value now); run-specific fields are skipped."""
  trained = []
  for run in runs:
    with open(os.path.join(run.run_dir, CONFIG_FILE)) as f:
      trained.append(json.load(f))
  out = []
  for section, fields in now.items():
    for key, value in fields.items():
      # A field a run's config.json lacks did not exist yet: the run behaved as its default does now.
      old = sorted({json.dumps(t[section][key]) for t in trained if key in t.get(section, {})})
      if not old:
        continue
      if section != "run" and old != [json.dumps(value)]:
        out.append((key, "/".join(old), value))
  return out


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--envs", default="hopper,halfcheetah")
  parser.add_argument("--seeds", default="0,1,2", help="e.g. 0-4 or 0,1,2")
  parser.add_argument("--steps", type=int, default=1_000_000)
  parser.add_argument("--jobs", type=int, default=2, help="runs in parallel")
  parser.add_argument("--variant", action="append", default=[], help="NAME=FLAGS (repeatable)")
  parser.add_argument("--report_only", action="store_true",
                      help="train nothing: tabulate the finished and recorded runs")
  parser.add_argument("--retrain", action="store_true",
                      help="train what the committed CSV records but this machine has no run directory for")
  args = parser.parse_args()
  presets, seeds = args.envs.split(","), parse_seeds(args.seeds)
  variants = parse_variants(args.variant)
  tag = {name: PRESET_VARIANT if name == "preset" else name for name in variants}
  today = {p: {name: current_config(p, flags or PRESET_FLAGS) for name, flags in variants.items()} for p in presets}
  keys = {p: {name: config_key(c) for name, c in configs.items()} for p, configs in today.items()}
  configs = {p: dict(recorded_configs(p), **{keys[p][name]: learning_config(c) for name, c in today[p].items()})
             for p in presets}
  recorded = {p: {} if args.retrain else recorded_rows(p, keys[p]) for p in presets}
  # Seeds outermost: the first finished runs cover every variant.
  if not args.report_only:
    train_specs([(p, s, tuple(flags or PRESET_FLAGS), tag[name])
                 for s in seeds for p in presets for name, flags in variants.items()
                 if finished(p, s, args.steps, tag[name]) or (name, s) not in recorded[p]], args.steps, args.jobs)
  out_dir = os.path.join(RESULTS, "ablations")
  os.makedirs(out_dir, exist_ok=True)
  for preset in presets:
    # Every recorded variant and seed stays; read again now, since another invocation may have added
    # rows while this one trained.
    rows = dict(recorded_rows(preset, keys[preset]))
    for name in variants:
      local = [summarise(preset, s, args.steps, tag[name]) for s in seeds if finished(preset, s, args.steps, tag[name])]
      if not local:
        continue
      flags = " ".join(variants[name])
      stale = stale_fields(today[preset][name], local)
      if stale:   # say so when a preset changed under a reused run
        trained_with = ", ".join(f"{key}={old}" for key, old, _ in stale)
        print(f"note: {preset} '{name}' runs predate a preset change; they trained with {trained_with} "
              f"(now {', '.join(f'{key}={new}' for key, _, new in stale)})")
        flags = f"{flags} (trained with {trained_with})".strip()
      copy_curves(local, CURVES)
      for r in local:
        with open(os.path.join(r.run_dir, CONFIG_FILE)) as f:
          trained = json.load(f)
        key = config_key(trained)
        configs[preset].setdefault(key, learning_config(trained))
        # A run of an older config is its own row, as its recorded rows are (recorded_rows), unless it
        # replaces a row recorded before rows had keys (most likely its own).
        legacy = rows.get((name, r.seed))
        label = name if key == keys[preset][name] or (legacy is not None and not legacy.config) else f"{name}@{key}"
        # At the CSV's precision, so the table reads the same once the run directory is gone.
        rows[(label, r.seed)] = Row(label, flags, r.seed, round(r.eval_mean, 2), round(area_under_curve(r), 2),
                                    r.train_seconds, r.run_dir, r.env_steps, key)
    # A row recorded before rows had config keys has none: beside keyed rows of its name it may be another
    # config (a preset changed since), so it is shown apart rather than averaged into today's row.
    keyed = {name for (name, _), row in rows.items() if row.config}
    rows = {(label, seed): row._replace(variant=label) for (name, seed), row in rows.items()
            for label in [f"{name}@unkeyed" if name in keyed and not row.config else name]}
    by_variant: Dict[str, List[Row]] = {}
    for (name, _), row in sorted(rows.items(), key=lambda kv: (_order(kv[0][0], variants, recorded[preset]), kv[0][1])):
      curve = row.curve or os.path.join(CURVES, f"{os.path.basename(run_dir(preset, row.seed, args.steps, tag.get(name, name)))}.csv")
      by_variant.setdefault(name, []).append(row._replace(curve=curve if os.path.exists(curve) else None,
                                                          env_steps=row.env_steps or args.steps))
    if not by_variant:
      continue
    earlier = overtaken(preset, by_variant, list(variants), configs[preset])
    text = table(preset, {name: [r._replace(flags=f"{r.flags} (on an earlier preset: {earlier[name]})".strip())
                                 for r in runs] if name in earlier else runs for name, runs in by_variant.items()})
    with open(os.path.join(out_dir, f"{preset}.md"), "w") as f:
      f.write(text + "\n")
    with open(os.path.join(out_dir, f"{preset}.csv"), "w", newline="") as f:
      w = csv.writer(f)
      w.writerow(["variant", "flags", "seed", "eval_mean_return", "auc_train_return", "train_seconds", "config"])
      for runs in by_variant.values():
        for r in runs:
          w.writerow([r.variant, r.flags, r.seed, str(r.eval_mean), str(r.auc), f"{r.train_seconds:.0f}",
                      r.config])
    used = {k: configs[preset][k] for runs in by_variant.values() for r in runs for k in [r.config]
            if k in configs[preset]}
    if used:
      with open(os.path.join(out_dir, f"{preset}.configs.json"), "w") as f:
        json.dump(used, f, indent=1, sort_keys=True)
        f.write("\n")
    curves = {name: [r.curve for r in runs if r.curve] for name, runs in by_variant.items()}
    total, shown = sum(map(len, by_variant.values())), sum(map(len, curves.values()))
    # <preset>.png shows every row; when earlier sessions' curves are gone it is left as it was and the
    # rows that have curves go to <preset>_recent.png.
    png = f"{preset}.png" if shown == total else f"{preset}_recent.png"
    if shown == 0:
      print(f"note: no training curves of {preset} on this machine; {preset}.png left as it was")
    else:
      if shown < total:
        print(f"note: curves of {shown} of {total} {preset} runs are available: plotted in {png}, {preset}.png kept")
      plot_groups({name: paths for name, paths in curves.items() if paths}, os.path.join(out_dir, png),
                  title=f"{preset}: ablation, seeds {_seed_list(sorted({r.seed for runs in by_variant.values() for r in runs}))}"
                        + ("" if shown == total else f" (curves of {shown} of {total} runs)"),
                  target=TARGETS.get(preset),
                  final_points={name: [(r.env_steps, r.eval_mean) for r in runs] for name, runs in by_variant.items()})
    print(f"{preset}\n{text}\n")


def _order(name: str, variants: Dict[str, List[str]], recorded: Dict[Tuple[str, int], Row]) -> int:
  """Table order: recorded variants as the CSV had them, then the new ones as given."""
  names = list(dict.fromkeys([v for v, _ in recorded] + list(variants)))
  return names.index(name) if name in names else len(names)


if __name__ == "__main__":
  main()
