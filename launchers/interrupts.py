"""Ctrl-C and SIGTERM for long launchers: stop at the next safe point, twice: at once.

The first SIGINT/SIGTERM only sets a flag that the training loop reads after
each iteration (trainer.Trainer.train's `should_stop`), so the run is
checkpointed between updates, never in the middle of one. A second signal exits
immediately without a traceback; the last complete checkpoint stays usable.
"""

import os
import signal
import sys


class GracefulStop:
  """Context manager and `should_stop` callable."""

  SIGNALS = (signal.SIGINT, signal.SIGTERM)

  def __init__(self):
    self.signum = None
    self._previous = {}

  def __call__(self) -> bool:
    return self.signum is not None

  @property
  def exit_code(self) -> int:
    return 128 + (self.signum or signal.SIGINT)

  def __enter__(self):
    for s in self.SIGNALS:
      self._previous[s] = signal.signal(s, self._handle)
    return self

  def __exit__(self, *exc):
    for s, handler in self._previous.items():
      signal.signal(s, handler)
    return False

  def _handle(self, signum, frame):
    name = signal.Signals(signum).name
    if self.signum is not None:
      print(f"\n{name} again: exiting now; the last complete checkpoint is kept", file=sys.stderr, flush=True)
      os._exit(128 + signum)
    self.signum = signum
    print(f"\n{name}: stopping at the next safe point and saving a checkpoint "
          "(press Ctrl-C again to exit at once)", file=sys.stderr, flush=True)
