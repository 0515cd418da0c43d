#!/bin/bash
# Alternates the session-start code (worktree of b07ce61) and the new learner, idle machine.
# /tmp/oldwt: git worktree add /tmp/oldwt b07ce61; /work/main was at 6161c02 (the new order, since reverted).
for i in 1 2 3; do
  for v in old new; do
    if [ $v = old ]; then d=/tmp/oldwt; else d=/work/main; fi
    (cd $d && PYTHONPATH=$d TF_CPP_MIN_LOG_LEVEL=2 /work/main/.venv/bin/python benchmarks/throughput.py \
      --presets hopper,halfcheetah --backends envpool --steps 60000 --raw_seconds 5 \
      --csv /tmp/speed/${v}_$i.csv > /tmp/speed/${v}_$i.log 2>&1)
  done
done
