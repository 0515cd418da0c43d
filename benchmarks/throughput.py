"""Training throughput vs raw simulator stepping, measured in one run.

  python benchmarks/throughput.py [--presets hopper[,walker2d,...]] [--steps 200000] [--csv out.csv]

  python benchmarks/throughput.py --presets hopper --backends gymnasium,envpool [--set env_threads=2]
  python benchmarks/throughput.py --presets hopper --backends envpool --compare fisher_subsample=0.25 \
      --compare "cg_iters=10"     # the preset, then each variant, in one run (";" joins several keys)

Prints (1) the raw random-action stepping rate of gymnasium's sync vector env
with the trainer's env id and number of envs (one core: the reference), and of
the backend's own vector env when it is not gymnasium, (2) end-to-end training
env-steps/s (sampling + updates, after a warm-up iteration that pays for
tf.function tracing) with the sampling/update split, and (3) training / raw
one-core gymnasium stepping. Training and raw stepping alternate (--rounds): the
ratio compares rates measured over the same stretch of time. Targets: issue 2, ratio >= 0.75 on Hopper-v5 with
gymnasium; issue 12, >= 10,000 training steps/s and ratio >= 1.5 with EnvPool.

A preset whose batch grows or shrinks over a run (steps_per_env_final) is measured
over its whole schedule: the schedule is linear in the fraction of training done,
and the measured window is the run, so each batch size gets the share of the
window it gets of a full run (the rows' batch / batch_final columns).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from typing import Optional, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


from overrides import parse_sets
from suite import write_rows
from trpo_tf.presets import preset
from trpo_tf.sampling.envpool_env import EnvPoolVectorEnv
from trpo_tf.sampling.envs import make_vector_env
from trpo_tf.trainer import Trainer


def cpu_seconds() -> float:
  """User + system CPU time of this process, all its threads (EnvPool's pool and the value fit's included)."""
  t = os.times()
  return t.user + t.system


class RawStepper:
  """Random-action stepping of one vector env, in bursts: `run(seconds)` adds to its totals."""

  def __init__(self, env_id: str, num_envs: int, mode: str, seed: int = 0, backend: str = "gymnasium",
               threads: int = 1):
    self.num_envs = num_envs
    self.env = EnvPoolVectorEnv(env_id, num_envs, threads) if backend == "envpool" else \
        make_vector_env(env_id, num_envs, mode)
    self.env.reset(seed=seed)
    space = self.env.single_action_space
    space.seed(seed)
    self._actions = [np.stack([space.sample() for _ in range(num_envs)]) for _ in range(64)]
    self.steps, self.seconds, self.cpu = 0, 0.0, 0.0

  def run(self, seconds: float) -> None:
    steps, start, cpu = 0, time.perf_counter(), cpu_seconds()
    while time.perf_counter() - start < seconds:
      self.env.step(self._actions[(self.steps + steps) // self.num_envs % 64])
      steps += self.num_envs
    self.seconds += time.perf_counter() - start
    self.cpu += cpu_seconds() - cpu
    self.steps += steps

  def rate(self) -> Tuple[float, float]:
    """(env steps/s, CPU core-ms per 1,000 steps) over all bursts."""
    return self.steps / self.seconds, 1e6 * self.cpu / self.steps

  def close(self) -> None:
    self.env.close()


def thread_settings(config) -> Tuple[int, int, bool]:
  """(intra-op threads, inter-op threads, op determinism): fixed by the first Trainer of a process."""
  return config.run.intra_op_threads, config.run.inter_op_threads, config.run.deterministic_ops


def measure(name: str, steps: int, raw_seconds: float, overrides: Optional[dict] = None, rounds: int = 5) -> dict:
  """Training env-steps/s (after a warm-up iteration), its split, and raw stepping of the same vector env.

  The measured training is cut into `rounds` stretches, each followed by a burst of raw stepping (one-core
  gymnasium, then the backend's own vector env, `raw_seconds / rounds` each), so that training and the raw
  rates it is divided by see the same moments of a machine whose speed drifts (a shared host's CPU: one-core
  MuJoCo stepping here varies by up to half within a minute). Each round ends by waiting for its last value
  fit, which a continuous run would overlap with the next sampling (Hopper: ~60 ms a round; Ant, whose fit is
  longer, ~0.5 s): the wall time includes those waits (`round_end_wait_s`, part of `other_s`), so the training
  rate errs low by at most that much; `train_steps_per_s_upper` leaves them out (as if that fit were free),
  bracketing the continuous run's rate from above. The run's δ / λ / batch schedules see one
  window (total_steps is the whole window; a round stops the trainer at its share of it).
  """
  base = preset(name).override(**(overrides or {}))
  sc = base.sampler
  rounds = max(1, rounds)
  run_dir = tempfile.mkdtemp(prefix="trpo_throughput_")
  steppers = []
  try:
    # Warm-up run directory: trace every compiled function once.
    warm = base.override(total_steps=sc.batch_size, eval_episodes=0)
    trainer = Trainer(warm, os.path.join(run_dir, "a"), show_progress=False)
    trainer.train()
    # Measured: continue the same trainer (compiled functions stay traced).
    trainer.config = base.override(total_steps=sc.batch_size + steps, eval_episodes=0,
                                   checkpoint_every=10 ** 9)
    gym_raw = RawStepper(sc.env_id, sc.num_envs, "sync")
    steppers.append(gym_raw)
    backend_raw = gym_raw
    if sc.env_backend != "gymnasium" or sc.vector_mode != "sync":
      backend_raw = RawStepper(sc.env_id, sc.num_envs, sc.vector_mode, backend=sc.env_backend, threads=sc.env_threads)
      steppers.append(backend_raw)
    totals = dict(wall=0.0, sample=0.0, update=0.0, value_wait=0.0, cpu=0.0, round_end_wait=0.0)

    def round_end():
      """Instead of the checkpoint a stopped trainer saves (checkpoint_every=10**9: none in the window), only
      the wait for the value fit in flight, timed: a continuous run would overlap that fit with sampling."""
      waited = trainer.learner.value_wait_seconds
      trainer.learner.wait()
      totals["round_end_wait"] += trainer.learner.value_wait_seconds - waited

    trainer._checkpoint = round_end
    for r in range(rounds):
      stop_at = sc.batch_size + steps * (r + 1) // rounds
      cpu = cpu_seconds()
      result = trainer.train(should_stop=lambda stop_at=stop_at: int(trainer.env_steps.numpy()) >= stop_at)
      totals["cpu"] += cpu_seconds() - cpu
      for key, value in (("wall", result.wall_seconds), ("sample", result.sample_seconds),
                         ("update", result.update_seconds), ("value_wait", result.value_wait_seconds)):
        totals[key] += value
      for stepper in steppers:
        stepper.run(raw_seconds / rounds)
    trainer.close()
    measured = result.env_steps - sc.batch_size
    train_rate = measured / totals["wall"]
    upper_rate = measured / (totals["wall"] - totals["round_end_wait"])
    raw_rate, raw_cpu_ms = gym_raw.rate()
    backend_rate, backend_cpu_ms = backend_raw.rate()
  finally:
    for stepper in steppers:
      stepper.close()
    shutil.rmtree(run_dir, ignore_errors=True)
  return dict(preset=name, env_id=sc.env_id, env_backend=sc.env_backend, env_threads=sc.env_threads,
              num_envs=sc.num_envs, batch=sc.batch_size,
              batch_final=sc.final_batch_size,
              fvp_mode=base.trpo.fvp_mode,
              rounds=rounds, measured_steps=measured,
              wall_s=totals["wall"], sample_s=totals["sample"], update_s=totals["update"],
              # value_wait_s: the waits inside the updates; the round-end waits are in other_s
              value_wait_s=totals["value_wait"] - totals["round_end_wait"], round_end_wait_s=totals["round_end_wait"],
              other_s=totals["wall"] - totals["sample"] - totals["update"],
              raw_steps_per_s=raw_rate, raw_backend_steps_per_s=backend_rate, train_steps_per_s=train_rate,
              train_steps_per_s_upper=upper_rate,
              ratio=train_rate / raw_rate,
              # What bounds the rate: cores kept busy, and the CPU work per 1,000 training steps against
              # the backend's own stepping (the simulation's share of that work).
              cores_busy=totals["cpu"] / totals["wall"],
              train_cpu_ms_per_1k=1e6 * totals["cpu"] / measured,
              raw_backend_cpu_ms_per_1k=backend_cpu_ms,
              minutes_per_1m=1e6 / train_rate / 60)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--presets", "--preset", default="hopper",
                      help="comma-separated presets, e.g. swimmer,hopper,walker2d,halfcheetah,ant")
  parser.add_argument("--steps", type=int, default=200_000, help="measured training steps")
  parser.add_argument("--raw_seconds", type=float, default=20.0,
                      help="seconds of raw stepping per vector env, over all rounds")
  parser.add_argument("--rounds", type=int, default=5,
                      help="alternate training and raw stepping this many times (a drifting machine speed then "
                           "affects both sides of the ratio alike)")
  parser.add_argument("--csv", default="", help="also write the rows to this CSV file")
  parser.add_argument("--set", action="append", default=[], help="config override, e.g. fvp_mode=analytic")
  parser.add_argument("--backends", default="gymnasium", help="comma-separated env backends: gymnasium,envpool")
  parser.add_argument("--compare", action="append", default=[],
                      help="also measure each preset with these overrides (repeatable, a row each; ';' joins "
                           "several), e.g. fisher_subsample=0.25")
  args = parser.parse_args()
  variants = [("preset", {})] + [(c, parse_sets(c.split(";"))) for c in args.compare]
  threads = {(name, backend, label): thread_settings(preset(name).override(
                 **dict(parse_sets(args.set), **extra, env_backend=backend)))
             for name in args.presets.split(",") for backend in args.backends.split(",")
             for label, extra in variants}
  if len(set(threads.values())) > 1:
    parser.error("TensorFlow's thread pools and op determinism are set once per process, and these measurements "
                 f"differ in them: {threads}; measure each setting in its own run (--set)")
  rows = []
  for name in args.presets.split(","):
    for backend in args.backends.split(","):
      for label, extra in variants:
        r = dict(variant=label, **measure(name, args.steps, args.raw_seconds,
                                          dict(parse_sets(args.set), **extra, env_backend=backend), args.rounds))
        rows.append(r)
        report(r)
  if len(rows) > 1:
    print("\n| env | variant | backend | FVP | raw gymnasium steps/s (1 core) | raw backend steps/s | "
          "training env-steps/s (without round-end waits) | ratio | sampling / update (value-fit wait) / other "
          "(round-end waits) (s) | 1M steps | "
          "cores busy | core-ms per 1k steps (backend stepping alone) |")
    print("|---|---|---|---|---:|---:|---:|---:|---|---:|---:|---|")
    for r in rows:
      print(f"| {r['env_id']} | {r['variant']} | {r['env_backend']} | {r['fvp_mode']} | {r['raw_steps_per_s']:,.0f} | "
            f"{r['raw_backend_steps_per_s']:,.0f} | {r['train_steps_per_s']:,.0f} "
            f"({r['train_steps_per_s_upper']:,.0f}) | {r['ratio']:.3f} | "
            f"{r['sample_s']:.1f} / {r['update_s']:.1f} ({r['value_wait_s']:.1f}) / {r['other_s']:.1f} "
            f"({r['round_end_wait_s']:.1f}) | "
            f"{r['minutes_per_1m']:.1f} min | {r['cores_busy']:.2f} | {r['train_cpu_ms_per_1k']:.0f} "
            f"({r['raw_backend_cpu_ms_per_1k']:.0f}) |")
  if args.csv:
    write_rows(rows, args.csv)
    print(f"wrote {args.csv}")


def report(r: dict) -> None:
  batch = f"{r['batch']}" if r['batch_final'] == r['batch'] else f"{r['batch']} → {r['batch_final']}"
  print(f"env            {r['env_id']}  ({r['num_envs']} envs, {batch} steps/iteration, "
        f"fvp={r['fvp_mode']}, backend={r['env_backend']}, {r['variant']})")
  print(f"raw stepping   {r['raw_steps_per_s']:10.0f} env-steps/s  (random actions, gymnasium sync vector env)")
  if r['env_backend'] != "gymnasium":
    print(f"               {r['raw_backend_steps_per_s']:10.0f} env-steps/s  (random actions, "
          f"{r['env_backend']}, {r['env_threads']} threads)")
  print(f"training       {r['train_steps_per_s']:10.0f} env-steps/s  ({r['measured_steps']} steps, "
        f"{r['wall_s']:.1f} s in {r['rounds']} rounds between raw-stepping bursts; "
        f"1M steps = {r['minutes_per_1m']:.1f} min; {r['train_steps_per_s_upper']:.0f} without the round-end waits)")
  print(f"  split        sampling {r['sample_s']:.1f} s, update {r['update_s']:.1f} s (of which waiting for "
        f"the overlapped value fit {r['value_wait_s']:.1f} s), other {r['other_s']:.1f} s (of which "
        f"{r['round_end_wait_s']:.1f} s waiting for each round's last value fit)")
  print(f"  CPU          {r['cores_busy']:.2f} cores busy; {r['train_cpu_ms_per_1k']:.0f} core-ms per 1,000 training "
        f"steps, of which stepping the backend alone takes {r['raw_backend_cpu_ms_per_1k']:.0f}")
  print(f"ratio          {r['ratio']:10.3f}  (training / raw one-core gymnasium stepping)", flush=True)


if __name__ == "__main__":
  main()
