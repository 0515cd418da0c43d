"""`--set key=value` config overrides for the benchmark scripts (values parsed as Python literals)."""

import ast
from typing import Dict, Sequence


def parse_sets(items: Sequence[str]) -> Dict[str, object]:
  out = {}
  for item in items:
    key, sep, value = item.partition("=")
    if not sep or not key:
      raise SystemExit(f"error: --set needs key=value, got {item!r}")
    try:
      out[key] = ast.literal_eval(value)
    except (ValueError, SyntaxError):
      out[key] = value   # a bare string such as analytic
  return out
