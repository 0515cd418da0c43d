"""absl flags generated from the config dataclasses (launchers only: library code never reads FLAGS).

Every field of ExperimentConfig becomes a flag of the same name with default
None, so only flags given on the command line override the preset (or, with
--resume, the saved run's config). Each flag's help is the field's own
documentation (trpo_tf/config.py), so --helpfull and the code cannot drift apart.
"""

import dataclasses
import typing

from absl import flags

from trpo_tf.config import ConfigError, ExperimentConfig

_DEFINERS = {bool: flags.DEFINE_bool, int: flags.DEFINE_integer, float: flags.DEFINE_float,
             str: flags.DEFINE_string}


def config_fields():
  """(section, field, python type) for every field of ExperimentConfig."""
  for section in dataclasses.fields(ExperimentConfig):
    hints = typing.get_type_hints(section.type)
    for field in dataclasses.fields(section.type):
      yield section.name, field, hints[field.name]


def define_config_flags(flag_values=flags.FLAGS) -> None:
  defaults = ExperimentConfig()
  for section, field, kind in config_fields():
    default = getattr(getattr(defaults, section), field.name)
    shown = ",".join(str(v) for v in default) if isinstance(default, tuple) else default
    help_text = f"{field.metadata['help']} " \
                f"[{section}; default {shown!r} unless the preset sets it]"
    if typing.get_origin(kind) is tuple:
      flags.DEFINE_list(field.name, None, help_text + "; comma-separated", flag_values=flag_values)
    else:
      _DEFINERS[kind](field.name, None, help_text, flag_values=flag_values)
  flags.DEFINE_bool("print_config", False, "print the fully resolved config (preset, or the resumed run's "
                    "config, plus the flags given) as JSON and exit without training", flag_values=flag_values)


def config_overrides(flag_values=flags.FLAGS) -> dict:
  """The config fields set explicitly on the command line."""
  out = {}
  for _, field, kind in config_fields():
    value = flag_values[field.name].value
    if value is None:
      continue
    if typing.get_origin(kind) is tuple:
      try:
        value = tuple(int(v) for v in value)
      except ValueError:
        raise ConfigError(f"--{field.name} must be comma-separated integers, got {','.join(value)}") from None
    out[field.name] = value
  return out
