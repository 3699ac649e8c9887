#!/bin/bash
# Prepared in session 19, run in session 20 (results: ../../cpu_run_v14/README.md): the decoder adapters' scope as a paired continuation from
# the shipped default. The continuation curve has flattened (BLEU@4x +1-2 a session; 8x near
# 24-26 for five sessions), and the decoder adapter is the part the 135M decoder reads with: q/k/v
# LoRA r=32 (the recipe) against the same widened to every linear layer (o/gate/up/down get a
# fresh LoRA, B = 0, so step 0 is the same model). Two arms of 100 stage-1 steps each at the
# recipe's 0.25x peak, one fresh documentation sample (seed 24), one process of two threads, one
# after the other on the idle machine. Compare held-out loss at steps 50 / 100 (log.jsonl) and
# seconds per step, then greedy reconstruction of the 64 bundled held-out texts at both rates.
# PRECISION: bf16 on a CPU with AMX or AVX-512 BF16, fp32 without (Trainer warns).
set -x
cd /work/main
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag
export OMP_NUM_THREADS=2
L=${L:-/tmp/scope}
$PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl $L 6000 24 || exit 1
$G data tokenize $L/mix.jsonl --out $L/mix.tok || exit 1
$PY docs/training/cpu_run_v10/lr_pair.py /tmp/data $L/mix.tok $L/run_qkv 100 0.25 --precision ${PRECISION:-bf16} || exit 1
$PY docs/training/cpu_run_v10/lr_pair.py /tmp/data $L/mix.tok $L/run_all 100 0.25 --precision ${PRECISION:-bf16} --decoder-targets all-linear || exit 1
for arm in qkv all; do
  for rate in 8 4; do
    $G eval reconstruct --model $L/run_$arm/model --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $rate --max-tokens 128 --device cpu --json > $L/recon_${arm}_r$rate.json
  done
done
echo SCOPEDONE
