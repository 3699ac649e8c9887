#!/bin/bash
# session 12, as executed (the session's /tmp folders; /tmp/run12 a copy of the tree; the
# documentation cache ~/.cache/gmsa_rag/debian-docs filled by two half-builds of the 222 sources)
set -x
cd /tmp/run12
PY=/work/main/.venv/bin/python; G=/work/main/.venv/bin/gmsa-rag; TR=/work/main/.venv/bin/torchrun
export PYTHONPATH=/tmp/run12
OMP_NUM_THREADS=2 $PY docs/training/cpu_run_v7/make_mix.py ~/.cache/gmsa_rag/debian-docs /tmp/data/ae_train.jsonl /tmp/s12 6000 12 || exit 1
OMP_NUM_THREADS=2 $G data tokenize /tmp/s12/mix.jsonl --out /tmp/s12/mix.tok || exit 1
OMP_NUM_THREADS=1 $TR --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision bf16 --data /tmp/data --ae-train /tmp/s12/mix.tok --out /tmp/out12 --init /work/main/gmsa_rag/default_model --keep-answer-adapter --ae-steps 900 --ae-time 4500 --batch-size 8 --keft-steps 150 --keft-time 1200 --keft-batch-size 8 --eval-texts 0 --eval-qa 0
echo TRAINDONE

# merge and evaluate (two single-thread streams; QA runs of one rate share an index root:
# stored vectors do not depend on the inference precision):
export OMP_NUM_THREADS=1
cd /work/main
PY=.venv/bin/python; G=.venv/bin/gmsa-rag
$PY scripts/merge_shards.py /tmp/out12/keft /tmp/v8 || exit 1
mkdir -p /tmp/s12/eval /tmp/s12/speed
# speed first, on the idle machine (issue #14: which precision `auto` should pick on this CPU)
export OMP_NUM_THREADS=2
for p in fp32 bf16 bf16-prefill; do
  $G bench latency --model /tmp/v8 --root /tmp/s12/benchidx --context-tokens 512,2048 --repeats 3 --precision $p --json > /tmp/s12/speed/latency_$p.json 2>> /tmp/s12/speed/latency.err
done
$PY benchmarks/load_test.py --model /tmp/v8 --root /tmp/s12/loadidx --clients 8 --questions 10 --precision bf16-prefill --json > /tmp/s12/speed/load_bf16-prefill.json 2>> /tmp/s12/speed/load.err
export OMP_NUM_THREADS=1
qa() {  # rate precision
  /usr/bin/time -f "%e s" $G eval qa --model /tmp/v8 --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $1 --device cpu --precision $2 --root /tmp/s12/idx$1$3 --json > /tmp/s12/eval/qa_v8_$2_r$1.json
}
(
for r in 4 8; do
  $G eval reconstruct --model /tmp/v8 --data /tmp/data/ae_heldout.jsonl --limit 64 --rate $r --max-tokens 128 --device cpu --json > /tmp/s12/eval/recon_v8_r$r.json
done
$G eval reconstruct --model /tmp/v8 --data /tmp/s12/docs_eval.jsonl --limit 48 --rate 4 --max-tokens 128 --device cpu --json > /tmp/s12/eval/docs_recon_v8_r4.json
qa 8 bf16-prefill a  # its own index root: stream b may be building idx8 at the same time
# the full-text reader (the base backbone; fp32 F1 0.124 in every earlier run) in bf16-prefill:
/usr/bin/time -f "%e s" $G eval qa --model /tmp/v8 --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode full --device cpu --precision bf16-prefill --root /tmp/s12/idx8a --json > /tmp/s12/eval/qa_full_bf16-prefill.json
) 2> /tmp/s12/eval/stream_a.err &
(
qa 4 fp32; qa 8 fp32; qa 4 bf16-prefill
) 2> /tmp/s12/eval/stream_b.err
wait
echo ALLDONE
