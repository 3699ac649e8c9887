#!/bin/bash
# session 16: a paired continuation from the shipped v11, peak learning rate 0.5x against 0.25x
# (200 stage-1 steps each, a fresh documentation sample, seed 18), one after the other on the
# idle machine, then greedy reconstruction of the 64 bundled held-out texts
set -x
cd /work/main
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag
export OMP_NUM_THREADS=2
L=/tmp/s16/lr
$PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl $L 6000 18 || exit 1
$G data tokenize $L/mix.jsonl --out $L/mix.tok || exit 1
for s in 0.5 0.25; do
  $PY docs/training/cpu_run_v10/lr_pair.py /tmp/data $L/mix.tok $L/run_$s 200 $s || exit 1
  for r in 4 8; do
    $G eval reconstruct --model $L/run_$s/model --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $r --max-tokens 128 --device cpu --json > $L/recon_lr${s}_r$r.json
  done
done
echo LRDONE
