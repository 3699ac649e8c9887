#!/bin/bash
# session 14, as executed (the session's /tmp folders; /tmp/run14 a copy of the tree; the
# documentation cache ~/.cache/gmsa_rag/debian-docs filled by two half-builds of the 222 sources)
set -x
cd /tmp/run14
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag; TR=/work/main/.venv/bin/torchrun
export PYTHONPATH=/tmp/run14
OMP_NUM_THREADS=2 $PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl /tmp/s14 6000 14 || exit 1
OMP_NUM_THREADS=2 $G data tokenize /tmp/s14/mix.jsonl --out /tmp/s14/mix.tok || exit 1
OMP_NUM_THREADS=1 $TR --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision bf16 --data /tmp/data --ae-train /tmp/s14/mix.tok --out /tmp/out14 --init /work/main/gmsa_rag/default_model --keep-answer-adapter --ae-steps 750 --ae-time 3000 --batch-size 8 --keft-steps 150 --keft-time 1200 --keft-batch-size 8 --eval-texts 0 --eval-qa 0
echo TRAINDONE

# merge and evaluate (two single-thread streams; QA runs of one rate share an index root:
# stored vectors do not depend on the inference precision):
export OMP_NUM_THREADS=1
cd /work/main
PY=.venv/bin/python; G=.venv/bin/gmsa-rag
$PY scripts/merge_shards.py /tmp/out14/keft /tmp/v9 || exit 1
mkdir -p /tmp/s14/eval /tmp/s14/speed
# speed first, on the idle machine (issue #14: which precision `auto` should pick on this CPU)
export OMP_NUM_THREADS=2
for p in fp32 bf16-prefill; do
  $G bench latency --model /tmp/v9 --root /tmp/s14/benchidx --context-tokens 512,2048 --repeats 3 --precision $p --json > /tmp/s14/speed/latency_$p.json 2>> /tmp/s14/speed/latency.err
done
for p in bf16-prefill fp32; do
  $PY benchmarks/load_test.py --model /tmp/v9 --root /tmp/s14/loadidx --clients 8 --questions 10 --precision $p --json > /tmp/s14/speed/load_$p.json 2>> /tmp/s14/speed/load.err
done
export OMP_NUM_THREADS=1
qa() {  # rate precision
  /usr/bin/time -f "%e s" $G eval qa --model /tmp/v9 --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $1 --device cpu --precision $2 --root /tmp/s14/idx$1$3 --json > /tmp/s14/eval/qa_v9_$2_r$1.json
}
(
for r in 4 8; do
  $G eval reconstruct --model /tmp/v9 --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $r --max-tokens 128 --device cpu --json > /tmp/s14/eval/recon_v9_r$r.json
done
$G eval reconstruct --model /tmp/v9 --data /tmp/s14/docs_eval.jsonl --limit 48 --rate 4 --max-tokens 128 --device cpu --json > /tmp/s14/eval/docs_recon_v9_r4.json
qa 8 bf16-prefill a  # its own index root: stream b may be building idx8 at the same time
# the full-text reader (the base backbone; fp32 F1 0.124 in every earlier run) in bf16-prefill:
/usr/bin/time -f "%e s" $G eval qa --model /tmp/v9 --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode full --device cpu --precision bf16-prefill --root /tmp/s14/idx8a --json > /tmp/s14/eval/qa_full_bf16-prefill.json
) 2> /tmp/s14/eval/stream_a.err &
(
qa 4 fp32; qa 8 fp32; qa 4 bf16-prefill
) 2> /tmp/s14/eval/stream_b.err
wait
echo ALLDONE
