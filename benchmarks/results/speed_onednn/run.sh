#!/bin/bash
# TensorFlow's oneDNN kernels on (the default) and off, alternated, one process each, on an idle machine
# (thirtieth round of issue 13, results README "oneDNN on or off"). fvp.py writes results/fvp.csv, restored after.
set -e
cd "$(git rev-parse --show-toplevel)"
OUT=benchmarks/results/speed_onednn
for i in 1 2; do for v in 1 0; do
  name=$([ $v = 1 ] && echo on || echo off)
  TF_ENABLE_ONEDNN_OPTS=$v .venv/bin/python benchmarks/fvp.py --presets hopper,walker2d,ant --repeats 20
  cp benchmarks/results/fvp.csv $OUT/fvp_onednn_${name}_$i.csv
  git checkout benchmarks/results/fvp.csv
done; done
for i in 1 2; do for v in 1 0; do
  name=$([ $v = 1 ] && echo on || echo off)
  TF_ENABLE_ONEDNN_OPTS=$v .venv/bin/python benchmarks/throughput.py --presets hopper,walker2d --backends envpool \
      --steps 100000 --raw_seconds 5 --rounds 5 --csv $OUT/tp_onednn_${name}_$i.csv
done; done
