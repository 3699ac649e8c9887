#!/bin/bash
# Prepared in session 18, not yet run: the prompts' system turn as a paired continuation from
# the shipped default. Two arms of 100 stage-1 steps each at the recipe's 0.25x peak, one fresh
# documentation sample (seed 22), one process of two threads, one after the other on the idle
# machine: the chat template's default system turn (the recipe) against an empty one
# (GMSAConfig.system_prompt = "", 16 of the restating prompt's 36 positions fewer). Compare
# held-out loss and seconds per step in the logs, then greedy reconstruction of the 64 bundled
# held-out texts at both rates (each arm's model restates with the prompt it trained with: the
# system_prompt is in its config.json). PRECISION: bf16 on a CPU with AMX, fp32 without.
set -x
cd /work/main
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag
export OMP_NUM_THREADS=2
L=${L:-/tmp/sp}
$PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl $L 6000 22 || exit 1
$G data tokenize $L/mix.jsonl --out $L/mix.tok || exit 1
$PY docs/training/cpu_run_v10/lr_pair.py /tmp/data $L/mix.tok $L/run_default 100 0.25 --precision ${PRECISION:-bf16} || exit 1
$PY docs/training/cpu_run_v10/lr_pair.py /tmp/data $L/mix.tok $L/run_empty 100 0.25 --precision ${PRECISION:-bf16} --system-prompt "" || exit 1
for arm in default empty; do
  for rate in 8 4; do
    $G eval reconstruct --model $L/run_$arm/model --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $rate --max-tokens 128 --device cpu --json > $L/recon_${arm}_r$rate.json
  done
done
echo SPDONE
