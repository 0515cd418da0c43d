"""Typed configuration. Every default cites where it comes from.

Sources: [paper] Schulman et al. 2015, arXiv:1502.05477; [gae] Schulman et al.
2016, arXiv:1506.02438; [sb3] sb3-contrib TRPO defaults; [zoo] rl-baselines3-zoo
hyperparams/trpo.yml (MuJoCo settings); [here] chosen and measured in this repo
(see benchmarks/); [tianshou] Tianshou's MuJoCo TRPO
benchmark settings (examples/mujoco/mujoco_trpo.py).

Each field's documentation is its `help` metadata: the one text that the
launchers' --helpfull shows and `field_help` returns.

Imports neither TensorFlow nor gymnasium, so launchers validate input before
loading them.
"""

import dataclasses
import json
import math
from typing import Any, Dict, Tuple

FVP_MODES = ("forward_over_backward", "analytic")  # see fisher.py
ENV_BACKENDS = ("gymnasium", "envpool")              # see sampling/envpool_env.py
SAMPLER_BACKENDS = ("local", "ray")                  # see sampling/ray_sampler.py


class ConfigError(ValueError):
  """A configuration value that makes no sense; the message is one line."""


def first_line(error: Exception) -> str:
  """The first line of an exception's message (its type's name if it has none): for one-line errors."""
  text = str(error).strip()
  return text.splitlines()[0] if text else type(error).__name__


def _check(condition: bool, message: str) -> None:
  if not condition:
    raise ConfigError(message)


def _check_finite(section) -> None:
  """Every float field of a config section is a finite number (inf and nan are typos, not settings)."""
  for f in dataclasses.fields(section):
    value = getattr(section, f.name)
    if isinstance(value, float) and not math.isfinite(value):
      raise ConfigError(f"{f.name} must be a finite number, got {value}")


EVAL_SEED_OFFSET = 1_000_000   # the final evaluation's episode i resets with seed + EVAL_SEED_OFFSET + i
MAX_SEED = 2 ** 31 - 1 - EVAL_SEED_OFFSET   # numpy, TF and EnvPool take 31/32-bit seeds


def _field(default, help: str):
  """A dataclass field whose documentation travels with it (flags, --print_config)."""
  return dataclasses.field(default=default, metadata={"help": help})


def field_help(section_type, name: str) -> str:
  """The documentation of field `name` of a config dataclass."""
  return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(section_type)}[name]


def parse_obs_dims(spec: str) -> Tuple[Tuple[int, int], ...]:
  """'0:27,30' → ((0, 27), (30, 31)): half-open ranges of observation entries ('' reads them all: ())."""
  ranges = []
  for part in (p.strip() for p in spec.split(",")) if spec.strip() else ():
    bounds = part.split(":")
    try:
      start, stop = (int(bounds[0]), int(bounds[0]) + 1) if len(bounds) == 1 else (int(bounds[0]), int(bounds[1]))
    except ValueError:
      start, stop = -1, -1
    _check(len(bounds) <= 2 and 0 <= start < stop,
           f"obs_dims must be entries 'i' or ranges 'start:stop' (0 <= start < stop) joined by commas, e.g. "
           f"'0:27', got {spec!r}")
    ranges.append((start, stop))
  return tuple(ranges)


def obs_dims_mask(spec: str, obs_shape: Tuple[int, ...]) -> Tuple[float, ...]:
  """1.0 for each observation entry the networks read, 0.0 for the others; () when `spec` reads them all."""
  ranges = parse_obs_dims(spec)
  if not ranges:
    return ()
  _check(len(obs_shape) == 1, f"obs_dims needs a vector observation, this env's has shape {tuple(obs_shape)}")
  size = int(obs_shape[0])
  _check(max(stop for _, stop in ranges) <= size,
         f"obs_dims {spec!r} reaches past this env's {size} observation entries")
  return tuple(1.0 if any(a <= i < b for a, b in ranges) else 0.0 for i in range(size))


@dataclasses.dataclass(frozen=True)
class TRPOConfig:
  """The policy update and the baseline fit."""
  max_kl: float = _field(0.01, "trust region δ: bound on the mean KL(π_old ‖ π_new) of one update "
                               "[paper] §6")
  max_kl_final_fraction: float = _field(
      1.0, "δ at the end of training as a fraction of max_kl, linear in training progress in between: below 1 "
           "the last updates of a run move the policy less, above 1 more (1: a constant δ, [paper]) [here]")
  max_kl_hold_fraction: float = _field(
      0.0, "fraction of training during which a scheduled δ (max_kl_final_fraction ≠ 1) stays max_kl; it moves "
           "linearly to its final value over the rest (0: from the start): large steps while the gait is learned, "
           "small ones only at the end [here]")
  cg_iters: int = _field(10, "conjugate-gradient iterations solving F x = g [paper] appendix C")
  cg_damping: float = _field(0.1, "λ added to the Fisher (F + λI) for a stable CG solve [sb3]")
  kl_per_action_dim: bool = _field(False, "max_kl and cg_damping count per action dimension: a policy over d "
                                          "Gaussian action dims steps with d·δ and d·λ (the trust region "
                                          "sb3-contrib's TRPO takes: it averages the KL over action dims); "
                                          "discrete actions count d = 1 [here]")
  fisher_subsample: float = _field(1.0, "fraction of the batch the Fisher-vector products use "
                                        "([paper] allows ~0.1; [sb3] 1)")
  fvp_mode: str = _field("forward_over_backward",
                         "Fisher-vector product: forward_over_backward (autodiff of the KL gradient) or "
                         "analytic (Jᵀ M J, [paper] appendix C.1); same step, analytic is faster [here]")
  line_search_backtracks: int = _field(10, "most step sizes the line search tries [sb3]")
  line_search_shrink: float = _field(0.8, "factor the step shrinks by per line-search try [sb3]")
  line_search_accept_ratio: float = _field(
      0.0, "accept a step whose surrogate gain is at least this fraction of the linear prediction "
           "(0: any improvement within the KL bound) [sb3]")
  gamma: float = _field(0.99, "discount factor γ [zoo]")
  gamma_final: float = _field(
      -1.0, "γ at the end of training, linear in training progress from gamma in between (single-path GAE and "
            "value targets; the reward scaler keeps gamma): a short early horizon learns a gait fast, a longer "
            "late one keeps falls costly once it is fast; -1: γ stays gamma [here]")
  gae_lambda: float = _field(0.95, "GAE λ: bias/variance trade-off of the advantages [zoo], [gae]")
  gae_lambda_final: float = _field(
      -1.0, "GAE λ at the end of training, linear in training progress from gae_lambda in between: a low "
            "early λ (less variance) for a fast start, a higher late one (less bias) to refine; -1: λ stays "
            "gae_lambda ([gae]) [here]")
  normalize_advantages: bool = _field(True, "standardise advantages over each batch [sb3]")
  value_learning_rate: float = _field(1e-3, "Adam learning rate of the value (baseline) fit [zoo]")
  value_epochs: int = _field(20, "passes over the batch per value fit [zoo] n_critic_updates")
  value_targets: str = _field("gae", "what the value fit regresses on: gae (V + the GAE(λ) advantage, the "
                                     "λ-return [sb3]) or returns (discounted returns, bootstrapped only where "
                                     "an episode was cut: [paper] §7's Monte-Carlo baseline)")
  value_minibatch: int = _field(128, "minibatch size of the value fit [zoo] batch_size")
  value_history: int = _field(1, "batches the value fit regresses on: this one and the value_history - 1 before "
                                 "it, each with the targets computed when it was sampled (more data per fit, "
                                 "older targets; a resume starts the history empty) [here]")
  entropy_coef: float = _field(0.0, "c in the optional c·mean H(π_θ) bonus of the single-path surrogate, "
                                    "against entropy collapse ([paper]: none, i.e. 0)")

  def __post_init__(self):
    _check_finite(self)
    _check(self.max_kl > 0, f"max_kl must be > 0, got {self.max_kl}")
    _check(self.max_kl_final_fraction > 0,
           f"max_kl_final_fraction must be > 0, got {self.max_kl_final_fraction}")
    _check(0 <= self.max_kl_hold_fraction < 1,
           f"max_kl_hold_fraction must be in [0, 1), got {self.max_kl_hold_fraction}")
    _check(self.max_kl_hold_fraction == 0 or self.kl_scheduled,
           f"max_kl_hold_fraction={self.max_kl_hold_fraction:g} holds a scheduled δ: set max_kl_final_fraction ≠ 1 "
           "too")
    _check(self.cg_iters >= 1, f"cg_iters must be >= 1, got {self.cg_iters}")
    _check(self.cg_damping >= 0, f"cg_damping must be >= 0, got {self.cg_damping}")
    _check(0 < self.fisher_subsample <= 1, f"fisher_subsample must be in (0, 1], got {self.fisher_subsample}")
    _check(self.fvp_mode in FVP_MODES, f"fvp_mode must be one of {FVP_MODES}, got {self.fvp_mode!r}")
    _check(self.line_search_backtracks >= 1, f"line_search_backtracks must be >= 1, got {self.line_search_backtracks}")
    _check(0 < self.line_search_shrink < 1, f"line_search_shrink must be in (0, 1), got {self.line_search_shrink}")
    _check(0 <= self.line_search_accept_ratio < 1, f"line_search_accept_ratio must be in [0, 1), got {self.line_search_accept_ratio}")
    _check(0 < self.gamma <= 1, f"gamma must be in (0, 1], got {self.gamma}")
    _check(self.gamma_final == -1 or 0 < self.gamma_final <= 1,
           f"gamma_final must be in (0, 1], or -1 for a constant gamma, got {self.gamma_final}")
    _check(0 <= self.gae_lambda <= 1, f"gae_lambda must be in [0, 1], got {self.gae_lambda}")
    _check(self.gae_lambda_final == -1 or 0 <= self.gae_lambda_final <= 1,
           f"gae_lambda_final must be in [0, 1], or -1 for a constant gae_lambda, got {self.gae_lambda_final}")
    _check(self.value_learning_rate > 0, f"value_learning_rate must be > 0, got {self.value_learning_rate}")
    _check(self.value_epochs >= 0, f"value_epochs must be >= 0, got {self.value_epochs}")
    _check(self.value_targets in ("gae", "returns"), f"value_targets must be gae or returns, got {self.value_targets!r}")
    _check(self.value_history >= 1, f"value_history must be >= 1, got {self.value_history}")
    _check(self.value_minibatch >= 1, f"value_minibatch must be >= 1, got {self.value_minibatch}")
    _check(self.entropy_coef >= 0, f"entropy_coef must be >= 0, got {self.entropy_coef}")

  @property
  def kl_scheduled(self) -> bool:
    """Whether δ changes over training (max_kl_final_fraction ≠ 1), so an update needs the training progress."""
    return self.max_kl_final_fraction != 1.0

  @property
  def lambda_scheduled(self) -> bool:
    """Whether GAE λ changes over training (gae_lambda_final set and ≠ gae_lambda)."""
    return self.gae_lambda_final != -1 and self.gae_lambda_final != self.gae_lambda

  @property
  def gamma_scheduled(self) -> bool:
    """Whether γ changes over training (gamma_final set and ≠ gamma)."""
    return self.gamma_final != -1 and self.gamma_final != self.gamma

  @property
  def needs_progress(self) -> bool:
    """Whether an update needs the fraction of training done: δ, γ or λ is scheduled."""
    return self.kl_scheduled or self.lambda_scheduled or self.gamma_scheduled

  def trust_region(self, action_dims: int) -> Tuple[float, float]:
    """(δ, λ) one update uses for a policy over `action_dims` independent action components."""
    scale = action_dims if self.kl_per_action_dim else 1
    return self.max_kl * scale, self.cg_damping * scale


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
  policy_hidden: Tuple[int, ...] = _field((64, 64), "hidden layer sizes of the policy MLP [sb3]")
  value_hidden: Tuple[int, ...] = _field((64, 64), "hidden layer sizes of the value MLP [sb3]")
  activation: str = _field("tanh", "MLP activation: tanh, relu or elu [sb3]")
  log_std_init: float = _field(0.0, "initial log σ of the Gaussian policy [sb3]")
  state_dependent_std: bool = _field(False, "log σ from a linear layer on the policy's features, clipped to "
                                            "[-5, 2] (networks.LOG_STD_RANGE), instead of one learned vector "
                                            "([paper] §7: state-independent) [here]")
  normalize_observations: bool = _field(True, "running mean/std observation normaliser inside the "
                                              "networks (exported with them) [zoo]")
  obs_clip: float = _field(10.0, "normalised observations are clipped to ±obs_clip [zoo]")
  obs_dims: str = _field("", "the observation entries the networks read, as 'start:stop' ranges joined by commas "
                             "(e.g. '0:27'); the others are zeroed after the normaliser, so the networks (and an "
                             "exported policy) still take the env's whole observation; '' reads all [here]")
  cnn: str = _field("paper", "image observations: the [paper] §7 network or the DQN 'nature' network")

  def __post_init__(self):
    object.__setattr__(self, "policy_hidden", tuple(int(h) for h in self.policy_hidden))
    object.__setattr__(self, "value_hidden", tuple(int(h) for h in self.value_hidden))
    _check_finite(self)
    _check(len(self.policy_hidden) > 0 and len(self.value_hidden) > 0,
           "policy_hidden and value_hidden need at least one layer size each (e.g. 64,64)")
    _check(all(h > 0 for h in self.policy_hidden + self.value_hidden), "hidden layer sizes must be > 0")
    _check(self.activation in ("tanh", "relu", "elu"),
           f"activation must be tanh, relu or elu, got {self.activation!r}")
    _check(self.obs_clip > 0, f"obs_clip must be > 0, got {self.obs_clip}")
    parse_obs_dims(self.obs_dims)
    _check(self.cnn in ("paper", "nature"), f"cnn must be paper or nature, got {self.cnn!r}")


@dataclasses.dataclass(frozen=True)
class SamplerConfig:
  env_id: str = _field("Hopper-v5", "gymnasium environment id (ALE/... ids get the Atari preprocessing)")
  sampler: str = _field("single_path", "single_path ([paper] §5.1) or vine ([paper] §5.2, sampling/vine.py)")
  num_envs: int = _field(16, "parallel environments; acting is one batched policy call over them [here]")
  steps_per_env: int = _field(64, "vector steps per update: a batch is num_envs × steps_per_env steps "
                                  "([tianshou] 1,024 per update; the MuJoCo presets use 16 × 128)")
  steps_per_env_final: int = _field(-1, "vector steps per update at the end of training: each batch's "
                                        "steps_per_env moves linearly in training progress from steps_per_env "
                                        "to it (rounded), so the batch grows or shrinks over the run; -1 "
                                        "keeps steps_per_env [here]")
  env_backend: str = _field("gymnasium", "what steps the training envs: gymnasium, or envpool (C++ thread pool, "
                                         "MuJoCo v5 and ALE; single path only; evaluation stays on gymnasium)")
  env_threads: int = _field(2, "envpool: threads of EnvPool's pool ([here] Hopper, alternating runs: 2 threads "
                               "4,298 / 6,264 vs 1 thread 3,374 / 3,938 training steps/s; benchmarks/results)")
  vector_mode: str = _field("sync", "gymnasium vector env: sync (one process) or async (subprocesses; "
                                    "slower on 2 cores [here])")
  act_backend: str = _field("numpy", "numpy (a mirror of MLP policies, fastest) or tf (any policy) [here]")
  sampler_backend: str = _field("local", "where the envs step: local (this process) or ray (num_workers Ray "
                                         "actors, each with a shard of the num_envs envs; sampling/ray_sampler.py)")
  num_workers: int = _field(2, "ray: rollout workers; the num_envs envs are split among them [here]")
  ray_address: str = _field("", "ray: address of an existing Ray cluster (e.g. 'auto' or 'ray://host:10001'); "
                                "'' starts a local Ray instance sized to this machine")
  normalize_rewards: bool = _field(True, "divide rewards by the running std of the discounted return [zoo]")
  reward_clip: float = _field(10.0, "scaled rewards are clipped to ±reward_clip [zoo]")
  terminal_on_life_loss: bool = _field(False, "Atari: a lost life ends the training episode "
                                              "(sampling/atari.py)")
  fire_reset: bool = _field(False, "Atari: press FIRE after each reset (sampling/atari.py)")
  # Vine only. The trunk is num_envs × steps_per_env steps; then per iteration N states × K
  # branches × up to H steps. [paper] Table 2 used N = 125/625/625 states (Swimmer/Hopper/Walker,
  # "Q-values per batch" 500/2500/2500 over ≈4 per state) for 50K-1M steps per iteration; at a
  # 1M-step total budget that leaves a handful of iterations, so N is smaller here.
  vine_states: int = _field(32, "vine: rollout-set states N per iteration [here]")
  vine_actions: int = _field(4, "vine: actions K tried per state ([paper] Table 2: ≈4); discrete: "
                                "min(K, |A|), all actions when K ≥ |A| ([paper] §5.2)")
  vine_rollout_length: int = _field(100, "vine: steps H per branch ([paper] Table 2: 100 Hopper/Walker, "
                                         "50 Swimmer)")
  vine_bootstrap: bool = _field(True, "vine: add γ^len·V(s_end) where H or the time limit cuts a branch [here]")

  def __post_init__(self):
    _check_finite(self)
    _check(bool(self.env_id), "env_id must not be empty")
    _check(self.sampler in ("single_path", "vine"), f"sampler must be single_path or vine, got {self.sampler!r}")
    _check(self.vine_states >= 1, f"vine_states must be >= 1, got {self.vine_states}")
    _check(self.vine_actions >= 2, f"vine_actions must be >= 2 (the vine estimators compare branches), "
           f"got {self.vine_actions}")
    _check(self.vine_rollout_length >= 1, f"vine_rollout_length must be >= 1, got {self.vine_rollout_length}")
    _check(self.sampler != "vine" or self.vector_mode == "sync",
           "sampler=vine needs vector_mode=sync (it saves the trunk envs' simulator states)")
    _check(self.num_envs >= 1, f"num_envs must be >= 1, got {self.num_envs}")
    _check(self.steps_per_env >= 1, f"steps_per_env must be >= 1, got {self.steps_per_env}")
    _check(self.steps_per_env_final == -1 or self.steps_per_env_final >= 1,
           f"steps_per_env_final must be >= 1, or -1 for a constant steps_per_env, got {self.steps_per_env_final}")
    _check(self.vector_mode in ("sync", "async"), f"vector_mode must be sync or async, got {self.vector_mode!r}")
    _check(self.env_backend in ENV_BACKENDS, f"env_backend must be one of {', '.join(ENV_BACKENDS)}, "
           f"got {self.env_backend!r}")
    _check(self.env_backend == "gymnasium" or self.sampler == "single_path",
           f"sampler={self.sampler} needs env_backend=gymnasium (EnvPool cannot save and restore simulator "
           "states); the supported choices for envpool: sampler=single_path")
    _check(self.env_backend == "gymnasium" or self.vector_mode == "sync",
           "vector_mode applies to env_backend=gymnasium; EnvPool runs its own thread pool (env_threads)")
    _check(self.env_threads >= 1, f"env_threads must be >= 1, got {self.env_threads}")
    _check(self.act_backend in ("numpy", "tf"), f"act_backend must be numpy or tf, got {self.act_backend!r}")
    _check(self.sampler_backend in SAMPLER_BACKENDS, f"sampler_backend must be one of {', '.join(SAMPLER_BACKENDS)}, "
           f"got {self.sampler_backend!r}")
    _check(self.num_workers >= 1, f"num_workers must be >= 1, got {self.num_workers}")
    if self.sampler_backend == "ray":
      _check(self.sampler == "single_path", f"sampler={self.sampler} needs sampler_backend=local (Ray workers run "
             "single-path sampling); the supported choices for ray: sampler=single_path")
      _check(self.act_backend == "numpy", "sampler_backend=ray needs act_backend=numpy (workers act with a numpy "
             "copy of an MLP policy, without TensorFlow); CNN policies sample with sampler_backend=local")
      _check(self.num_workers <= self.num_envs, f"num_workers={self.num_workers} is more than num_envs="
             f"{self.num_envs}: each worker needs at least one env")
      _check(self.vector_mode == "sync", "vector_mode=async does not apply to Ray workers (each steps its "
             "own envs in its own process)")
    _check(self.reward_clip > 0, f"reward_clip must be > 0, got {self.reward_clip}")

  @property
  def batch_size(self) -> int:
    """Transitions per update (the first update's, when steps_per_env_final schedules the batch)."""
    return self.num_envs * self.steps_per_env

  @property
  def final_batch_size(self) -> int:
    """Transitions in the last update: num_envs × steps_per_env_final when the batch is scheduled, else batch_size."""
    return self.num_envs * self.steps_per_env_final if self.batch_scheduled else self.batch_size

  @property
  def batch_scheduled(self) -> bool:
    """Whether the batch changes over training (steps_per_env_final set and ≠ steps_per_env)."""
    return self.steps_per_env_final != -1 and self.steps_per_env_final != self.steps_per_env


@dataclasses.dataclass(frozen=True)
class RunConfig:
  total_steps: int = _field(1_000_000, "env steps to train for ([paper]-scale budget of the benchmarks)")
  seed: int = _field(0, "seeds the networks, the envs and every sampling stream")
  eval_episodes: int = _field(10, "deterministic evaluation episodes after training (0: none)")
  checkpoint_every: int = _field(25, "iterations between checkpoints")
  keep_checkpoints: int = _field(3, "checkpoints kept on disk")
  deterministic_ops: bool = _field(True, "tf.config.experimental.enable_op_determinism(): "
                                         "bit-identical reruns")
  export_dir: str = _field("", "SavedModel base directory (TF Serving layout); '' = no export")
  export_every: int = _field(0, "iterations between exports; 0 = only at the end")
  intra_op_threads: int = _field(1, "TensorFlow intra-op threads; 0 = TF's default [here] (runtime.py)")
  inter_op_threads: int = _field(1, "TensorFlow inter-op threads; 0 = TF's default [here]")

  def __post_init__(self):
    _check(self.total_steps > 0, f"total_steps must be > 0, got {self.total_steps}")
    _check(0 <= self.seed <= MAX_SEED, f"seed must be in [0, {MAX_SEED}], got {self.seed}")
    _check(self.eval_episodes >= 0, f"eval_episodes must be >= 0, got {self.eval_episodes}")
    _check(self.checkpoint_every >= 1, f"checkpoint_every must be >= 1, got {self.checkpoint_every}")
    _check(self.export_every >= 0, f"export_every must be >= 0, got {self.export_every}")
    _check(self.intra_op_threads >= 0 and self.inter_op_threads >= 0, "thread counts must be >= 0")
    _check(self.keep_checkpoints >= 1, f"keep_checkpoints must be >= 1, got {self.keep_checkpoints}")


@dataclasses.dataclass(frozen=True)
class ExperimentConfig:
  trpo: TRPOConfig = TRPOConfig()
  network: NetworkConfig = NetworkConfig()
  sampler: SamplerConfig = SamplerConfig()
  run: RunConfig = RunConfig()

  def __post_init__(self):
    _check(not (self.trpo.gamma_scheduled and self.sampler.sampler == "vine"),
           "gamma_final schedules the single-path sampler's γ; vine's branch returns use a constant gamma "
           "(the supported choices for vine: gamma_final=-1)")

  def to_dict(self) -> Dict[str, Dict[str, Any]]:
    return dataclasses.asdict(self)

  def to_json(self) -> str:
    return json.dumps(self.to_dict(), indent=2)

  @classmethod
  def from_dict(cls, d: Dict[str, Dict[str, Any]]) -> "ExperimentConfig":
    return cls(**{f.name: f.type(**d.get(f.name, {})) for f in dataclasses.fields(cls)})

  def override(self, **values) -> "ExperimentConfig":
    """Returns a copy with fields replaced by name, wherever they live (names are unique)."""
    sections = {}
    for section in dataclasses.fields(self):
      sub = getattr(self, section.name)
      mine = {k: v for k, v in values.items() if k in {f.name for f in dataclasses.fields(sub)}}
      sections[section.name] = dataclasses.replace(sub, **mine)
    unknown = set(values) - {f.name for s in sections.values() for f in dataclasses.fields(s)}
    _check(not unknown, f"unknown config field(s): {sorted(unknown)}")
    return ExperimentConfig(**sections)
