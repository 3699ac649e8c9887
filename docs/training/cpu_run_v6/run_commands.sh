#!/bin/bash
# session 9's run, as executed (paths are this session's /tmp folders)
# 1. the stage-1 mix: python make_mix.py ~/.cache/gmsa_rag/debian-docs DIR/ae_train.jsonl mix.jsonl && gmsa-rag data tokenize mix.jsonl --out mix.tok
# 2. stage 1, one process of one thread (the other core built the corpus):
OMP_NUM_THREADS=1 python scripts/train_default.py --device cpu --precision bf16 --data /tmp/data --ae-train /tmp/s9/mix.tok --out /tmp/out9 --init gmsa_rag/default_model --keep-answer-adapter --ae-steps 550 --batch-size 8 --keft-steps 150 --keft-batch-size 8 --eval-texts 0 --eval-qa 0
#    (stopped after 'stage 1 done'; KEFT then ran data-parallel:)
# 3. KEFT, two processes of one thread each:
OMP_NUM_THREADS=1 PYTHONPATH=/work/main /work/main/.venv/bin/torchrun --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision bf16 --data /tmp/data --out /tmp/out9 --init /tmp/out9/runs/ae/model --keep-answer-adapter --ae-steps 0 --keft-steps 150 --keft-batch-size 8 --eval-texts 0 --eval-qa 0
# 4. merge and evaluate (two single-thread lanes):
export OMP_NUM_THREADS=1; PY=.venv/bin/python; G=.venv/bin/gmsa-rag
# docs_eval.jsonl: 48 passages drawn with random.Random(81).sample from docs_heldout.jsonl of the 207-source build
$PY scripts/merge_shards.py /tmp/out9/keft /tmp/v6 || exit 1
mkdir -p /tmp/s9/eval
(
for r in 4 8; do
  $G eval reconstruct --model /tmp/v6 --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $r --max-tokens 128 --device cpu --json > /tmp/s9/eval/recon_v6_r$r.json
done
while [ ! -s /tmp/s9/docs_eval.jsonl ]; do sleep 20; done
for m in /tmp/v6; do
  n=$(basename $m)
  $G eval reconstruct --model $m --data /tmp/s9/docs_eval.jsonl --limit 48 --rate 4 --max-tokens 128 --device cpu --json > /tmp/s9/eval/docs_recon_${n}_r4.json
done
) &
for r in 4 8; do
  $G eval qa --model /tmp/v6 --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $r --device cpu --root /tmp/s9/idx$r --json > /tmp/s9/eval/qa_v6_r$r.json
done
wait
echo ALLDONE
