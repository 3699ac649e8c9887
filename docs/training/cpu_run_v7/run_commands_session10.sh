#!/bin/bash
# session 10, as executed (paths are this session's /tmp folders; /tmp/run10 a copy of the tree)
# 1-3. mix, token file, throughput pair, stage 1 + KEFT:
set -x
cd /tmp/run10
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag; TR=/work/main/.venv/bin/torchrun
export PYTHONPATH=/tmp/run10
OMP_NUM_THREADS=2 $PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl /tmp/s10 6000 || exit 1
OMP_NUM_THREADS=2 $G data tokenize /tmp/s10/mix.jsonl --out /tmp/s10/mix.tok || exit 1
OMP_NUM_THREADS=2 $PY benchmarks/train_step_throughput.py --data /tmp/data --ae-train /tmp/s10/mix.tok --steps 5 --warmup 1 > /tmp/s10/tp_single.json 2>/tmp/s10/tp_single.err
OMP_NUM_THREADS=1 $TR --standalone --nproc-per-node 2 benchmarks/train_step_throughput.py --data /tmp/data --ae-train /tmp/s10/mix.tok --steps 5 --warmup 1 > /tmp/s10/tp_ddp.json 2>/tmp/s10/tp_ddp.err
OMP_NUM_THREADS=1 $TR --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision bf16 --data /tmp/data --ae-train /tmp/s10/mix.tok --out /tmp/out10 --init /work/main/gmsa_rag/default_model --keep-answer-adapter --ae-steps 1000 --ae-time 4400 --batch-size 8 --keft-steps 150 --keft-time 1200 --keft-batch-size 8 --eval-texts 0 --eval-qa 0
echo TRAINDONE

# 4. merge and evaluate:
export OMP_NUM_THREADS=1
cd /work/main
PY=.venv/bin/python; G=.venv/bin/gmsa-rag
$PY scripts/merge_shards.py /tmp/out10/keft /tmp/v7 || exit 1
mkdir -p /tmp/s10/eval
(
for r in 4 8; do
  $G eval reconstruct --model /tmp/v7 --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $r --max-tokens 128 --device cpu --json > /tmp/s10/eval/recon_v7_r$r.json
done
$G eval reconstruct --model /tmp/v7 --data /tmp/s10/docs_eval.jsonl --limit 48 --rate 4 --max-tokens 128 --device cpu --json > /tmp/s10/eval/docs_recon_v7_r4.json
) &
for r in 4 8; do
  $G eval qa --model /tmp/v7 --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $r --device cpu --root /tmp/s10/idx$r --json > /tmp/s10/eval/qa_v7_r$r.json
done
$G eval reconstruct --model gmsa_rag/default_model --data /tmp/s10/docs_eval.jsonl --limit 48 --rate 4 --max-tokens 128 --device cpu --json > /tmp/s10/eval/docs_recon_v6_r4.json
wait
echo ALLDONE
