"""Launcher pre-flight: --print_config, flag help from the config's own docs, the TF-Agents
launcher refusing flags it would ignore, default export names."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from launchers import preflight
from tests.helpers import ROOT, run_train
from trpo_tf.config import ExperimentConfig, field_help

TF_AGENTS_TRAIN = os.path.join(ROOT, "launchers", "train_tf_agents.py")


def run_tf_agents_train(*flags):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  return subprocess.run([sys.executable, TF_AGENTS_TRAIN, *flags], capture_output=True, text=True, env=env,
                        cwd=ROOT, timeout=120)


def test_print_config_shows_preset_plus_overrides_and_trains_nothing(tmp_path):
  proc = run_train("--preset=pendulum", "--max_kl=0.02", "--policy_hidden=32,32", "--print_config",
                   f"--run_dir={tmp_path / 'run'}", timeout=120)
  assert proc.returncode == 0, proc.stderr
  config = ExperimentConfig.from_dict(json.loads(proc.stdout))
  assert config.trpo.max_kl == 0.02 and config.network.policy_hidden == (32, 32)
  assert config.trpo.gamma == 0.9 and config.sampler.env_id == "Pendulum-v1"   # from the preset
  assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("env_id, origin, expected", [
    ("Walker2d-v5", "the walker2d preset", dict(gamma=0.993, log_std_init=-0.25, env_backend="envpool", max_kl=0.06, cg_damping=0.6,
                                                          max_kl_final_fraction=0.1, max_kl_hold_fraction=0.5)),
    ("Hopper-v5", "the hopper preset", dict(gamma=0.995, fisher_subsample=0.25, env_backend="envpool", max_kl=0.03,
                                            cg_damping=0.3, max_kl_final_fraction=0.1)),
    ("Swimmer-v5", "the swimmer preset", dict(gamma=0.999, gae_lambda=1.0, fisher_subsample=0.25, env_backend="envpool",
                                              max_kl=0.005, max_kl_final_fraction=3.0, log_std_init=0.5)),
    ("Ant-v5", "the ant preset", dict(log_std_init=-0.5, env_backend="envpool", max_kl=0.05, cg_damping=0.8,
                                      max_kl_final_fraction=1.0, obs_dims="0:27", value_hidden=(256, 256),
                                      steps_per_env_final=256)),
    ("Reacher-v5", "the shared MuJoCo settings (δ = 0.005)", dict(gamma=0.99, cg_iters=25, num_envs=16, env_backend="envpool",
                                                      max_kl=0.005, max_kl_final_fraction=1.0)),
    ("Hopper-v4", "the shared MuJoCo settings (δ = 0.005) on gymnasium", dict(gamma=0.99, cg_iters=25, env_backend="gymnasium",
                                                                  max_kl=0.005)),
    ("ALE/Tennis-v5", "the shared Atari settings", dict(cnn="paper", entropy_coef=0.01, env_backend="gymnasium")),
    ("CartPole-v1", "the cartpole preset", dict(normalize_rewards=False, env_backend="gymnasium")),
    ("Acrobot-v1", "the library defaults", dict(gamma=0.99, cg_iters=10, env_backend="gymnasium")),
])
def test_an_env_id_without_a_preset_starts_from_its_own_or_the_shared_settings(env_id, origin, expected):
  from trpo_tf.presets import MUJOCO_SETTINGS, resolve
  config, said = resolve(None, env_id, default="hopper")
  flat = {k: v for section in config.to_dict().values() for k, v in section.items()}
  assert said.startswith(origin + ",") and flat["env_id"] == env_id
  assert {k: flat[k] for k in expected} == expected
  if origin.startswith("the shared MuJoCo"):   # nothing from the tuned presets (hopper's gamma, log σ₀)
    assert flat["log_std_init"] == 0.0 and flat["gae_lambda"] == 0.95
    assert {k: flat[k] for k in MUJOCO_SETTINGS if k != "env_backend"} == \
        {k: v for k, v in MUJOCO_SETTINGS.items() if k != "env_backend"}


def test_train_launcher_defaults_an_env_id_to_its_settings_but_a_named_preset_wins(tmp_path):
  alone = json.loads(run_train("--env_id=Reacher-v5", "--print_config", timeout=120).stdout)
  named = json.loads(run_train("--preset=hopper", "--env_id=Reacher-v5", "--print_config", timeout=120).stdout)
  plain = json.loads(run_train("--print_config", timeout=120).stdout)
  assert alone["sampler"]["env_id"] == named["sampler"]["env_id"] == "Reacher-v5"
  assert alone["trpo"]["gamma"] == 0.99 and named["trpo"]["gamma"] == 0.995   # hopper's own γ only when named
  assert plain["sampler"]["env_id"] == "Hopper-v5" and plain["trpo"]["gamma"] == 0.995   # no flags: hopper
  tfa = run_tf_agents_train("--env_id=Pendulum-v1", "--print_config")
  assert tfa.returncode == 0, tfa.stderr
  assert json.loads(tfa.stdout)["trpo"]["gamma"] == 0.9   # the pendulum preset, not cartpole's settings


def test_help_is_each_fields_documentation():
  proc = run_train("--helpfull", timeout=120)
  text = " ".join(proc.stdout.split())
  for section in dataclasses.fields(ExperimentConfig):
    for field in dataclasses.fields(section.type):
      doc = field_help(section.type, field.name)
      assert doc, f"{section.name}.{field.name} has no documentation"
      assert f"--{field.name}: {' '.join(doc.split())[:40]}" in text or \
          f"--[no]{field.name}: {' '.join(doc.split())[:40]}" in text, field.name
  assert "--print_config" in text


@pytest.mark.parametrize("flags, named", [
    (["--sampler=vine"], "--sampler"),
    (["--normalize_rewards=true", "--checkpoint_every=3"], "--checkpoint_every, --normalize_rewards"),
    (["--log_std_init=-1"], "--log_std_init"),
    (["--steps_per_env_final=64"], "--steps_per_env_final"),
])
def test_tf_agents_launcher_rejects_flags_it_would_ignore(tmp_path, flags, named):
  proc = run_tf_agents_train("--preset=cartpole", f"--run_dir={tmp_path / 'run'}", *flags)
  assert proc.returncode == 2
  lines = proc.stderr.strip().splitlines()
  assert len(lines) == 1 and lines[0].startswith(f"error: {named} not supported by this launcher"), proc.stderr
  assert not (tmp_path / "run").exists()


def test_tf_agents_launcher_takes_network_flags_for_its_own_networks():
  proc = run_tf_agents_train("--preset=pendulum", "--networks=trpo_tf", "--log_std_init=-1", "--print_config")
  assert proc.returncode == 0, proc.stderr
  assert json.loads(proc.stdout)["network"]["log_std_init"] == -1.0


def test_default_export_name_comes_from_the_resolved_run_directory(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  assert preflight.default_export_dir(".") == os.path.join(ROOT, "exported_models", tmp_path.name)
  assert preflight.default_export_dir("runs/a/") == os.path.join(ROOT, "exported_models", "a")


def test_installed_and_bazel_run_launchers_use_the_invocation_directory(tmp_path, monkeypatch):
  """Installed (no checkout around launchers/) exports go to ./exported_models; `bazel run` starts in
  the runfiles, so the launcher moves to the directory bazel was run from; the resume hint names the
  command the user actually ran."""
  monkeypatch.delenv("BUILD_WORKING_DIRECTORY", raising=False)
  assert preflight.command("train") == "python launchers/train.py"
  monkeypatch.setattr(preflight, "IN_CHECKOUT", False)
  monkeypatch.chdir(tmp_path)
  assert preflight.default_export_dir("runs/a") == os.path.join(str(tmp_path), "exported_models", "a")
  assert preflight.command("train_tf_agents") == "trpo-train-tf-agents"
  elsewhere = tmp_path / "workspace"
  elsewhere.mkdir()
  monkeypatch.setenv("BUILD_WORKING_DIRECTORY", str(elsewhere))
  preflight.enter_invocation_directory()
  assert os.getcwd() == str(elsewhere) and preflight.command("train") == "bazel run //launchers:train --"



def test_tf_agents_launcher_rejects_an_unwritable_run_dir():
  proc = run_tf_agents_train("--preset=cartpole", "--run_dir=/proc/tfa")
  assert proc.returncode == 2
  assert proc.stderr.strip() == "error: --run_dir /proc/tfa is inside a system directory (proc); choose another"


def test_obs_dims_ranges_parse_and_bad_ones_are_config_errors():
  from trpo_tf.config import ConfigError, NetworkConfig, obs_dims_mask, parse_obs_dims
  assert parse_obs_dims("") == () and obs_dims_mask("", (5,)) == ()
  assert parse_obs_dims("0:27, 30") == ((0, 27), (30, 31))
  assert obs_dims_mask("0:2,4", (6,)) == (1.0, 1.0, 0.0, 0.0, 1.0, 0.0)
  for bad in ("27:0", "a:b", "1:2:3", "-1:4", ":5", "3:3"):
    with pytest.raises(ConfigError, match="obs_dims must be entries"):
      NetworkConfig(obs_dims=bad)
  with pytest.raises(ConfigError, match="reaches past this env's 6 observation entries"):
    obs_dims_mask("0:7", (6,))
  with pytest.raises(ConfigError, match="needs a vector observation"):
    obs_dims_mask("0:7", (4, 84, 84))


def test_tf_agents_launcher_says_the_presets_growing_batch_is_not_its_own(tmp_path):
  """The Ant preset grows its batch over the run (steps_per_env_final); the TF-Agents loop's driver keeps one
  layout, so it says so in one note line (an explicit --steps_per_env_final is an error, above) and trains."""
  proc = run_tf_agents_train("--preset=ant", "--total_steps=1", "--eval_episodes=0", "--export=false",
                             f"--run_dir={tmp_path / 'run'}")
  assert proc.returncode == 0, proc.stderr[-2000:]
  notes = [line for line in proc.stdout.splitlines() if "growing batch" in line]
  assert notes == ["note: the preset's growing batch (steps_per_env 128 → 256) is a feature of launchers/train.py; "
                   "this loop collects 128 steps per env throughout"]
  assert "iteration 1  env steps 2064" in proc.stdout
