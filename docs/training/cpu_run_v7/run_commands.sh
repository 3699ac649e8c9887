#!/bin/bash
# session 11, as executed (the session's /tmp folders; /tmp/run11 a copy of the tree; the
# documentation cache ~/.cache/gmsa_rag/debian-docs filled by two half-builds of the 222 sources)
set -x
cd /tmp/run11
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag; TR=/work/main/.venv/bin/torchrun
export PYTHONPATH=/tmp/run11
OMP_NUM_THREADS=2 $PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl /tmp/s11 6000 || exit 1
OMP_NUM_THREADS=2 $G data tokenize /tmp/s11/mix.jsonl --out /tmp/s11/mix.tok || exit 1
OMP_NUM_THREADS=1 $TR --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision bf16 --data /tmp/data --ae-train /tmp/s11/mix.tok --out /tmp/out11 --init /work/main/gmsa_rag/default_model --keep-answer-adapter --ae-steps 900 --ae-time 4500 --batch-size 8 --keft-steps 150 --keft-time 1200 --keft-batch-size 8 --eval-texts 0 --eval-qa 0
echo TRAINDONE

# merge and evaluate (two single-thread streams):
export OMP_NUM_THREADS=1
cd /work/main
PY=.venv/bin/python; G=.venv/bin/gmsa-rag
$PY scripts/merge_shards.py /tmp/out11/keft /tmp/v7 || exit 1
mkdir -p /tmp/s11/eval
(
for r in 4 8; do
  $G eval reconstruct --model /tmp/v7 --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $r --max-tokens 128 --device cpu --json > /tmp/s11/eval/recon_v7_r$r.json
done
$G eval reconstruct --model /tmp/v7 --data /tmp/s11/docs_eval.jsonl --limit 48 --rate 4 --max-tokens 128 --device cpu --json > /tmp/s11/eval/docs_recon_v7_r4.json
) &
for r in 4 8; do
  $G eval qa --model /tmp/v7 --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $r --device cpu --root /tmp/s11/idx$r --json > /tmp/s11/eval/qa_v7_r$r.json
done
wait
# then side by side (v6 read from a copy, /tmp/v6, so that v7 could be copied into the tree):
cp -r gmsa_rag/default_model /tmp/v6
for r in 4 8; do  # the same in bf16 (decoder weights cast once): does `auto` still need fp32 on CPU?
  $G eval qa --model /tmp/v7 --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $r --device cpu --precision bf16 --root /tmp/s11/idxbf$r --json > /tmp/s11/eval/qa_v7_bf16_r$r.json &
done
$G eval reconstruct --model /tmp/v6 --data /tmp/s11/docs_eval.jsonl --limit 48 --rate 4 --max-tokens 128 --device cpu --json > /tmp/s11/eval/docs_recon_v6_r4.json
wait
echo ALLDONE
