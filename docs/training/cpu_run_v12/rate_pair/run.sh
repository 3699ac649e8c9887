#!/bin/bash
# session 17, after v12 shipped: rates {4, 8} against {4, 8, 8} (rate 8 twice as often), 100
# stage-1 steps each from v12 at its 0.25x peak, one fresh documentation sample (seed 20), one
# process of two threads, one run after the other on the idle machine, then greedy
# reconstruction of the 64 bundled held-out texts at both rates (run with a copy of lr_pair.py
# fixed at 0.25x with a RATES argument, since folded into lr_pair.py: the same configuration)
set -x
cd /work/main
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag
export OMP_NUM_THREADS=2
L=/tmp/s17/rp
$PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl $L 6000 20 || exit 1
$G data tokenize $L/mix.jsonl --out $L/mix.tok || exit 1
for r in 4,8 4,8,8; do
  $PY docs/training/cpu_run_v10/lr_pair.py /tmp/data $L/mix.tok $L/run_$r 100 0.25 $r || exit 1
done
for r in 4,8 4,8,8; do
  for rate in 8 4; do
    $G eval reconstruct --model $L/run_$r/model --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $rate --max-tokens 128 --device cpu --json > $L/recon_rates${r}_r$rate.json
  done
done
echo RPDONE
