#!/bin/bash
# runs after the training process ends: merge, then evaluations (one at a time)
set -x
cd /tmp/run8
PY=/work/main/.venv/bin/python
G=/work/main/.venv/bin/gmsa-rag
while pgrep -f "train_default.py --device cpu" >/dev/null; do sleep 20; done
$PY scripts/merge_shards.py /tmp/out8/keft /tmp/v5 || exit 1
mkdir -p /tmp/s8/eval
for r in 4 8; do
  $G eval reconstruct --model /tmp/v5 --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $r --max-tokens 128 --device cpu --json > /tmp/s8/eval/recon_v5_r$r.json
done
for r in 4 8; do
  $G eval qa --model /tmp/v5 --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $r --device cpu --root /tmp/s8/idx --json > /tmp/s8/eval/qa_v5_r$r.json
done
for m in /tmp/v5 default; do
  n=$(basename $m)
  $G eval reconstruct --model $m --data /tmp/s8/docs_eval.jsonl --limit 48 --rate 4 --max-tokens 128 --device cpu --json > /tmp/s8/eval/docs_recon_${n}_r4.json
done
echo ALLDONE
