#!/bin/bash
# session 18, as executed (the session's /tmp folders; /tmp/run18 a copy of the tree; the
# documentation cache ~/.cache/gmsa_rag/debian-docs refilled from empty by two half-builds of
# the 222 sources, as in session 11): v12 continued at a quarter of the peak learning rate, as
# v12 was, for 3,600 s of stage 1 instead of 3,000, on a fresh documentation sample (seed 21)
set -x
NEW=v13; SEED=21; S=/tmp/s18; RUN=/tmp/run18; OUT=/tmp/out18
cd $RUN
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag; TR=/work/main/.venv/bin/torchrun
export PYTHONPATH=$RUN
OMP_NUM_THREADS=2 $PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl $S 6000 $SEED || exit 1
OMP_NUM_THREADS=2 $G data tokenize $S/mix.jsonl --out $S/mix.tok || exit 1
OMP_NUM_THREADS=1 $TR --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision bf16 --data /tmp/data --ae-train $S/mix.tok --out $OUT --init /work/main/gmsa_rag/default_model --keep-answer-adapter --ae-steps 900 --ae-time 3600 --batch-size 8 --keft-steps 150 --keft-time 1200 --keft-batch-size 8 --eval-texts 0 --eval-qa 0 --lr-scale 0.25
echo TRAINDONE

# merge and evaluate (two single-thread streams; QA runs of one rate share an index root:
# stored vectors do not depend on the inference precision)
export OMP_NUM_THREADS=1
cd /work/main
PY=.venv/bin/python; G=.venv/bin/gmsa-rag
$PY scripts/merge_shards.py $OUT/keft /tmp/$NEW || exit 1
mkdir -p $S/eval
sed -n 65,256p /tmp/data/ae_heldout.jsonl > $S/heldout_next192.jsonl
qa() {  # rate precision [index suffix]
  /usr/bin/time -f "%e s" $G eval qa --model /tmp/$NEW --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $1 --device cpu --precision $2 --root $S/idx$1$3 --json > $S/eval/qa_${NEW}_$2_r$1.json
}
(
for r in 4 8; do
  $G eval reconstruct --model /tmp/$NEW --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $r --max-tokens 128 --device cpu --json > $S/eval/recon_${NEW}_r$r.json
done
$G eval reconstruct --model /tmp/$NEW --data $S/docs_eval.jsonl --limit 48 --rate 4 --max-tokens 128 --device cpu --json > $S/eval/docs_recon_${NEW}_r4.json
qa 8 bf16-prefill a  # its own index root: stream b may be building idx8 at the same time
) 2> $S/eval/stream_a.err &
(
qa 4 fp32; qa 8 fp32; qa 4 bf16-prefill
$G eval reconstruct --model /tmp/$NEW --data $S/heldout_next192.jsonl --rate 8 --max-tokens 128 --device cpu --json > $S/eval/recon192_${NEW}_r8.json
) 2> $S/eval/stream_b.err
wait
echo ALLDONE
