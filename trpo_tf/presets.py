"""Named presets: an env id plus hyperparameters, each citing its source.

The paper's locomotion tasks (Swimmer, Hopper, Walker2d; §7) and HalfCheetah/Ant
on MuJoCo v5, with modern network sizes ([sb3]/[zoo], see config.py); the
paper's seven Atari games (§7) on ALE v5; and two small classic-control tasks
used by the tests. An env id given without a preset starts from its own preset
or from the settings its family shares (settings_for_env, resolve).
"""

from typing import Dict, Optional, Tuple

from trpo_tf.config import ConfigError, ExperimentConfig

# MuJoCo: [zoo] cg_max_steps 25; 16 × 128 = 2,048 steps per update ([here]: on Hopper-v5 at 1M
# steps, seeds 0-2, deterministic eval means were 2,274 with 10 CG iterations × 1,024 steps,
# 2,596 with 25 × 1,024 and 2,898 with 25 × 2,048; benchmarks/results/README.md).
# EnvPool samples them ([here] benchmarks/envpool_parity.py: random-policy returns and lengths agree on all
# five tasks, p > 0.2; 1M-step learning within seed noise on Hopper and HalfCheetah; 1.1-1.4x faster
# training, benchmarks/results/README.md). Vine presets and Atari stay on gymnasium (vine restores
# simulator states; Breakout learning parity on EnvPool is not shown yet).
MUJOCO_SETTINGS = dict(cg_iters=25, num_envs=16, steps_per_env=128, env_backend="envpool")
# [here] The Fisher on a 25% subsample of the batch ([paper] §6 allows ~10%) halves the update's cost (Hopper on
# EnvPool: 14,020 → 16,206 training steps/s, benchmarks/results/README.md). Over seeds 0-4 it ended Hopper
# (3,444 / 3,690 / 3,670 / 3,675 / 3,651, mean 3,626 against 3,607) and Swimmer (mean 347 against 340, worst seed
# 318 against 290) as well or better: those two presets use it. Not shared: it ended Walker2d lower (mean 4,169
# against 4,560), Ant lower (four of five seeds) and HalfCheetah lower when both ran on the same host (seeds 0-2:
# 5,122 / 4,758 / 4,454, mean 4,778, against 5,959 / 5,018 / 4,217, mean 5,065; AUC 2,346 against 2,574), and
# 10% ended Hopper lower still (3,395 / 3,255) (benchmarks/results/ablations/<task>.md: "fisher025",
# "fisher025h2", "fisher100", "fisher010").
FISHER_SUBSAMPLE = dict(fisher_subsample=0.25)
# [here] A MuJoCo task with no preset gets the shared settings with δ = 0.005, a cautious step for a task nobody
# has tuned. On InvertedDoublePendulum-v5, seeds 0-4 on one host: δ = 0.01 ended 9,358 / 8,438 / 5,715 / 3,997 /
# 5,661 (mean 6,634; policies that had learned to balance dropped the pendulum again), δ = 0.005 7,569 / 9,358 /
# 6,590 / 9,360 / 9,356 (mean 8,446); seeds 0-2 on another host: 8,171 against 9,359. On Reacher-v5 the two are
# within noise (−3.5 / −3.4 / −3.9 against −3.8 / −3.2 / −3.6) (benchmarks/results/ablations/<task>.md). The
# presets use [paper]'s δ = 0.01, except Walker2d's and Hopper's annealed 0.01 per action dimension
# (annealed_trust_region), Swimmer's δ growing from 0.005 to 0.015 and Ant's 0.05 (damping 0.8).
NO_PRESET_MUJOCO_SETTINGS = dict(MUJOCO_SETTINGS, max_kl=0.005)


def per_action_dim_trust_region(action_dims: int) -> dict:
  """δ = 0.01 and CG damping 0.1 per action dimension: the trust region sb3-contrib's TRPO takes with its
  defaults, since it averages the Gaussian KL over action dims ([here] benchmarks/peer_step_compare.py:
  the peer's update on Ant and Walker2d, reproduced exactly). `--kl_per_action_dim` computes the same step;
  the presets write the numbers out so a run's config.json shows the δ it trained with. Walker2d and Hopper
  take it annealed to a tenth over the run (annealed_trust_region; see their presets); Ant, reading 27 of its 105
  observed numbers, took it constant until its 256-256 value network learned better with δ 0.05 and the same
  damping 0.8 (see its preset).
  [here] Constant, it lowered HalfCheetah's mean (δ 0.06, damping 0.6: 4,836 / 5,732 / 5,020 / 4,273 / 4,402,
  mean 4,853, against 5,893 / 3,756 / 7,493 / 5,482 / 5,475, mean 5,620, on one host; "kl06d06") and left a
  Swimmer seed in its ~70 optimum (δ 0.02, damping 0.2: 71 / 357 / 360 / 359 / 303; "kl02d02"); on Hopper (δ 0.03,
  damping 0.3, constant) seeds 0-4 ended 3,608 / 3,696 / 3,567 / 3,766 / 3,548 on EnvPool but 3,641 / 1,738 / 3,556 /
  3,565 / 3,618 on gymnasium, one seed falling in 7 of 10 evaluation episodes ("kl03d03", "kl03d03gym"), and δ 0.02
  (damping 0.2) ended them lower than δ 0.01 (mean 3,467 against 3,545, "kl02d02"); on Ant (δ 0.08,
  damping 0.8) seeds 0-2 ended 3,137 / 2,985 / 2,980 against 2,742 / 2,695 / 2,507 on one host but 2,639 / 2,338 /
  2,473 on another, with falls in the evaluation, with all 105 observed numbers and log σ₀ = −2 ("kl08d08",
  "kl08d08h2"). Annealed (annealed_trust_region), it
  left a held-out HalfCheetah seed in a poor gait (seeds 0-9 mean 4,539, seed 7 at −176, against the preset's 5,107;
  "kl06anneal01"), two Swimmer seeds of five at ~180 ("kl02anneal01") and Ant no better on gymnasium ("kl08anneal01gym")."""
  return dict(max_kl=round(0.01 * action_dims, 6), cg_damping=round(0.1 * action_dims, 6))


def annealed_trust_region(action_dims: int) -> dict:
  """per_action_dim_trust_region with δ annealed linearly in training progress to a tenth of itself
  (max_kl_final_fraction): the large early steps learn fast, the small late ones keep a gait the policy has
  found ([here] Walker2d and Hopper: their preset comments)."""
  return dict(per_action_dim_trust_region(action_dims), max_kl_final_fraction=0.1)


PRESETS: Dict[str, dict] = {
    # [here] γ = 0.995: with γ = 0.99 a third to a half of Hopper seeds learn to dive forward (more
    # reward per step, shorter episodes) and end at 1,300-2,500; γ = 0.995 ended seeds 0-4 at 3,418-3,690
    # (benchmarks/results/ablations/hopper.md). Not shared: on HalfCheetah seed 1 fell on its back (1,711), and on
    # Walker2d it ended four of five seeds lower (mean 4,155; ablations/halfcheetah.md, walker2d.md).
    # δ 0.03 and damping 0.3 (per_action_dim_trust_region(3)) annealed to a tenth over the run on top (Intel host):
    # seeds 0-4 ended 3,497 / 3,605 / 3,573 / 3,740 / 3,674 (mean 3,618, worst 97%, AUC 2,873) against δ 0.01's
    # 3,456 / 3,711 / 3,622 / 3,340 / 3,598 (mean 3,545, AUC 2,595), and on gymnasium 3,545 / 3,654 / 3,696 / 3,681 /
    # 3,436 (mean 3,603, worst 95%, AUC 2,839), where the constant δ 0.03 left a seed falling (1,738); δ 0.01
    # annealed alone ended lower (mean 3,477). Held-out seeds 5-9 ended lower than δ 0.01's (3,402 / 3,656 / 3,279 /
    # 3,660 / 3,499 against 3,493 / 3,722 / 3,677 / 3,642 / 3,595), so over ten seeds the final returns are the same
    # within noise (3,558 against 3,586); the annealed δ learns faster (AUC 2,819 against 2,667) and is Walker2d's
    # rule ("preset", "constkl01", "kl03anneal01gym", "kl03d03gym", "anneal01"; results README "Fourteenth round").
    # Walker2d's hold (δ kept for the first half of the run) ended seeds 0-9 at 3,504 (worst 72%, AUC 2,559) against
    # fifteen runs' 3,580 (AUC 2,809): not adopted ("hold05amd"; results README "Thirty-second round").
    "hopper": dict(MUJOCO_SETTINGS, **FISHER_SUBSAMPLE, **annealed_trust_region(3), env_id="Hopper-v5", gamma=0.995),
    # [here] γ = 0.993: with γ = 0.99 one seed in five never learns to stay up (seeds 0-4: 5,048 / 4,838 / 5,247 /
    # 1,492 / 5,544, mean 4,434), with γ = 0.995 none fails but all learn slower (mean 4,155); γ = 0.993 ended at
    # 5,086 / 4,521 / 5,075 / 3,552 / 4,350, mean 4,517, worst 72% of the target ("gamma993"). log σ₀ = −0.25 on top:
    # over seeds 0-7 mean 4,677 against γ = 0.993's 4,488, worst seed 82% against 72%, AUC 2,145 against 2,083
    # (benchmarks/results/ablations/walker2d.md, "logstd025"); log σ₀ = −0.5 made seed 1 collapse (1,714).
    # δ 0.06 and damping 0.6 (per_action_dim_trust_region(6)) on top: seeds 0-4 ended 5,297 / 4,938 / 5,383 / 5,135 /
    # 4,915 (mean 5,134, worst 100%, AUC 2,942) against δ 0.01's 4,328 / 4,775 / 4,561 / 4,024 / 5,114 (mean 4,560,
    # worst 82%, AUC 2,060); on a second host 5,113 / 4,464 / 4,736 / 4,560 / 4,150 (mean 4,605, worst 85%, AUC 2,649)
    # against δ 0.01's 5,063 / 4,842 / 2,969 / 2,803 / 5,397 (mean 4,215, worst 57%, AUC 1,977), and on gymnasium
    # there 6,404 / 5,351 / 4,774 / 4,561 / 4,648 (mean 5,147, worst 93%) (ablations/walker2d.md, "kl06d06",
    # "kl06d06h2", "kl01d01h2", "kl06d06gym"). Held-out seeds 5-9 on the second host did not repeat the worst-seed
    # gain: 2,448 / 5,498 / 5,669 / 2,665 / 4,544 against δ 0.01's 4,373 / 4,306 / 3,450 / 3,394 / 4,679; over seeds
    # 0-9 δ 0.06 keeps the higher mean (4,385 against 4,128) and AUC (2,490 against 1,985), two seeds under 60% of the
    # target against one ("preset", "kl01d01h2"); δ 0.09 ended seeds 0-4 as δ 0.06 did (mean 4,603, "kl09d09").
    # On gymnasium seeds 5-9 it failed too (215 / 5,696 / 2,202 / 5,269 / 4,360): the weak seeds' deterministic
    # policies had walked at ~4,000-4,500 40 updates before the end and lost it in the last updates.
    # δ annealed linearly to a tenth over the run on top: seeds 0-9 ended 5,290 / 5,598 / 3,770 / 5,132 / 4,972 /
    # 4,552 / 4,977 / 4,358 / 4,844 / 4,577 (mean 4,807, worst 77%) against the constant δ's 4,385 (worst 50%), the
    # failing seeds 5 and 8 at 4,552 and 4,844; on gymnasium 5,551 / 5,495 / 5,110 / 4,495 / 6,081 / 4,037 / 3,798 /
    # 4,306 / 4,680 / 4,545 (mean 4,810, worst 78%) against 4,348 (worst 4%) ("anneal01", "anneal01gym",
    # "constkl06", "kl06d06gym"; results README "Thirteenth round"). A batch of 4,096 (16 × 256)
    # also left no weak seed in twenty runs but a lower mean (EnvPool 4,519, gymnasium 4,310; "batch4096",
    # "b4096gym"). On the AVX-512 AMD host this preset ended forty EnvPool runs at 4,379 (89%, none under 66%):
    # seeds 0-19 4,274, the same seeds with TF's oneDNN kernels off (other round-off) 4,483; its ten-seed means there
    # span 4,110-4,684 by round-off alone, so the Intel host's 4,807 (seeds 0-4 chose the preset; held-out 5-9 4,662)
    # shows at most a small host effect, and the target is met by a favourable draw only (results README "Thirtieth
    # round"; over every run of this config on both hosts 4,464, 91%: benchmarks/preset_pool.py).
    # There δ 0.09 annealed ended twenty runs at 4,531 against the preset's 4,397 on the same seeds (no difference),
    # δ 0.12 (seeds 0-4) 3,950, γ 0.99 → 0.998 over the run (gamma_final) 4,606 / gymnasium 4,043 and the growing
    # batch of Ant (seeds 0-4) 4,726 with a seed falling (1,765): none adopted ("presetamd", "nodnnamd", "kl09amd",
    # "kl09nodnnamd", "kl12amd", "g99to998amd", "grow256amd" and their "gym" rows; results README "Twenty-ninth round").
    # δ annealed to 0.3 of itself instead of a tenth learns a little faster (training return +135 / +153 / +219 in the
    # last three fifths of the run) and ended twenty oneDNN-on runs at 4,701 but ten oneDNN-off ones at 4,097
    # (deterministic policies falling in 8 and 10 of 10 episodes, one run at 42%): thirty runs 4,500 against the
    # preset's forty 4,379 (p = 0.48). The growing batch over fifteen runs: 4,538, a run at 36% ("anneal03amd",
    # "anneal03nodnnamd", "grow256amd"; results README "Thirty-first round"). Neither adopted, nor Ant's 256-256 value
    # network (ten runs 4,346; "vf256amd").
    # δ held at 0.06 for the first half of the run, then annealed to a tenth over the second (max_kl_hold_fraction):
    # the runs that stop short are slow, not stuck (learning_pace.md), and the hold learns faster mid-run (training
    # return at 40% / 60% / 80% 2,307 / 3,161 / 3,606 against 2,134 / 2,936 / 3,312) while the last updates stay as
    # small as before. Same AMD host, EnvPool: seeds 0-14 with oneDNN on 4,916 (seeds 0-9 5,093, then 10-14 4,563),
    # seeds 0-19 with it off 4,694: 35 runs 4,789 (98%, worst 64%, none under 60%) against the preset's forty 4,379
    # (p = 0.006; the 25 fresh draws after the first ten 4,668, p = 0.08); gymnasium seeds 0-4 4,733 against
    # ten runs' 4,588 ("hold05amd", "hold05nodnnamd", "hold05amdgym"; results README "Thirty-second round").
    # GAE λ 0.9 → 0.98 over the run (gae_lambda_final) on top of the hold learned slower mid-run (training return
    # at 60% 2,863 against 3,161) and ended seeds 0-4 with oneDNN on and off at 4,288 (ten runs, worst 67%) against
    # the hold's 4,789 (p = 0.04), though alone, on the former preset, it had gained as much as the hold
    # ("lam098hold05amd", "lam098hold05nodnnamd", "lam09to098amd@be75e991"; results README "Thirty-third round").
    # Holding δ for 0.7 of the run instead of half ended seeds 0-9 with oneDNN on and off at 5,127 / 4,785 (twenty
    # runs 4,956, worst 71%) against the hold's 5,093 / 4,777 on the same seeds (4,935; p = 0.92): the hold's length
    # between half and 0.7 of the run does not matter ("hold07amd", "hold07nodnnamd"; "Thirty-third round").
    # Given 2M steps, seeds 0-4 ended 6,531 / 5,893 / 6,662 / 5,646 / 5,389 (6,024), but the three weakest 1M runs,
    # trained on from their identical 500k-step state, 4,081 / 4,381 / 3,844: a run that falls behind in its first
    # 500k steps does not close the gap ("hold2m", "hold2mnodnn"; results README "Thirty-fourth round").
    # On the Intel Xeon host the hold gained nothing: seeds 0-19 4,512 (92%, seed 8 at 58%) against the former
    # preset's twenty runs 4,637 (p = 0.49); over both hosts, each against its own former-preset runs, +224
    # (p = 0.06) ("holdintel", "formerintel", "anneal01"; results README "Thirty-fifth round").
    "walker2d": dict(MUJOCO_SETTINGS, **annealed_trust_region(6), env_id="Walker2d-v5", gamma=0.993,
                     log_std_init=-0.25, max_kl_hold_fraction=0.5),
    # [here] log σ starts at −0.5 (σ₀ ≈ 0.61): with σ₀ = 1 one seed in five ran on its back (seeds 0-4: 4,135 / 4,154
    # / 4,475 / 3,927 / 1,813, mean 3,701); with log σ₀ = −0.5 all five learned fast, 4,494 / 5,757 / 6,290 / 5,796 /
    # 5,924, mean 5,652 (benchmarks/results/ablations/halfcheetah.md, "logstd05"). Not shared: on Walker2d (γ = 0.99)
    # it made seed 1 collapse (1,714), and on Hopper with γ = 0.99 seeds 0-2 averaged 1,656 (against 2,510).
    "halfcheetah": dict(MUJOCO_SETTINGS, env_id="HalfCheetah-v5", log_std_init=-0.5),
    # [here] The networks read only the first 27 of Ant-v5's 105 observed numbers (--obs_dims=0:27: positions and
    # velocities, Ant-v4's observation; the 78 contact forces are zeroed after the normaliser), with δ 0.08 (0.05 since
    # the 256-256 value network, below), damping 0.8 (per_action_dim_trust_region(8)) and log σ₀ = −0.5. With sb3's
    # trust region and σ₀ = 1 the contact forces stop learning (gymnasium seed 0: 700; with them clipped to ±3:
    # 1,188), while gymnasium's Ant-v5 without them (include_cfrc_ext_in_observation=False, the same reward) learns
    # (4,397 / 2,740), and so does the full
    # observation read through --obs_dims=0:27 ("v5peereqgym", "v5peereqclip3gym", "nocfrcpeereqgym",
    # "obs27peereq", "obs27kl08s1"). log σ₀ = −0.5 then learns from the first 100k steps (σ₀ = 1 spends 300k near 0):
    # seeds 0-4 4,712 / 2,920 / 3,570 / 5,202 / 4,391 (mean 4,159) against the former preset's (log σ₀ = −2, δ 0.01,
    # all 105 numbers) 2,742 / 2,695 / 2,507 / 2,695 / 2,787 (mean 2,685); on gymnasium 4,765 / 4,279 / 5,239 / 4,851 /
    # 4,472 (mean 4,721) against 2,664; held-out seeds 5-9 3,356 / 2,940 / 4,592 / 4,477 / 3,926 (mean 3,858) against
    # 2,932 on one host, with more evaluation episodes ending in a fall (7 of 100 against 0 of 50) ("obs27kl08ls05",
    # "obs27kl08ls05gym", "logstd20", "allobs"; results README "Sixteenth round"). Earlier: with σ = 1 and δ 0.01
    # random actions flip the ant and TRPO stays there (138 / 133 / 203); log σ₀ −1 to −2.5 with δ 0.01 ended
    # 2,382-2,692; δ 0.08 → 0.008 annealed gained on EnvPool but not on gymnasium ("logstd10" ... "logstd25",
    # "kl08anneal01", "kl08anneal01gym"), and so it did on top of this preset (EnvPool seeds 0-9 4,621, gymnasium
    # seeds 0-4 4,060 against 4,721; "obs27ls05anneal01", "obs27ls05anneal01gym"); γ = 0.995 on top removed most
    # failed evaluation episodes on EnvPool but learned slower gaits (EnvPool 4,156, gymnasium 3,651 with a seed at
    # 2,242; "g995", "g995gym"; results README "Seventeenth round"). The value network is 256-256 (the policy stays
    # 64-64): EnvPool seeds 0-9 4,505 / 4,073 / 4,410 / 5,275 / 4,949 / 4,546 / 4,147 / 3,641 / 4,826 / 3,937 (mean
    # 4,431, worst 74%, AUC 2,097) against the 64-64 value network's 4,009 (worst 60%, AUC 1,897); on gymnasium seeds
    # 0-4 4,864 / 3,057 / 5,241 / 4,089 / 5,148 (mean 4,480, worst 62%) against 4,721, whose seeds 5-9 then ended
    # 4,355 / 2,859 / 3,114 / 5,024 / 4,747 (ten seeds 4,371, worst 58%); over the 15 runs of each, 50 evaluation
    # episodes per run: 4,417 against 4,281. About 6% slower idle on EnvPool (2,632 against 2,790 env steps/s)
    # ("vf256", "vf256gym", "obs27kl08ls05gym"; results README "Eighteenth round"). With the 256-256 value network
    # δ 0.05 (damping 0.8 kept) ended EnvPool seeds 0-4 at 4,925 / 4,862 / 4,195 / 4,663 / 4,822 (mean 4,694, worst
    # 86%) and gymnasium's at 4,711 / 4,710 / 4,768 / 4,575 / 4,808 (mean 4,714, worst 93%) against δ 0.08's
    # 4,642 (worst 83%) and 4,480 (worst 62%); held-out EnvPool seeds 5-9 4,604 / 4,846 / 3,479 / 3,767 / 5,292
    # (ten seeds 4,546, worst 71%, against 4,431 and 74%); it learns slower early (AUC 1,814 against 2,036). δ 0.16
    # ended seeds 0-1 at 3,463 / 3,089 and δ 0.08 annealed to a tenth seeds 0-3 at 4,341 on average ("kl05",
    # "kl05gym", "kl16", "vf256anneal01"; results README "Nineteenth round"). The batch grows from 16 × 128 to
    # 16 × 256 over the run (steps_per_env_final=256; 340 updates per 1M steps against 488, the same work per step).
    # Evaluated on the pinned MuJoCo 3.17, the physics EnvPool trains on (results README "Twenty-fourth round"): EnvPool
    # seeds 0-9 4,360 / 5,102 / 5,444 / 5,287 / 4,738 / 4,733 / 4,233 / 5,092 / 4,500 / 4,184 (seeds 0-4 4,986, worst
    # 89%; ten 4,767, worst 85%) against δ 0.05 constant-batch's 4,553 / 4,902 / 3,930 / 4,728 / 5,128 / 4,676 /
    # 4,465 / 3,498 / 3,910 / 5,264 (seeds 0-4 4,648; ten 4,505, worst 71%); gymnasium seeds 0-4 on MuJoCo 3.17
    # 4,805 / 4,545 / 4,312 / 5,050 / 4,469 (mean 4,636, worst 88%) ("b256", "kl05", "b256gym317"; results README
    # "Twenty-third round" and "Twenty-fourth round"). On MuJoCo 4.0's Ant, which steps differently, gymnasium's
    # ten seeds ended 3,663 ("b256gym"). Growing to 16 x 384 (270 updates) ended seed 0 at 3,376 / 3,148 (EnvPool /
    # gymnasium) against 4,360 / 4,805 ("b384", "b384gym"; results README "Twenty-sixth round"). On the AVX-512 AMD
    # host seeds 0-9 ended 4,013 / 5,083 / 3,288 / 3,885 / 3,514 / 5,226 / 4,137 / 3,785 / 5,007 / 4,268 (4,220, 86%,
    # worst 67%; "presetamd", results README "Twenty-ninth round"), seeds 0-4 again with TF's oneDNN kernels off
    # (other round-off) 4,899 / 4,485 / 5,020 / 4,216 / 2,853 (4,295; seed 4 on a slow gait, 58%; "nodnnamd"): over
    # all 25 EnvPool runs of this config 4,454 (91%), a five-seed draw meets the target ~6% of the time
    # (benchmarks/preset_pool.py; results README "Thirtieth round").
    # δ 0.08 held for the first half of the run, then moving to 0.05 (--max_kl=0.08 --max_kl_final_fraction=0.625
    # --max_kl_hold_fraction=0.5), learned a little faster (training return at 40% / 80% 904 / 2,351 against 828 /
    # 2,214) but ended seeds 0-5 at 4,185 / 4,950 / 4,077 / 2,618 / 4,307 / 4,153 (4,048, a seed at 53%) against the
    # preset's fifteen runs on this host, 4,245 (p = 0.58): not adopted ("kl08hold05to05amd"; "Thirty-third round").
    # Given 2M steps, seeds 0-4 ended 4,943 / 5,788 / 5,898 / 4,931 / 5,694 (5,451, every seed above 4,900; "preset2m"),
    # gymnasium seeds 0-1 5,620 / 5,592 and oneDNN-off seeds 4-5 3,857 / 4,720 (nine runs 5,227; "preset2mgym",
    # "preset2mnodnn"): the 1M budget is mostly what Ant misses by. A batch growing only to 16 x 192
    # (--steps_per_env_final=192) ended seeds 0-3 at 4,297 / 5,045 / 5,437 / 4,576 (4,839) against 4,067 on the same
    # seeds, but seeds 4-9 at 4,972 / 4,902 / 3,022 / 3,856 / 3,908 / 2,758 and oneDNN-off seeds 0-3 at 3,158 / 4,328
    # / 4,287 / 5,405: fourteen runs 4,282 against the preset's fifteen on this host, 4,245 (p = 0.90), a seed at
    # 56%; it learned a little faster mid-run and ended the same, as δ 0.08 held did: not adopted ("b192amd",
    # "b192nodnnamd"; results README "Thirty-fourth round").
    # The value fit with 10 epochs instead of 20, or with 10 epochs on this batch and the one before
    # (--value_history=2), ended seeds 0-7 at 4,505 and 4,276 against the preset's 4,874 on the same seeds (Intel
    # host): the older batch's targets lag and the baseline gets worse, not better ("vep10", "vh2ep10"; results
    # README "Thirty-fifth round").
    "ant": dict(MUJOCO_SETTINGS, env_id="Ant-v5", max_kl=0.05, cg_damping=0.8, log_std_init=-0.5,
                obs_dims="0:27", value_hidden=(256, 256), steps_per_env_final=256),
    # [zoo] Swimmer needs a long horizon: gamma 0.9999 (the preset's γ until the twenty-seventh round, below).
    # [here] GAE λ = 1: with λ = 0.95 seed 3 of five stayed in
    # the ~120 optimum (357 / 356 / 354 / 122 / 353, mean 308); λ = 0.98 ended 359 / 357 / 352 / 350 / 318 (mean 347,
    # worst 88% of the target, Fisher on 25%), λ = 0.99 355 / 332 (seeds 0, 4), λ = 1 354 / 357 / 362 / 355 / 360
    # (mean 358, worst 98%; AUC 288 against 306: slower at first) (benchmarks/results/ablations/swimmer.md,
    # "lam098", "fisher025", "lam099", "lam1"); δ = 0.02 on top changed nothing (mean 358, "lam1kl02").
    # δ grows linearly from 0.005 to 0.03 over the run: small early steps keep seeds out of the ~70-190 early optima,
    # larger late ones keep the late climb. On one host (Intel) seeds 0-9 ended 356 / 357 / 351 / 352 / 346 / 360 /
    # 354 / 349 / 358 / 360 (mean 354, worst 346 = 96% of the target) against the constant δ 0.01's 363 / 358 / 354 /
    # 296 / 357 / 364 / 359 / 355 / 357 / 361 (mean 352, worst 296 = 82%), and on gymnasium seeds 0-4 358 / 346 / 358 /
    # 361 / 356 (mean 356, worst 96%) against the constant δ's 360 / 341 / 357 / 358 / 358 (another host): the same
    # mean, no weak seed ("kl005grow6", "kl005grow6gym", "constkl01"; results README "Fifteenth round"). δ 0.01 → 0.03
    # left a seed at 151, δ annealed to a tenth a held-out seed at 131, CG damping 0.01 and 1,024-step batches seeds
    # at 194 and 70 ("klgrow3", "anneal01", "damp001", "batch1024"). On top of the growing δ, 40 value epochs ended
    # EnvPool seeds 0-4 at 357-361 (mean 359) but left a gymnasium seed in the early optimum (129), and δ growing to
    # 0.05 ended lower (352 / 351 / 351) ("kl005grow6vep40", "kl005grow6vep40gym", "kl005grow10"; results README
    # "Seventeenth round"). Log σ₀ = 0.5 (σ 1.65 at first, the actions clipped to ±1): gymnasium's held-out seed 5
    # stayed in the early optimum with log σ₀ = 0 (153; the batch shrinking to 1,024 left it at 149, an entropy bonus of
    # 0.01 at 150) and left it with log σ₀ 0.5 (355). Seeds 0-4 ended 358 / 363 / 355 / 358 / 351 on EnvPool (mean
    # 357 against 352) and 358 / 362 / 357 / 359 / 357 on gymnasium (mean 359 against 356); see results README
    # "Twenty-fifth round" for held-out seeds ("ls05", "ls05gym", "kl005grow6gym", "b64gym", "ent01gym"). On top of
    # it a 128-128 policy ended ten seeds per backend at 358.4 / 358.5 against 358.1 / 357.6 for ~1.5x the train time,
    # and 40 value epochs, the batch shrinking to 1,024 and the whole-batch Fisher no higher ("ls05pi128", "ls05vep40",
    # "ls05b64", "ls05fish100"; results README "Twenty-sixth round").
    # γ = 0.999 and δ growing from 0.005 to 0.015 (not 0.03): with γ 0.9999 every seed's gait was still improving at
    # 1M steps (mean training return 336 at 500k, 355 at 1M); γ 0.999 learns far faster (359 at 500k) and ends higher,
    # and the smaller late δ keeps σ from collapsing before a seed's gait is found. EnvPool seeds 0-9 ended 362.6 /
    # 361.1 / 363.3 / 364.4 / 360.1 / 364.1 / 363.8 / 361.8 / 363.3 / 364.2 (seeds 0-4 362.3, ten 362.9, worst 100.0%),
    # gymnasium seeds 0-4 364.0 / 364.5 / 362.8 / 363.8 / 364.0 (mean 363.8), against γ 0.9999 with δ to 0.03's 354.9 /
    # 357.5 on the same host (AMD EPYC; 357.2 / 358.6 on the Intel one); over EnvPool seeds 0-19 and gymnasium 0-14 34 of 35
    # runs ended 359.0-364.5 and EnvPool seed 11 stayed in the early ~130 optimum (148.4), against none of the previous
    # preset's 26 (results README "Twenty-seventh round"). γ 0.999 with δ still growing to 0.03 left three of twenty
    # seeds in a ~325 gait (ten seeds 358.7 / 355.4), γ 0.9995 a seed at 39, γ 0.998 one at 143, and an entropy bonus
    # of 0.005 in place of the smaller δ ended ten EnvPool seeds at 362.1 and gymnasium's 0-4 at 360.1 ("g999kl3",
    # "g999kl3gym", "g999", "g999gym", "g9995", "g998", "g999e005", "g999e005gym").
    "swimmer": dict(MUJOCO_SETTINGS, **FISHER_SUBSAMPLE, env_id="Swimmer-v5", gamma=0.999, gae_lambda=1.0,
                    max_kl=0.005, max_kl_final_fraction=3.0, log_std_init=0.5),
    # Vine sampling (paper §5.2) on the paper's locomotion tasks: K ≈ 4 branches per state and
    # H = 50 (Swimmer) / 100 (Hopper, Walker2d) steps per branch, as in [paper] Table 2; the rollout
    # set is scaled down from the paper's 125/625 states to fit a 1M-step budget ([here], see
    # benchmarks/vine.py): trunk 16 × 32 = 512 steps + 32 states × 4 × ≤ H branch steps per update.
    **{f"{name}_vine": dict(env_id=env_id, sampler="vine", cg_iters=25, vine_actions=4, vine_rollout_length=horizon,
                            vine_states=32, num_envs=16, steps_per_env=32, **extra)
       for name, env_id, horizon, extra in (("swimmer", "Swimmer-v5", 50, dict(gamma=0.9999)),
                                            ("hopper", "Hopper-v5", 100, {}),
                                            ("walker2d", "Walker2d-v5", 100, {}))},
    "cartpole_vine": dict(env_id="CartPole-v1", sampler="vine", total_steps=100_000, num_envs=8,
                          steps_per_env=32, vine_states=32, vine_rollout_length=50,
                          normalize_rewards=False, value_epochs=10),
    # Small tasks for tests and quick checks ([here]).
    "cartpole": dict(env_id="CartPole-v1", total_steps=100_000, num_envs=8, steps_per_env=128,
                     normalize_rewards=False, value_epochs=10),
    "pendulum": dict(env_id="Pendulum-v1", total_steps=300_000, num_envs=8, steps_per_env=256,
                     gae_lambda=0.95, gamma=0.9),
}


# The paper's Atari games (§7, Table 1): Beam Rider, Breakout, Enduro, Pong, Q*bert, Seaquest,
# Space Invaders, on ALE v5 with the preprocessing of sampling/atari.py.
ATARI_GAMES = {"beamrider": "BeamRider", "breakout": "Breakout", "enduro": "Enduro", "pong": "Pong",
               "qbert": "Qbert", "seaquest": "Seaquest", "spaceinvaders": "SpaceInvaders"}
ATARI_SETTINGS = dict(
    cnn="paper",               # [paper] §7: 2 conv layers × 16 channels, stride 2, 20 hidden units
    max_kl=0.01,               # [paper] §6/appendix: δ = 0.01 for Atari as for locomotion
    cg_iters=10,               # [paper] appendix C: 10 CG iterations
    fisher_subsample=0.1,      # [paper] §6: the Fisher on ~10% of the batch
    gamma=0.99, gae_lambda=0.95,  # [gae] / [zoo] Atari defaults
    num_envs=8, steps_per_env=128,  # [here] 1,024 steps per update (the paper used ~100K); with the
                                    # entropy bonus below Breakout learned on CPU (benchmarks/results)
    entropy_coef=0.01,         # [here] without it the policy's entropy collapsed before learning (runs 1-2)
    value_epochs=3, value_minibatch=256, value_learning_rate=3e-4,  # [here] CNN value fit, 12 Adam steps
    act_backend="tf",          # CNN policies act through TF (the numpy mirror is MLP-only)
    inter_op_threads=2,        # [here] lets acting run beside the background CNN value fit (+40% steps/s)
    total_steps=10_000_000, eval_episodes=3, checkpoint_every=50,
)
PRESETS.update({name: dict(ATARI_SETTINGS, env_id=f"ALE/{game}-v5") for name, game in ATARI_GAMES.items()})
# Vine on Atari: every action is a branch ([paper] §5.2: "in small, finite action spaces, we can
# generate a rollout for every possible action"); the rollout set and branch length are [here].
ATARI_VINE_SETTINGS = dict(sampler="vine", vine_actions=18, vine_states=16, vine_rollout_length=50,
                           num_envs=8, steps_per_env=64)
PRESETS.update({f"{name}_vine": dict(ATARI_SETTINGS, env_id=f"ALE/{game}-v5", **ATARI_VINE_SETTINGS)
                for name, game in ATARI_GAMES.items()})


def settings_for_env(env_id: str) -> Tuple[str, dict]:
  """The settings a run of `env_id` starts from when no preset is named, and what they are.

  The env's own single-path preset if it has one; for the other gymnasium MuJoCo ids the settings the
  MuJoCo presets share with δ = 0.005 (NO_PRESET_MUJOCO_SETTINGS; ids EnvPool lacks, e.g. older
  versions, sample on gymnasium); for other ALE ids the shared Atari settings; otherwise the library
  defaults. So `--env_id=Reacher-v5` never trains with another task's tuned values.
  """
  from trpo_tf.sampling import atari, envpool_env
  own = [name for name, settings in PRESETS.items()
         if settings.get("env_id") == env_id and settings.get("sampler", "single_path") == "single_path"]
  if own:
    return f"the {own[0]} preset", dict(PRESETS[own[0]])
  if atari.is_atari(env_id):
    return "the shared Atari settings", dict(ATARI_SETTINGS, env_id=env_id)
  if env_id in envpool_env.MUJOCO_V5:
    return "the shared MuJoCo settings (δ = 0.005)", dict(NO_PRESET_MUJOCO_SETTINGS, env_id=env_id)
  if _is_gymnasium_mujoco(env_id):
    return "the shared MuJoCo settings (δ = 0.005) on gymnasium", dict(NO_PRESET_MUJOCO_SETTINGS, env_id=env_id,
                                                           env_backend="gymnasium")
  return "the library defaults", dict(env_id=env_id)


def _is_gymnasium_mujoco(env_id: str) -> bool:
  import gymnasium as gym
  spec = gym.envs.registry.get(env_id)
  return spec is not None and isinstance(spec.entry_point, str) and spec.entry_point.startswith("gymnasium.envs.mujoco")


def resolve(name: Optional[str], env_id: Optional[str], default: str) -> Tuple[ExperimentConfig, str]:
  """A launcher's starting config and where it came from: preset `name` when one is named; else, given
  an env id, settings_for_env(env_id); else the `default` preset."""
  if name is None and env_id is not None:
    origin, settings = settings_for_env(env_id)
    return ExperimentConfig().override(**settings), f"{origin}, chosen for {env_id} (no preset named)"
  return preset(name or default), f"the {(name or default).lower()} preset"


def preset(name: str) -> ExperimentConfig:
  """The ExperimentConfig of preset `name` (case-insensitive)."""
  key = name.lower()
  if key not in PRESETS:
    raise ConfigError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
  return ExperimentConfig().override(**PRESETS[key])
