#!/bin/bash
# session 16, as executed (the session's /tmp folders; /tmp/run16 a copy of the tree at bee529d;
# the documentation cache ~/.cache/gmsa_rag/debian-docs as in session 14)
set -x
cd /tmp/run16
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag; TR=/work/main/.venv/bin/torchrun
export PYTHONPATH=/tmp/run16
OMP_NUM_THREADS=2 $PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl /tmp/s16 6000 17 || exit 1
OMP_NUM_THREADS=2 $G data tokenize /tmp/s16/mix.jsonl --out /tmp/s16/mix.tok || exit 1
OMP_NUM_THREADS=1 $TR --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision bf16 --data /tmp/data --ae-train /tmp/s16/mix.tok --out /tmp/out16 --init /work/main/gmsa_rag/default_model --keep-answer-adapter --ae-steps 750 --ae-time 3000 --batch-size 8 --keft-steps 150 --keft-time 1200 --keft-batch-size 8 --eval-texts 0 --eval-qa 0 --lr-scale 0.5
echo TRAINDONE

# merge and evaluate (two single-thread streams; QA runs of one rate share an index root:
# stored vectors do not depend on the inference precision)
export OMP_NUM_THREADS=1
cd /work/main
PY=.venv/bin/python; G=.venv/bin/gmsa-rag
$PY scripts/merge_shards.py /tmp/out16/keft /tmp/v11 || exit 1
mkdir -p /tmp/s16/eval
qa() {  # rate precision [index suffix]
  /usr/bin/time -f "%e s" $G eval qa --model /tmp/v11 --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $1 --device cpu --precision $2 --root /tmp/s16/idx$1$3 --json > /tmp/s16/eval/qa_v11_$2_r$1.json
}
(
for r in 4 8; do
  $G eval reconstruct --model /tmp/v11 --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $r --max-tokens 128 --device cpu --json > /tmp/s16/eval/recon_v11_r$r.json
done
$G eval reconstruct --model /tmp/v11 --data /tmp/s14/docs_eval.jsonl --limit 48 --rate 4 --max-tokens 128 --device cpu --json > /tmp/s16/eval/docs_recon_v11_r4.json
qa 8 bf16-prefill a  # its own index root: stream b may be building idx8 at the same time
) 2> /tmp/s16/eval/stream_a.err &
(
qa 4 fp32; qa 8 fp32; qa 4 bf16-prefill
) 2> /tmp/s16/eval/stream_b.err
wait
echo ALLDONE
