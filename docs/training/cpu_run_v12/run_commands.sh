#!/bin/bash
# session 17, as executed (the session's /tmp folders; /tmp/run17 a copy of the tree; the
# documentation cache ~/.cache/gmsa_rag/debian-docs refilled from empty by two half-builds of
# the 222 sources, as in session 11): v11 continued at a quarter of the peak learning rate
# (the better arm of docs/training/cpu_run_v11/lr_pair), a fresh documentation sample (seed 19)
set -x
cd /tmp/run17
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag; TR=/work/main/.venv/bin/torchrun
export PYTHONPATH=/tmp/run17
OMP_NUM_THREADS=2 $PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl /tmp/s17 6000 19 || exit 1
OMP_NUM_THREADS=2 $G data tokenize /tmp/s17/mix.jsonl --out /tmp/s17/mix.tok || exit 1
OMP_NUM_THREADS=1 $TR --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision bf16 --data /tmp/data --ae-train /tmp/s17/mix.tok --out /tmp/out17 --init /work/main/gmsa_rag/default_model --keep-answer-adapter --ae-steps 750 --ae-time 3000 --batch-size 8 --keft-steps 150 --keft-time 1200 --keft-batch-size 8 --eval-texts 0 --eval-qa 0 --lr-scale 0.25
echo TRAINDONE

# merge and evaluate (two single-thread streams; QA runs of one rate share an index root:
# stored vectors do not depend on the inference precision)
export OMP_NUM_THREADS=1
cd /work/main
PY=.venv/bin/python; G=.venv/bin/gmsa-rag
$PY scripts/merge_shards.py /tmp/out17/keft /tmp/v12 || exit 1
mkdir -p /tmp/s17/eval
sed -n 65,256p /tmp/data/ae_heldout.jsonl > /tmp/s17/heldout_next192.jsonl
qa() {  # rate precision [index suffix]
  /usr/bin/time -f "%e s" $G eval qa --model /tmp/v12 --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $1 --device cpu --precision $2 --root /tmp/s17/idx$1$3 --json > /tmp/s17/eval/qa_v12_$2_r$1.json
}
(
for r in 4 8; do
  $G eval reconstruct --model /tmp/v12 --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $r --max-tokens 128 --device cpu --json > /tmp/s17/eval/recon_v12_r$r.json
done
$G eval reconstruct --model /tmp/v12 --data /tmp/s17/docs_eval.jsonl --limit 48 --rate 4 --max-tokens 128 --device cpu --json > /tmp/s17/eval/docs_recon_v12_r4.json
qa 8 bf16-prefill a  # its own index root: stream b may be building idx8 at the same time
) 2> /tmp/s17/eval/stream_a.err &
(
qa 4 fp32; qa 8 fp32; qa 4 bf16-prefill
$G eval reconstruct --model /tmp/v12 --data /tmp/s17/heldout_next192.jsonl --rate 8 --max-tokens 128 --device cpu --json > /tmp/s17/eval/recon192_v12_r8.json
) 2> /tmp/s17/eval/stream_b.err
wait
echo ALLDONE
