#!/bin/bash
# session 18, as executed (the session's /tmp folders; /tmp/run18 a copy of the tree; the
# documentation cache ~/.cache/gmsa_rag/debian-docs refilled from empty by two half-builds of
# the 222 sources, as in session 11): v12 continued at a quarter of the peak learning rate, as
# v12 was, on a fresh documentation sample (seed 21). This session's machine is an AMD EPYC with
# AVX2 only (no AVX-512, no AMX): bf16 autocast ran ~150 s a step there (emulated), fp32 6.9 s,
# so stage 1 and KEFT run in fp32 (--precision fp32) with 2,700 s / 900 s limits, and the
# evaluation runs in fp32 only (`auto` resolves to fp32 on a CPU without AMX)
set -x
NEW=v13; SEED=21; S=/tmp/s18; RUN=/tmp/run18; OUT=/tmp/out18
cd $RUN
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag; TR=/work/main/.venv/bin/torchrun
export PYTHONPATH=$RUN
OMP_NUM_THREADS=2 $PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl $S 6000 $SEED || exit 1
OMP_NUM_THREADS=2 $G data tokenize $S/mix.jsonl --out $S/mix.tok || exit 1
OMP_NUM_THREADS=1 $TR --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision fp32 --data /tmp/data --ae-train $S/mix.tok --out $OUT --init /work/main/gmsa_rag/default_model --keep-answer-adapter --ae-steps 900 --ae-time 2700 --batch-size 8 --keft-steps 150 --keft-time 900 --keft-batch-size 8 --eval-texts 0 --eval-qa 0 --lr-scale 0.25
echo TRAINDONE

# merge and evaluate (two single-thread streams)
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
qa 4 fp32
) 2> $S/eval/stream_a.err &
(
qa 8 fp32
# killed in session 18 to free a core for keft_topup.sh (the 64-text check had already put v13 above v12 at 8x)
$G eval reconstruct --model /tmp/$NEW --data $S/heldout_next192.jsonl --rate 8 --max-tokens 128 --device cpu --json > $S/eval/recon192_${NEW}_r8.json
) 2> $S/eval/stream_b.err
wait
echo ALLDONE
