#!/bin/bash
set -x
cd /work/main
PY=/work/main/.venv/bin/python
export OMP_NUM_THREADS=2
$PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl /tmp/s15/lr 6000 16 || exit 1
.venv/bin/gmsa-rag data tokenize /tmp/s15/lr/mix.jsonl --out /tmp/s15/lr/mix.tok || exit 1
for s in 1.0 0.5; do
  $PY docs/training/cpu_run_v10/lr_pair.py /tmp/data /tmp/s15/lr/mix.tok /tmp/s15/lr/run_$s 200 $s || exit 1
done
echo LRDONE
