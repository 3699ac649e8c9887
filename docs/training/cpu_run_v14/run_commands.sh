#!/bin/bash
# session 20 (2026-12-08), as executed (the session's /tmp folders; /tmp/run20 a copy of the tree):
# the winning arm of the decoder-scope pair (../cpu_run_v13/continued/scope_pair.sh, 100 steps from
# v13 on mix seed 24; this folder's README) continued at a quarter of the peak learning rate on a
# fresh documentation sample (seed 25), then one full KEFT run. AMD EPYC with AVX-512 BF16 (no AMX):
# training in bf16, evaluation in fp32 as for v12 and v13. INIT: the winning arm's model directory
# (train_default.py takes its decoder_targets from it).
set -x
NEW=v14; SEED=25; S=/tmp/s20; RUN=/tmp/run20; OUT=/tmp/out20; INIT=${INIT:-/tmp/scope/run_qkv/model}
cd $RUN
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag; TR=/work/main/.venv/bin/torchrun
export PYTHONPATH=$RUN
OMP_NUM_THREADS=2 $PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl $S 6000 $SEED || exit 1
OMP_NUM_THREADS=2 $G data tokenize $S/mix.jsonl --out $S/mix.tok || exit 1
OMP_NUM_THREADS=1 $TR --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision bf16 --data /tmp/data --ae-train $S/mix.tok --out $OUT --init $INIT --keep-answer-adapter --ae-steps 800 --ae-time ${AE_TIME:-3000} --batch-size 8 --keft-steps 150 --keft-time 1200 --keft-batch-size 8 --eval-texts 0 --eval-qa 0 --lr-scale 0.25 || exit 1
echo TRAINDONE

# merge and evaluate (two single-thread streams, fp32 as v12's and v13's figures)
export OMP_NUM_THREADS=1
cd /work/main
PY=.venv/bin/python; G=.venv/bin/gmsa-rag
$PY scripts/merge_shards.py $OUT/keft /tmp/$NEW || exit 1
mkdir -p $S/eval
qa() {  # rate
  /usr/bin/time -f "%e s" $G eval qa --model /tmp/$NEW --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $1 --device cpu --precision fp32 --root $S/idx$1 --json > $S/eval/qa_${NEW}_fp32_r$1.json
}
(
for r in 4 8; do
  $G eval reconstruct --model /tmp/$NEW --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $r --max-tokens 128 --device cpu --json > $S/eval/recon_${NEW}_r$r.json
done
qa 4
) 2> $S/eval/stream_a.err &
(
$G eval reconstruct --model /tmp/$NEW --data $S/docs_eval.jsonl --limit 48 --rate 4 --max-tokens 128 --device cpu --json > $S/eval/docs_recon_${NEW}_r4.json
qa 8
) 2> $S/eval/stream_b.err
wait
echo ALLDONE
