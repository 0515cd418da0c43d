"""benchmarks/suite.py reuses a preset's runs only while their config is the preset's config today."""

import csv
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import suite
from tests.helpers import run_train


def _fake_run(path, config, finished=True, marker=""):
  os.makedirs(path)
  with open(os.path.join(path, "config.json"), "w") as f:
    json.dump(config, f)
  if finished:
    with open(os.path.join(path, "eval.json"), "w") as f:
      json.dump({"mean_return": 1.0, "marker": marker}, f)


@pytest.fixture
def runs(tmp_path, monkeypatch):
  monkeypatch.setattr(suite, "RUNS", str(tmp_path))
  return tmp_path


def _today(seed=1):
  return suite.preset_config("hopper", seed, 1000)


def _outdated(seed=1):
  config = _today(seed)
  config["trpo"]["gamma"] = 0.5
  return config


def test_preset_config_matches_what_the_launcher_writes():
  config = _today()
  assert config["sampler"]["env_id"] == "Hopper-v5"
  assert config["run"]["seed"] == 1 and config["run"]["total_steps"] == 1000 and config["run"]["export_dir"] == ""
  assert config["network"]["policy_hidden"] == list(config["network"]["policy_hidden"])   # JSON lists


def test_an_up_to_date_run_is_reused_untouched(runs):
  _fake_run(runs / "hopper-1k-s1", _today(), marker="own")
  assert suite._reuse_preset_run("hopper", 1, 1000) == "hopper-1k-s1: done earlier, reused"
  assert not os.path.islink(runs / "hopper-1k-s1")
  assert sorted(os.listdir(runs)) == ["hopper-1k-s1"]


def test_an_outdated_run_is_set_aside_and_an_equivalent_run_linked(runs):
  _fake_run(runs / "hopper-1k-s1", _outdated(), marker="old")
  _fake_run(runs / "hopper-other-1k-s1", _outdated(), marker="other old")
  _fake_run(runs / "hopper-variant-1k-s1", _today(), marker="same config")
  _fake_run(runs / "hopper-variant-1k-s2", _today(seed=2), marker="other seed")
  message = suite._reuse_preset_run("hopper", 1, 1000)
  assert message.startswith("hopper-1k-s1: reused hopper-variant-1k-s1")
  assert "hopper-1k-s1.stale-1" in message
  assert os.readlink(runs / "hopper-1k-s1") == "hopper-variant-1k-s1"
  with open(runs / "hopper-1k-s1" / "eval.json") as f:
    assert json.load(f)["marker"] == "same config"
  with open(runs / "hopper-1k-s1.stale-1" / "eval.json") as f:   # kept, not deleted
    assert json.load(f)["marker"] == "old"
  # The link is reused as it stands on the next call.
  assert suite._reuse_preset_run("hopper", 1, 1000) == "hopper-1k-s1: done earlier, reused"


def test_a_run_on_another_mujoco_is_not_equivalent(runs):
  """config.json does not name the simulator: versions.json does, and a run on another MuJoCo is passed over
  (a run without versions.json, made before runs recorded it, still counts)."""
  from trpo_tf.checkpoints import package_versions
  _fake_run(runs / "hopper-a-1k-s1", _today(), marker="MuJoCo 4")
  with open(runs / "hopper-a-1k-s1" / "versions.json", "w") as f:
    json.dump({"current": dict(package_versions(), mujoco="4.0.0"), "earlier": []}, f)
  assert suite.equivalent_run(_today()) is None
  _fake_run(runs / "hopper-b-1k-s1", _today(), marker="this MuJoCo")
  with open(runs / "hopper-b-1k-s1" / "versions.json", "w") as f:
    json.dump({"current": package_versions(), "earlier": []}, f)
  _fake_run(runs / "hopper-c-1k-s1", _today(), marker="unrecorded")
  assert suite.equivalent_run(_today()) == str(runs / "hopper-b-1k-s1")
  os.remove(runs / "hopper-b-1k-s1" / "eval.json")
  assert suite.equivalent_run(_today()) == str(runs / "hopper-c-1k-s1")


def test_a_backend_variant_run_is_linked_to_an_equivalent_run_and_an_outdated_one_set_aside(runs):
  """mujoco_suite.py --env_backend gymnasium: its runs (variant "gymnasium") get the same reuse as the preset's own."""
  on_gymnasium = suite.preset_config("hopper", 1, 1000, env_backend="gymnasium")
  assert on_gymnasium["sampler"]["env_backend"] == "gymnasium" != _today()["sampler"]["env_backend"]
  outdated = json.loads(json.dumps(on_gymnasium))
  outdated["trpo"]["gamma"] = 0.5
  _fake_run(runs / "hopper-gymnasium-1k-s1", outdated, marker="old")
  _fake_run(runs / "hopper-kl01gym-1k-s1", on_gymnasium, marker="same config")
  _fake_run(runs / "hopper-kl01-1k-s1", _today(), marker="other backend")
  message = suite._train("hopper", 1, 1000, ("--env_backend=gymnasium",), fresh=False, variant="gymnasium")
  assert message.startswith("hopper-gymnasium-1k-s1: reused hopper-kl01gym-1k-s1")
  assert os.readlink(runs / "hopper-gymnasium-1k-s1") == "hopper-kl01gym-1k-s1"
  with open(runs / "hopper-gymnasium-1k-s1.stale-1" / "eval.json") as f:
    assert json.load(f)["marker"] == "old"
  assert suite._train("hopper", 1, 1000, ("--env_backend=gymnasium",), fresh=False, variant="gymnasium") == \
      "hopper-gymnasium-1k-s1: done earlier, reused"


def test_without_an_equivalent_run_the_outdated_one_is_set_aside_for_retraining(runs, capsys):
  _fake_run(runs / "hopper-1k-s1", _outdated())
  _fake_run(runs / "hopper-1k-s1.stale-1", _outdated())
  assert suite._reuse_preset_run("hopper", 1, 1000) is None
  assert "out-of-date run kept as hopper-1k-s1.stale-2" in capsys.readouterr().out
  assert not os.path.lexists(runs / "hopper-1k-s1")
  assert os.path.isdir(runs / "hopper-1k-s1.stale-2")


def test_an_unfinished_run_with_todays_config_is_left_to_resume(runs):
  _fake_run(runs / "hopper-1k-s1", _today(), finished=False)
  assert suite._reuse_preset_run("hopper", 1, 1000) is None
  assert os.path.isdir(runs / "hopper-1k-s1") and not os.path.islink(runs / "hopper-1k-s1")


def test_a_link_to_a_deleted_run_is_dropped(runs):
  os.symlink("gone", runs / "hopper-1k-s1")
  assert suite._reuse_preset_run("hopper", 1, 1000) is None
  assert not os.path.lexists(runs / "hopper-1k-s1")


def test_fields_added_since_a_run_was_trained_read_as_their_defaults(runs):
  config = _today()
  del config["sampler"]["ray_address"]   # a run from before the Ray backend existed
  _fake_run(runs / "hopper-1k-s1", config)
  assert suite._reuse_preset_run("hopper", 1, 1000) == "hopper-1k-s1: done earlier, reused"


def test_an_env_id_with_no_preset_is_trained_as_the_launcher_trains_it():
  assert suite.is_env_id("Reacher-v5") and not suite.is_env_id("hopper") and not suite.is_env_id("hopper_vine")
  config = suite.preset_config("Reacher-v5", 2, 1000)
  launcher = json.loads(run_train("--env_id=Reacher-v5", "--seed=2", "--total_steps=1000", "--print_config",
                                  timeout=120).stdout)
  assert config == launcher and config["trpo"]["gamma"] == 0.99   # the shared MuJoCo settings, not hopper's


def test_an_ablation_of_an_env_id_reads_the_config_its_runs_train_with():
  import ablation
  config = ablation.current_config("InvertedDoublePendulum-v5", ["--max_kl=0.02"])
  assert config["sampler"]["env_id"] == "InvertedDoublePendulum-v5" and config["trpo"]["max_kl"] == 0.02
  assert config["trpo"]["gamma"] == 0.99                     # the shared MuJoCo settings
  assert ablation.current_config("InvertedDoublePendulum-v5", [])["trpo"]["max_kl"] == 0.005   # no preset: δ 0.005
  assert ablation.current_config("hopper", [])["trpo"]["gamma"] == 0.995


def _finished_run(path, config, mean, curve):
  """A run directory as launchers/train.py leaves it: config, final evaluation and progress.csv."""
  _fake_run(path, config)
  with open(os.path.join(path, "eval.json"), "w") as f:
    json.dump({"env_steps": curve[-1][0], "mean_return": mean, "std_return": 1.0}, f)
  _write_curve(os.path.join(path, "progress.csv"), curve)


def _write_curve(path, curve):
  with open(path, "w") as f:
    f.write("iteration,env_steps,wall_seconds,episode/return,episode/return_recent20\n")
    f.writelines(f"{i},{steps},{10.0 * i},{ret},{ret}\n" for i, (steps, ret) in enumerate(curve, 1))


def test_a_subset_of_the_tasks_keeps_the_other_tasks_rows_as_recorded(runs, tmp_path, monkeypatch):
  import mujoco_suite
  results = tmp_path / "results"
  (results / "curves").mkdir(parents=True)
  monkeypatch.setattr(suite, "RESULTS", str(results))
  monkeypatch.setattr(mujoco_suite, "RESULTS", str(results))
  # The CSV as an older invocation wrote it (no AUC or backend columns): Walker2d rows, an old Hopper row.
  (results / "mujoco_1m.csv").write_text(
      "preset,seed,env_steps,eval_mean_return,eval_std_return,train_seconds\n"
      "hopper,0,1000000,1.0,0.0,10\nwalker2d,0,1000000,4000.0,5.0,300\nwalker2d,1,1000000,5000.0,5.0,320\n")
  _write_curve(results / "curves" / "walker2d-1000k-s0.csv", [(500_000, 100.0), (1_000_000, 300.0)])
  for seed in (0, 1):   # Hopper's runs, up to date, so nothing trains
    _finished_run(runs / f"hopper-1000k-s{seed}", suite.preset_config("hopper", seed, 1_000_000), 3600.0 + seed,
                  [(500_000, 1000.0), (1_000_000, 2000.0)])
  monkeypatch.setattr(sys, "argv", ["mujoco_suite.py", "--envs=hopper", "--seeds=0,1"])
  mujoco_suite.main()

  with open(results / "mujoco_1m.csv") as f:
    rows = {(r["preset"], r["seed"]): r for r in __import__("csv").DictReader(f)}
  assert sorted(rows) == [("hopper", "0"), ("hopper", "1"), ("walker2d", "0"), ("walker2d", "1")]
  assert rows["hopper", "0"]["eval_mean_return"] == "3600.0" and rows["hopper", "0"]["auc_train_return"] == "1500.0"
  assert rows["walker2d", "1"]["eval_mean_return"] == "5000.0"
  assert rows["walker2d", "0"]["auc_train_return"] == "200.0"   # from the kept curve
  assert rows["walker2d", "1"]["auc_train_return"] == ""        # no curve kept
  assert {r["env_backend"] for r in rows.values()} == {"envpool"}
  table = (results / "mujoco_1m.md").read_text().splitlines()
  assert table[2].startswith("| Hopper-v5 | 3600 | 3,600 ± 0 | 3,600 / 3,601 (2 seeds)")
  assert table[3].startswith("| Walker2d-v5 | 4900 | 4,500 ± 500 | 4,000 / 5,000 (2 seeds)")
  assert table[-1] == "Walker2d-v5: as recorded by an earlier invocation (the CSV), not collected by the last one."


def test_ablation_tables_keep_a_decimal_for_small_returns():
  import ablation
  row = lambda variant, seed, value, auc: ablation.Row(variant, "", seed, value, auc, 100.0, None, 1_000_000)
  text = ablation.table("Reacher-v5", {"preset": [row("preset", 0, -3.54, -7.9), row("preset", 1, -3.38, -8.1)],
                                       "big": [row("big", 0, 3465.6, 2612.8), row("big", 1, 99.6, 50.0)]})
  preset_line, big_line = text.splitlines()[2:]
  # mean ± standard error: std(-3.54, -3.38) = 0.113, / √2 = 0.08; std(3465.6, 99.6) = 2,380.1, / √2 = 1,683
  assert "| -3.5 / -3.4 | 0,1 | -3.5 ± 0.1 | -3.5 |" in preset_line and "| -8.0 |" in preset_line
  assert "| 3,466 / 100 | 0,1 | 1,783 ± 1,683 | 100 |" in big_line   # one format per row: the largest value's
  single = ablation.table("Reacher-v5", {"one": [row("one", 3, -3.54, -7.9)]}).splitlines()[2]
  assert "| -3.5 | 3 | -3.5 | -3.5 |" in single   # one seed: no error to show



@pytest.mark.parametrize("args", [["--presets", "breakout", "--compare", "intra_op_threads=2"],
                                  ["--presets", "hopper,breakout"]])
def test_throughput_refuses_to_compare_thread_settings_in_one_process(args, monkeypatch, capsys):
  """TF fixes its thread pools at the first Trainer: a row measured with other settings would be mislabelled."""
  import throughput
  monkeypatch.setattr(sys, "argv", ["throughput.py", "--backends", "gymnasium", *args])
  with pytest.raises(SystemExit) as exit_info:
    throughput.main()
  assert exit_info.value.code == 2
  out = capsys.readouterr()
  errors = [line for line in out.err.splitlines() if "error:" in line]
  assert len(errors) == 1 and "thread pools and op determinism are set once per process" in errors[0]
  assert out.out == ""   # nothing measured


def test_throughput_measures_a_growing_batch_over_its_whole_schedule(monkeypatch):
  """The measured window is the run: a scheduled batch goes from its first size to its last inside it."""
  import throughput
  from trpo_tf.trainer import Trainer
  seen = []
  steps_per_env = Trainer._steps_per_env
  monkeypatch.setattr(Trainer, "_steps_per_env", lambda self: seen.append(steps_per_env(self)) or seen[-1])
  row = throughput.measure("cartpole", steps=1200, raw_seconds=0.05,
                           overrides=dict(num_envs=4, steps_per_env=8, steps_per_env_final=24))
  assert (row["batch"], row["batch_final"]) == (32, 96)
  measured = seen[1:]   # seen[0]: the warm-up iteration
  assert measured[0] <= 9 and measured[-1] >= 22 and measured == sorted(measured)
  assert row["measured_steps"] >= 1200
  constant = throughput.measure("cartpole", steps=64, raw_seconds=0.05, overrides=dict(num_envs=4, steps_per_env=8))
  assert (constant["batch"], constant["batch_final"]) == (32, 32)


def test_throughput_alternates_training_rounds_with_raw_stepping(monkeypatch):
  """The ratio's two sides are measured in alternation, so a drifting machine speed affects both alike."""
  import throughput
  from trpo_tf.trainer import Trainer
  events = []
  train, run = Trainer.train, throughput.RawStepper.run
  monkeypatch.setattr(Trainer, "train", lambda self, *a, **k: events.append(("train", int(self.env_steps.numpy())))
                      or train(self, *a, **k))
  monkeypatch.setattr(throughput.RawStepper, "run", lambda self, seconds: events.append(("raw", seconds))
                      or run(self, seconds))
  row = throughput.measure("cartpole", steps=96, raw_seconds=0.3, rounds=3, overrides=dict(num_envs=4, steps_per_env=8))
  # the warm-up iteration, then 3 rounds of 32 steps, each followed by a burst of raw stepping (0.3 s / 3)
  assert [e[0] for e in events] == ["train"] + ["train", "raw"] * 3
  assert [e[1] for e in events if e[0] == "train"] == [0, 32, 64, 96]
  assert all(abs(e[1] - 0.1) < 1e-9 for e in events if e[0] == "raw")
  assert row["rounds"] == 3 and row["measured_steps"] == 96
  # the waits for each round's last value fit are wall time outside the updates: in other_s, not value_wait_s
  assert 0.0 <= row["round_end_wait_s"] <= row["other_s"] and row["value_wait_s"] >= 0.0
  assert row["train_steps_per_s_upper"] == pytest.approx(96 / (row["wall_s"] - row["round_end_wait_s"]))
  assert row["train_steps_per_s_upper"] >= row["train_steps_per_s"] == pytest.approx(96 / row["wall_s"])


def test_config_key_reads_what_a_run_learns_with():
  import ablation
  config = _today(seed=1)
  assert ablation.config_key(config) == ablation.config_key(_today(seed=2))   # the run section is not learning
  older = json.loads(json.dumps(config))
  del older["trpo"]["entropy_coef"]                                            # a field added since: its default
  assert ablation.config_key(older) == ablation.config_key(config)
  assert ablation.config_key(_outdated()) != ablation.config_key(config)


def _ablation_tables(tmp_path, monkeypatch, rows):
  """A hopper ablation CSV (header + rows) whose configs.json knows today's and the outdated config; → (now, then)."""
  import ablation
  monkeypatch.setattr(ablation, "RESULTS", str(tmp_path))
  (tmp_path / "ablations").mkdir()
  now, then = ablation.config_key(_today()), ablation.config_key(_outdated())
  (tmp_path / "ablations" / "hopper.configs.json").write_text(json.dumps(
      {now: ablation.learning_config(_today()), then: ablation.learning_config(_outdated())}))
  (tmp_path / "ablations" / "hopper.csv").write_text(
      "variant,flags,seed,eval_mean_return,auc_train_return,train_seconds,config\n"
      + "".join(row.format(now=now, then=then) + "\n" for row in rows))
  return now, then


def test_a_recorded_row_of_an_older_config_becomes_its_own_variant(tmp_path, monkeypatch):
  import ablation
  now, then = _ablation_tables(tmp_path, monkeypatch, [
      "preset,,0,3600.0,2500.0,100,{now}",
      "preset,,1,1200.0,900.0,100,{then}",
      "preset,,2,3000.0,2000.0,100,",                 # recorded before keys existed: kept as it is
      "other,--max_kl=0.02,0,3300.0,2400.0,100,{then}"])   # a variant not named today: kept as it is
  rows = ablation.recorded_rows("hopper", {"preset": now})
  assert sorted(rows) == [("other", 0), ("preset", 0), ("preset", 2), (f"preset@{then}", 1)]
  assert rows[f"preset@{then}", 1].flags == "(recorded with gamma=0.5)"
  assert rows["preset", 0].config == now and rows["preset", 2].config == ""


def test_a_row_recorded_before_a_config_field_was_added_stays_todays_variant(tmp_path, monkeypatch):
  """Its stored key hashed the config without the field; read with the field's default it is today's config."""
  import ablation
  monkeypatch.setattr(ablation, "RESULTS", str(tmp_path))
  (tmp_path / "ablations").mkdir()
  before_field = ablation.learning_config(_today())
  del before_field["trpo"]["kl_per_action_dim"]
  stored = "0123abcd"   # what config_key gave before the field existed
  (tmp_path / "ablations" / "hopper.configs.json").write_text(json.dumps({stored: before_field}))
  (tmp_path / "ablations" / "hopper.csv").write_text(
      "variant,flags,seed,eval_mean_return,auc_train_return,train_seconds,config\n"
      f"preset,,0,3600.0,2500.0,100,{stored}\n")
  now = ablation.config_key(_today())
  rows = ablation.recorded_rows("hopper", {"preset": now})
  assert list(rows) == [("preset", 0)] and rows["preset", 0].config == now
  assert ablation.recorded_configs("hopper") == {now: ablation.learning_config(_today())}


def test_ablation_report_keeps_a_run_of_an_older_config_out_of_todays_row(runs, tmp_path, monkeypatch):
  """--report_only with a kl02 run of today's config (seed 0) and one trained before a preset change (seed 1)."""
  import ablation
  results = tmp_path / "results"
  monkeypatch.setattr(ablation, "RESULTS", str(results))
  monkeypatch.setattr(ablation, "CURVES", str(tmp_path / "curves"))
  for seed, gamma, final in ((0, None, 3600.0), (1, 0.5, 1200.0)):
    config = _today(seed)
    config["trpo"]["max_kl"] = 0.02
    if gamma is not None:
      config["trpo"]["gamma"] = gamma
    path = suite.run_dir("hopper", seed, 1000, "kl02")
    _fake_run(path, config)
    with open(os.path.join(path, "eval.json"), "w") as f:
      json.dump({"mean_return": final, "std_return": 1.0, "env_steps": 1000}, f)
    with open(os.path.join(path, "progress.csv"), "w") as f:
      f.write("iteration,env_steps,wall_seconds,episode/return\n1,500,1.0,10.0\n2,1000,2.0,20.0\n")
  monkeypatch.setattr(sys, "argv", ["ablation.py", "--envs", "hopper", "--seeds", "0,1", "--steps", "1000",
                                    "--variant", "kl02=--max_kl=0.02", "--report_only"])
  ablation.main()
  with open(results / "ablations" / "hopper.csv") as f:
    rows = {(r["variant"], r["seed"]): r for r in csv.DictReader(f)}
  with open(os.path.join(suite.run_dir("hopper", 1, 1000, "kl02"), "config.json")) as f:
    older = ablation.config_key(json.load(f))
  assert sorted(rows) == [("kl02", "0"), (f"kl02@{older}", "1")]
  assert rows["kl02", "0"]["eval_mean_return"] == "3600.0" and rows[f"kl02@{older}", "1"]["config"] == older
  configs = json.loads((results / "ablations" / "hopper.configs.json").read_text())
  assert configs[older]["trpo"]["gamma"] == 0.5 and configs[rows["kl02", "0"]["config"]]["trpo"]["max_kl"] == 0.02
  ablation.main()   # again, from the CSV it wrote: the same two rows
  with open(results / "ablations" / "hopper.csv") as f:
    assert sorted((r["variant"], r["seed"]) for r in csv.DictReader(f)) == sorted(rows)


def test_rows_recorded_before_config_keys_are_not_averaged_into_todays_row(tmp_path, monkeypatch):
  """A seed recorded without a key (its config unknown, perhaps an older preset) beside a keyed seed of the
  same variant: two rows, so today's mean is not mixed with it."""
  import ablation
  results = tmp_path / "results"
  monkeypatch.setattr(ablation, "RESULTS", str(results))
  monkeypatch.setattr(ablation, "CURVES", str(tmp_path / "curves"))
  (results / "ablations").mkdir(parents=True)
  now = ablation.config_key(_today())
  (results / "ablations" / "hopper.configs.json").write_text(json.dumps({now: ablation.learning_config(_today())}))
  (results / "ablations" / "hopper.csv").write_text(
      "variant,flags,seed,eval_mean_return,auc_train_return,train_seconds,config\n"
      "preset,,0,1500.0,900.0,100,\n"
      f"preset,,1,3600.0,2500.0,100,{now}\n"
      "other,--max_kl=0.02,0,3300.0,2400.0,100,\n")   # no keyed row of its name: stays as it is
  monkeypatch.setattr(sys, "argv", ["ablation.py", "--envs", "hopper", "--seeds", "0,1", "--steps", "1000",
                                    "--report_only"])
  ablation.main()
  with open(results / "ablations" / "hopper.csv") as f:
    rows = {(r["variant"], r["seed"]): r["eval_mean_return"] for r in csv.DictReader(f)}
  assert rows == {("preset@unkeyed", "0"): "1500.0", ("preset", "1"): "3600.0", ("other", "0"): "3300.0"}
  table = (results / "ablations" / "hopper.md").read_text()
  assert "| preset | " in table and "| 3,600 | 3,600 |" in table and "| preset@unkeyed | " in table


def test_a_variant_a_preset_change_overtook_says_what_it_was_recorded_with(tmp_path, monkeypatch):
  """Rows of variants this run does not name keep their names; where their key is not what their flags
  build today (gamma 0.5 then), the table says so and which field differed, and the CSV keeps the plain flags."""
  import ablation
  results = tmp_path / "results"
  monkeypatch.setattr(ablation, "RESULTS", str(results))
  monkeypatch.setattr(ablation, "CURVES", str(tmp_path / "curves"))
  (results / "ablations").mkdir(parents=True)
  kl02_today = ablation.current_config("hopper", ["--max_kl=0.02"])
  kl02_then = json.loads(json.dumps(kl02_today))
  kl02_then["trpo"]["gamma"] = 0.5
  now, then = ablation.config_key(kl02_today), ablation.config_key(kl02_then)
  (results / "ablations" / "hopper.configs.json").write_text(json.dumps(
      {now: ablation.learning_config(kl02_today), then: ablation.learning_config(kl02_then)}))
  (results / "ablations" / "hopper.csv").write_text(
      "variant,flags,seed,eval_mean_return,auc_train_return,train_seconds,config\n"
      f"old,--max_kl=0.02,0,1200.0,900.0,100,{then}\n"
      f"fresh,--max_kl=0.02,0,3300.0,2400.0,100,{now}\n"
      f"gone,--no_such_flag=1,0,1000.0,800.0,100,{then}\n")
  monkeypatch.setattr(sys, "argv", ["ablation.py", "--envs", "hopper", "--seeds", "0", "--steps", "1000",
                                    "--report_only"])
  for _ in range(2):   # a second report reads the CSV the first wrote: the note is not repeated
    ablation.main()
    lines = {line.split(" | ")[0]: line for line in (results / "ablations" / "hopper.md").read_text().splitlines()}
    assert "`--max_kl=0.02 (on an earlier preset: gamma=0.5)`" in lines["| old"]
    assert "`--max_kl=0.02` |" in lines["| fresh"]
    assert "`--no_such_flag=1 (on an earlier preset: flags the launcher no longer accepts)`" in lines["| gone"]
    with open(results / "ablations" / "hopper.csv") as f:
      assert {r["variant"]: r["flags"] for r in csv.DictReader(f)} == {
          "old": "--max_kl=0.02", "fresh": "--max_kl=0.02", "gone": "--no_such_flag=1"}


def test_an_ablation_plot_keeps_its_legend_beside_the_curves(tmp_path, monkeypatch):
  """With many variants the legend sits right of the axes, so it covers no curve; a plot of one
  group keeps its legend inside the compact 7 × 4 inch figure."""
  import plot_curves
  figures = []
  monkeypatch.setattr(plot_curves.plt, "close", figures.append)   # keep each figure to inspect it
  curve = tmp_path / "progress.csv"
  curve.write_text("iteration,env_steps,episode/return_recent20\n" + "".join(f"{i},{1000 * i},{i}\n" for i in range(1, 20)))
  for n in (1, plot_curves.LEGEND_INSIDE + 2):
    groups = {f"variant{i}": [str(curve)] for i in range(n)}
    plot_curves.plot_groups(groups, str(tmp_path / f"{n}.png"), target=10.0,
                            final_points={g: [(19000, 15.0)] for g in groups})
  (one,), (many,) = (f.axes for f in figures)
  inside, beside = one.get_legend(), many.get_legend()
  assert len(inside.get_texts()) == 3                   # the group, its final evals, the target
  assert len(beside.get_texts()) == plot_curves.LEGEND_INSIDE + 2 + 2   # one per group + evals + target
  beside_box, axes_box = beside.get_window_extent(), many.get_window_extent()
  assert beside_box.x0 >= axes_box.x1, (beside_box, axes_box)
  assert tuple(figures[0].get_size_inches()) == (7, 4)


def test_an_ablation_table_reads_the_same_once_its_runs_are_deleted(runs, tmp_path, monkeypatch):
  """The table drawn from a run and the one drawn later from the CSV alone (run directory deleted) show
  the same figures: a final return of 2,606.53 is 2,607 in both (one recorded decimal, 2606.5, made the
  second one 2,606)."""
  import shutil

  import ablation
  results = tmp_path / "results"
  monkeypatch.setattr(ablation, "RESULTS", str(results))
  monkeypatch.setattr(ablation, "CURVES", str(tmp_path / "curves"))
  config = _today(0)
  config["trpo"]["max_kl"] = 0.02
  path = suite.run_dir("hopper", 0, 1000, "kl02")
  _fake_run(path, config)
  with open(os.path.join(path, "eval.json"), "w") as f:
    json.dump({"mean_return": 2606.53, "std_return": 1.0, "env_steps": 1000}, f)
  with open(os.path.join(path, "progress.csv"), "w") as f:
    f.write("iteration,env_steps,wall_seconds,episode/return\n1,500,1.0,10.46\n2,1000,2.0,20.0\n")
  monkeypatch.setattr(sys, "argv", ["ablation.py", "--envs", "hopper", "--seeds", "0", "--steps", "1000",
                                    "--variant", "kl02=--max_kl=0.02", "--report_only"])
  ablation.main()
  table = (results / "ablations" / "hopper.md").read_text()
  assert "| 2,607 |" in table
  shutil.rmtree(path)
  ablation.main()
  assert (results / "ablations" / "hopper.md").read_text() == table


def test_ant_endings_reads_the_torso_orientation_and_the_episode_ending():
  import numpy as np
  import ant_endings
  half = np.sqrt(0.5)
  assert ant_endings.up_axis_z(np.array([1.0, 0.0, 0.0, 0.0])) == pytest.approx(1.0)    # upright
  assert ant_endings.up_axis_z(np.array([0.0, 1.0, 0.0, 0.0])) == pytest.approx(-1.0)   # half a turn about x
  assert ant_endings.up_axis_z(np.array([half, 0.0, half, 0.0])) == pytest.approx(0.0)  # a quarter turn about y
  assert ant_endings.up_axis_z(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(1.0)    # yaw only
  z, up, x = np.full(6, 0.5), np.ones(6), np.arange(6) * 0.2      # 0.2 m a step: 4 m/s, a gait
  assert ant_endings.classify(False, 6, z, up, x) == ("walked", -1)
  assert ant_endings.classify(False, 6, z, np.array([1, 1, -0.5, 0.3, 1, 1]), x) == ("walked", -1)  # rolled and back
  assert ant_endings.classify(False, 6, z, np.array([1, 1, 0.2, -0.1, -0.9, -0.9]), x) == ("flipped", 3)
  assert ant_endings.classify(True, 6, np.array([.5, .6, .8, .9, .95, 1.02]), up, x) == ("jump", -1)
  assert ant_endings.classify(True, 6, np.array([.5, .4, .3, .25, .21, .19]), up, x) == ("fall", -1)
  # Stalls: walks 300 steps (to x = 59.8), then shuffles within ±0.9 m of 59.8 for 700: the 2 m range to the end,
  # [58.8, 60.7], takes in the gait's last six steps, so the stall counts from step 294.
  n = 1000
  walk_then_stand = np.concatenate([np.arange(300) * 0.2, 59.8 + 0.9 * np.sin(np.arange(700) / 7.0)])
  full = np.full(n, 0.5), np.ones(n)
  assert ant_endings.classify(False, n, *full, walk_then_stand) == ("stalled", 294)
  assert ant_endings.classify(False, n, full[0], -full[1], walk_then_stand) == ("flipped", 0)  # flipped comes first
  assert ant_endings.classify(False, n, *full, np.arange(n) * 0.2) == ("walked", -1)
  # A halt from step 950 counts from step 940 (the last 2 m of the gait are inside the range): 60 steps, shorter
  # than STALL_STEPS, still walked; a halt from step 910 is a stall from step 900, 100 steps.
  assert ant_endings.classify(False, n, *full, np.minimum(np.arange(n), 950) * 0.2) == ("walked", -1)
  assert ant_endings.classify(False, n, *full, np.minimum(np.arange(n), 910) * 0.2) == ("stalled", 900)
  # A slow drift (0.05 m a step, 1 m/s) across the whole episode is not a stall, but 0.01 m a step becomes one
  # from the step where the 2 m range to the end begins (1000 - 201).
  assert ant_endings.classify(False, n, *full, np.arange(n) * 0.05) == ("walked", -1)
  assert ant_endings.classify(False, n, *full, np.arange(n) * 0.01) == ("stalled", 799)


def test_trained_parity_counts_each_sub_envs_first_episode_as_the_evaluation_plays_it():
  """envpool_parity.first_episodes against trpo_tf.evaluation.run_episodes (one env, the same seeds): CartPole
  with a constant push ends its episodes at different steps, so counting past a sub-env's end would show."""
  import numpy as np

  import envpool_parity
  from trpo_tf.evaluation import run_episodes
  from trpo_tf.sampling.envs import make_env
  push_left = lambda obs: np.zeros(len(obs), np.int64)
  returns, lengths = envpool_parity.first_episodes("CartPole-v1", "gymnasium", push_left, 6, seed=40)
  reference = run_episodes(make_env("CartPole-v1"), lambda obs, *_: 0, 6, 40)
  assert list(lengths) == reference.lengths and list(returns) == reference.returns
  assert len(set(reference.lengths)) > 1


def test_gaussian_actor_draws_the_stochastic_policy_reproducibly():
  """mean + σ·ε from the distribution signature's outputs: sample moments against μ = (1.5, −2), σ = (0.5, 2) over
  20,000 rows (standard errors 0.004 and 0.014), one seed gives one stream, another seed another."""
  import numpy as np

  import envpool_parity
  mean, log_std = np.array([1.5, -2.0], np.float32), np.log(np.array([0.5, 2.0], np.float32))
  distribution = lambda obs: {"mean": np.tile(mean, (len(obs), 1)), "log_std": np.tile(log_std, (len(obs), 1))}
  obs = np.zeros((20_000, 3), np.float32)
  draws = envpool_parity.gaussian_actor(distribution, seed=5)(obs)
  assert draws.shape == (20_000, 2)
  np.testing.assert_allclose(draws.mean(axis=0), mean, atol=0.05)
  np.testing.assert_allclose(draws.std(axis=0), [0.5, 2.0], rtol=0.03)
  again, other = (envpool_parity.gaussian_actor(distribution, seed=s)(obs[:10]) for s in (5, 6))
  np.testing.assert_array_equal(again, draws[:10])
  assert not np.allclose(other, draws[:10])


def test_welch_p_by_hand():
  import numpy as np

  import envpool_parity
  # means 2 and 0, variances 2 and 2, n = 2 each: z = 2 / sqrt(2/2 + 2/2) = sqrt(2), p = erfc(1)
  assert envpool_parity.welch_p(np.array([1.0, 3.0]), np.array([-1.0, 1.0])) == pytest.approx(0.157299, abs=1e-6)
  assert envpool_parity.welch_p(np.array([1.0, 3.0]), np.array([1.0, 3.0])) == pytest.approx(1.0)


@pytest.mark.parametrize("flags, says", [
    (["--trained", "{tmp}"], "is not a finished run directory"),
    (["--trained", "{tmp}", "--episodes", "1"], "--episodes must be at least 2"),
    (["--trained", "{tmp}", "--random", "--name", "x"], "--name names one mode's files"),
    (["--random", "--stochastic"], "--stochastic chooses the policy --trained plays"),
])
def test_trained_parity_refuses_bad_input_in_one_line(tmp_path, flags, says):
  import subprocess
  script = os.path.join(os.path.dirname(suite.__file__), "envpool_parity.py")
  done = subprocess.run([sys.executable, script] + [f.format(tmp=tmp_path) for f in flags], capture_output=True,
                        text=True, timeout=300, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
  assert done.returncode != 0
  last = done.stderr.strip().splitlines()[-1]
  assert last.startswith("error: ") and says in last
  assert os.listdir(tmp_path) == []


def test_reevaluate_replays_the_final_evaluation_and_keeps_the_earlier_one(tmp_path):
  """On the stack a run trained with, benchmarks/reevaluate.py gives back its eval.json's returns exactly (the
  final checkpoint, the same seeds); it keeps the earlier file as eval.1.json and records the versions.
  --dry_run writes nothing; a directory that is no finished run is one error line."""
  import subprocess
  run = tmp_path / "run"
  done = run_train("--preset=cartpole", "--total_steps=2048", "--eval_episodes=3", f"--run_dir={run}")
  assert done.returncode == 0, done.stderr[-2000:]
  before = json.loads((run / "eval.json").read_text())
  script = os.path.join(os.path.dirname(suite.__file__), "reevaluate.py")
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  dry = subprocess.run([sys.executable, script, str(run), "--dry_run"], capture_output=True, text=True,
                       timeout=300, env=env)
  assert dry.returncode == 0, dry.stderr[-2000:]
  assert not (run / "eval.1.json").exists() and json.loads((run / "eval.json").read_text()) == before
  real = subprocess.run([sys.executable, script, str(run)], capture_output=True, text=True, timeout=300, env=env)
  assert real.returncode == 0, real.stderr[-2000:]
  after = json.loads((run / "eval.json").read_text())
  assert json.loads((run / "eval.1.json").read_text()) == before
  assert after["returns"] == before["returns"] and after["lengths"] == before["lengths"]
  assert after["reevaluated"]["gymnasium"] and "(the earlier one kept as eval.1.json)" in real.stdout
  bad = subprocess.run([sys.executable, script, str(tmp_path)], capture_output=True, text=True, timeout=300,
                       env=env)
  assert bad.returncode != 0 and bad.stderr.strip().splitlines()[-1].startswith("error: ")
  assert "is not a finished run" in bad.stderr
  (run / "checkpoints" / f"ckpt-{json.loads((run / 'finished.json').read_text())['iteration']}.index").write_bytes(b"x")
  damaged = subprocess.run([sys.executable, script, str(run)], capture_output=True, text=True, timeout=300, env=env)
  last = damaged.stderr.strip().splitlines()[-1]
  assert damaged.returncode != 0 and last.startswith("error: cannot re-evaluate: checkpoint ") and "corrupt" in last
  assert json.loads((run / "eval.json").read_text()) == after and not (run / "eval.2.json").exists()


def test_share_of_target_never_rounds_a_miss_up_to_100_percent():
  from mujoco_suite import share_of_target
  assert share_of_target(358.6, 360) == "99.6%"      # a miss: "100%" would read as met
  assert share_of_target(3618, 3600) == "100.5%"
  assert share_of_target(360, 360) == "100%"
  assert share_of_target(352.4, 360) == "98%" and share_of_target(5620, 4500) == "125%"
  assert share_of_target(1.0, None) == ""


def test_preset_pool_chance_met_by_hand():
  """Five draws from {1.5 t, 0.5 t} (0.5 t under 60%): met iff no low draw, 0.9^5; from {t+100, t-100} equally:
  the mean reaches t iff three or more draws are high, 16/32."""
  import preset_pool
  t = 1000.0
  assert preset_pool.chance_met([1.5 * t] * 9 + [0.5 * t], t) == pytest.approx(0.9 ** 5, abs=0.005)
  assert preset_pool.chance_met([t + 100, t - 100], t) == pytest.approx(0.5, abs=0.005)
  assert preset_pool.chance_met([t] * 3, t) == 1.0 and preset_pool.chance_met([t - 1] * 3, t) == 0.0


def test_preset_pool_counts_todays_config_once_per_run(tmp_path, monkeypatch):
  """Rows of today's key pool across variant names; a run recorded under two names counts once; another key, an
  excluded variant (other physics) and a row recorded before keys stay out."""
  import preset_pool
  now, _ = _ablation_tables(tmp_path, monkeypatch, [
      "preset,,0,3600.0,2500.0,100,{now}",
      "anneal,--x,0,3600.0,2500.0,100,{now}",        # the same run under a second name
      "presetamd,--y,0,3100.0,2400.0,100,{now}",     # seed 0 again on another host: another run
      "preset,,1,1200.0,900.0,100,{then}",
      "oldphysics,,2,900.0,900.0,100,{now}",
      "preset,,3,3000.0,2000.0,100,"])
  assert sorted(preset_pool.pooled_returns("hopper", now, exclude=("oldphysics",))) == [3100.0, 3600.0]
  p = preset_pool.pool([3100.0, 3600.0], 3600.0)
  assert (p.runs, p.mean, p.worst, p.under_worst_share) == (2, 3350.0, 3100.0, 0)
  assert "| 3,350 ± 250 (93%) | 3,100 (86%) |" in preset_pool.table([("hopper", "envpool", [3100.0, 3600.0])])


def _pace_run(root, name, rows, final):
  """A run directory with a progress.csv of (iteration, env_steps, episode/return_recent20) rows and an eval.json."""
  run = root / name
  run.mkdir()
  with open(run / "progress.csv", "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["iteration", "env_steps", "episode/return_recent20"])
    writer.writerows(rows)
  (run / "eval.json").write_text(json.dumps({"mean_return": final}))
  return str(run)


def test_learning_pace_by_hand(tmp_path):
  """Ten iterations of 100 steps: fifth k holds iterations 2k+1 and 2k+2 (an iteration counts in the fifth its steps
  end in). Run a climbs 10 a step, run b is flat at 50 but for a last-fifth dip to 40, run c climbs 20 a step."""
  import learning_pace
  a = _pace_run(tmp_path, "a", [(i, 100 * i, 10 * i) for i in range(1, 11)], 100.0)
  b = _pace_run(tmp_path, "b", [(i, 100 * i, 40 if i > 8 else 50) for i in range(1, 11)], 0.0)
  c = _pace_run(tmp_path, "c", [(i, 100 * i, 20 * i) for i in range(1, 11)], 200.0)
  np.testing.assert_allclose(learning_pace.run_pace(a).fifths, [15, 35, 55, 75, 95])
  np.testing.assert_allclose(learning_pace.run_pace(b).fifths, [50, 50, 50, 50, 40])
  g = learning_pace.group_pace([learning_pace.run_pace(d) for d in (a, b, c)])
  assert (g.runs, g.final_eval, g.gaining) == (3, 100.0, 2)
  assert g.late_gain == pytest.approx((20 - 10 + 40) / 3)
  np.testing.assert_allclose(g.fifths, [(15 + 50 + 30) / 3, (35 + 50 + 70) / 3, (55 + 50 + 110) / 3,
                                        (75 + 50 + 150) / 3, (95 + 40 + 190) / 3])
  # the final evaluations 100 / 0 / 200 against the first fifth's 15 / 50 / 30: r by hand
  x, y = np.array([15.0, 50, 30]), np.array([100.0, 0, 200])
  r = np.sum((x - x.mean()) * (y - y.mean())) / np.sqrt(np.sum((x - x.mean()) ** 2) * np.sum((y - y.mean()) ** 2))
  assert g.correlation[0] == pytest.approx(r)
  assert "| climb | 3 | 100 | 32 / 52 / 72 / 92 / 108 | 2 of 3 | +17 |" in learning_pace.table({"climb": g})


def test_learning_pace_refuses_a_glob_with_no_finished_run_in_one_line(tmp_path):
  import subprocess
  (tmp_path / "unfinished").mkdir()
  script = os.path.join(os.path.dirname(suite.__file__), "learning_pace.py")
  done = subprocess.run([sys.executable, script, "--group", f"w={tmp_path}/*", "--md", str(tmp_path / "out.md")],
                        capture_output=True, text=True, timeout=120)
  assert done.returncode != 0
  last = done.stderr.strip().splitlines()[-1]
  assert last.startswith("error: ") and "no finished run directory" in last
  assert os.listdir(tmp_path) == ["unfinished"]
