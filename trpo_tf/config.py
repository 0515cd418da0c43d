"""Typed configuration. Every default cites where it comes from.

Sources: [paper] Schulman et al. 2015, arXiv:1502.05477; [gae] Schulman et al.
2016, arXiv:1506.02438; [sb3] sb3-contrib TRPO defaults; [zoo] rl-baselines3-zoo
hyperparams/trpo.yml (MuJoCo settings); [here] chosen and measured in this repo
(see benchmarks/); [tianshou] Tianshou's MuJoCo TRPO
benchmark settings (examples/mujoco/mujoco_trpo.py).

Imports neither TensorFlow nor gymnasium, so launchers validate input before
loading them.
"""

import dataclasses
import json
from typing import Any, Dict, Tuple

FVP_MODES = ("forward_over_backward", "analytic")  # see fisher.py


class ConfigError(ValueError):
  """A configuration value that makes no sense; the message is one line."""


def _check(condition: bool, message: str) -> None:
  if not condition:
    raise ConfigError(message)


@dataclasses.dataclass(frozen=True)
class TRPOConfig:
  """The policy update and the baseline fit."""
  max_kl: float = 0.01                  # [paper] §6, δ = 0.01
  cg_iters: int = 10                    # [paper] appendix C: 10 CG iterations
  cg_damping: float = 0.1               # [sb3] cg_damping
  fisher_subsample: float = 1.0         # [paper] allows ~0.1; [sb3] sub_sampling_factor=1
  fvp_mode: str = "forward_over_backward"  # [here] or "analytic" (paper appendix C.1)
  line_search_backtracks: int = 10      # [sb3] line_search_max_iter
  line_search_shrink: float = 0.8       # [sb3] line_search_shrinking_factor
  line_search_accept_ratio: float = 0.0  # [sb3] accept any improvement (paper: also allows a fraction)
  gamma: float = 0.99                   # [zoo]
  gae_lambda: float = 0.95              # [zoo], [gae]
  normalize_advantages: bool = True     # [sb3]
  value_learning_rate: float = 1e-3     # [zoo] learning_rate
  value_epochs: int = 20                # [zoo] n_critic_updates
  value_minibatch: int = 128            # [zoo] batch_size
  entropy_coef: float = 0.0             # [paper] none; > 0 adds c·mean H(π_θ) to the single-path surrogate
                                        # (as OpenAI baselines' TRPO entcoeff), against entropy collapse

  def __post_init__(self):
    _check(self.max_kl > 0, f"max_kl must be > 0, got {self.max_kl}")
    _check(self.cg_iters >= 1, f"cg_iters must be >= 1, got {self.cg_iters}")
    _check(self.cg_damping >= 0, f"cg_damping must be >= 0, got {self.cg_damping}")
    _check(0 < self.fisher_subsample <= 1, f"fisher_subsample must be in (0, 1], got {self.fisher_subsample}")
    _check(self.fvp_mode in FVP_MODES, f"fvp_mode must be one of {FVP_MODES}, got {self.fvp_mode!r}")
    _check(self.line_search_backtracks >= 1, f"line_search_backtracks must be >= 1, got {self.line_search_backtracks}")
    _check(0 < self.line_search_shrink < 1, f"line_search_shrink must be in (0, 1), got {self.line_search_shrink}")
    _check(0 <= self.line_search_accept_ratio < 1, f"line_search_accept_ratio must be in [0, 1), got {self.line_search_accept_ratio}")
    _check(0 < self.gamma <= 1, f"gamma must be in (0, 1], got {self.gamma}")
    _check(0 <= self.gae_lambda <= 1, f"gae_lambda must be in [0, 1], got {self.gae_lambda}")
    _check(self.value_learning_rate > 0, f"value_learning_rate must be > 0, got {self.value_learning_rate}")
    _check(self.value_epochs >= 0, f"value_epochs must be >= 0, got {self.value_epochs}")
    _check(self.value_minibatch >= 1, f"value_minibatch must be >= 1, got {self.value_minibatch}")
    _check(self.entropy_coef >= 0, f"entropy_coef must be >= 0, got {self.entropy_coef}")


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
  policy_hidden: Tuple[int, ...] = (64, 64)  # [sb3] MlpPolicy net_arch
  value_hidden: Tuple[int, ...] = (64, 64)   # [sb3]
  activation: str = "tanh"                   # [sb3]
  log_std_init: float = 0.0                  # [sb3]
  normalize_observations: bool = True        # [zoo] normalize: true
  obs_clip: float = 10.0                     # [zoo] VecNormalize clip_obs
  cnn: str = "paper"                         # image observations: [paper] §7 network or "nature" (DQN)

  def __post_init__(self):
    object.__setattr__(self, "policy_hidden", tuple(int(h) for h in self.policy_hidden))
    object.__setattr__(self, "value_hidden", tuple(int(h) for h in self.value_hidden))
    _check(all(h > 0 for h in self.policy_hidden + self.value_hidden), "hidden layer sizes must be > 0")
    _check(self.activation in ("tanh", "relu", "elu"),
           f"activation must be tanh, relu or elu, got {self.activation!r}")
    _check(self.obs_clip > 0, f"obs_clip must be > 0, got {self.obs_clip}")
    _check(self.cnn in ("paper", "nature"), f"cnn must be paper or nature, got {self.cnn!r}")


@dataclasses.dataclass(frozen=True)
class SamplerConfig:
  env_id: str = "Hopper-v5"
  sampler: str = "single_path"          # [paper] §5.1 single path, or "vine" (§5.2, sampling/vine.py)
  num_envs: int = 16                    # [here] amortises the ~200 µs policy call
  steps_per_env: int = 64               # [tianshou] 1024 steps per update (16 × 64); the MuJoCo presets
                                        # use 128 (presets.py: better 3-seed means on Hopper-v5)
  vector_mode: str = "sync"             # [here] async is slower on 2 cores (benchmarks/throughput.py)
  act_backend: str = "numpy"            # [here] numpy mirror of MLP policies for acting (actors.py)
  normalize_rewards: bool = True        # [zoo] normalize: true
  reward_clip: float = 10.0             # [zoo] VecNormalize clip_reward
  terminal_on_life_loss: bool = False   # Atari training envs only (sampling/atari.py)
  fire_reset: bool = False              # Atari training envs: FIRE after each reset (sampling/atari.py)
  # Vine only. The trunk is num_envs × steps_per_env steps; then per iteration N states × K
  # branches × up to H steps. [paper] Table 2 used N = 125/625/625 states (Swimmer/Hopper/Walker,
  # "Q-values per batch" 500/2500/2500 over ≈4 per state) for 50K-1M steps per iteration; at a
  # 1M-step total budget that leaves a handful of iterations, so N is smaller here.
  vine_states: int = 32                 # [here] N, rollout-set states per iteration
  vine_actions: int = 4                 # [paper] Table 2: ≈4 rollouts per state (K); discrete: min(K, |A|),
                                        # all actions when K ≥ |A| ([paper] §5.2)
  vine_rollout_length: int = 100        # [paper] Table 2: H = 100 Hopper/Walker, 50 Swimmer
  vine_bootstrap: bool = True           # [here] add γ^len·V(s_end) where H or the time limit cuts a branch

  def __post_init__(self):
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
    _check(self.vector_mode in ("sync", "async"), f"vector_mode must be sync or async, got {self.vector_mode!r}")
    _check(self.act_backend in ("numpy", "tf"), f"act_backend must be numpy or tf, got {self.act_backend!r}")
    _check(self.reward_clip > 0, f"reward_clip must be > 0, got {self.reward_clip}")

  @property
  def batch_size(self) -> int:
    return self.num_envs * self.steps_per_env


@dataclasses.dataclass(frozen=True)
class RunConfig:
  total_steps: int = 1_000_000          # [paper]-scale budget used by the benchmarks
  seed: int = 0
  eval_episodes: int = 10
  checkpoint_every: int = 25            # iterations between checkpoints
  keep_checkpoints: int = 3
  deterministic_ops: bool = True        # tf.config.experimental.enable_op_determinism()
  export_dir: str = ""                  # SavedModel base (TF Serving layout); "" = no export
  export_every: int = 0                 # iterations between exports; 0 = only at the end
  intra_op_threads: int = 1             # [here] see runtime.py; 0 = TF default
  inter_op_threads: int = 1             # [here]

  def __post_init__(self):
    _check(self.total_steps > 0, f"total_steps must be > 0, got {self.total_steps}")
    _check(self.seed >= 0, f"seed must be >= 0, got {self.seed}")
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
