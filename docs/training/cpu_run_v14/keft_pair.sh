#!/bin/bash
# Prepared in session 20, not yet run: KEFT continuing the v14 candidate's answering adapter at the
# full peak learning rate (2e-4, what every KEFT run so far used) against a quarter of it
# (--keft-lr-scale 0.25), 150 steps each, one after the other on the idle machine (torchrun 2x1
# thread, global batch 8), then bundled QA (retrieved top-4, fp32) and the KEFT held-out log.
# Ship the better arm as v14 if it answers at least as well as v13 (F1 0.164 / 0.157): its stage
# 1 is the candidate's, which restates better than v13 (README.md here). ~50 min on a 2-core CPU.
# PRECISION: bf16 on a CPU with AMX or AVX-512 BF16, fp32 without.
set -x
cd /work/main
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag; TR=/work/main/.venv/bin/torchrun
L=${L:-/tmp/keftpair}; CAND=docs/training/cpu_run_v14/candidate
for scale in 1.0 0.25; do
  OMP_NUM_THREADS=1 $TR --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision ${PRECISION:-bf16} --data /tmp/data --out $L/k$scale --init $CAND --keep-answer-adapter --ae-steps 0 --keft-steps 150 --keft-batch-size 8 --keft-lr-scale $scale --eval-texts 0 --eval-qa 0 || exit 1
  $PY scripts/merge_shards.py $L/k$scale/keft $L/model$scale || exit 1
  for r in 4 8; do
    OMP_NUM_THREADS=1 $G eval qa --model $L/model$scale --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $r --device cpu --precision fp32 --root $L/idx$scale-$r --json > $L/qa_$scale-r$r.json &
  done
  wait
done
echo KEFTPAIRDONE
