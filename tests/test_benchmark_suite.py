"""benchmarks/suite.py reuses a preset's runs only while their config is the preset's config today."""

import json
import os
import sys

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
  config = ablation.current_config("InvertedDoublePendulum-v5", ["--max_kl=0.005"])
  assert config["sampler"]["env_id"] == "InvertedDoublePendulum-v5" and config["trpo"]["max_kl"] == 0.005
  assert config["trpo"]["gamma"] == 0.99                     # the shared MuJoCo settings
  assert ablation.current_config("hopper", [])["trpo"]["gamma"] == 0.995
