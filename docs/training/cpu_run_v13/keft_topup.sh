#!/bin/bash
# session 18, as executed: the run's KEFT stopped at its 900 s limit after 60 steps (fp32 on the
# AVX2 machine, ~15 s a step with its evaluations), so the answering adapter of /tmp/v13 went on
# for up to 90 more steps (another 900 s limit), everything else frozen, as two processes. It
# stopped after 42 and answered worse (F1 0.105 / 0.133 against 0.162 / 0.161): not kept
set -x
cd /tmp/run18
export PYTHONPATH=/tmp/run18 OMP_NUM_THREADS=1
/work/main/.venv/bin/torchrun --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision fp32 --data /tmp/data --out /tmp/out18b --init /tmp/v13 --keep-answer-adapter --ae-steps 0 --keft-steps 90 --keft-time 900 --keft-batch-size 8 --eval-texts 0 --eval-qa 0 || exit 1
cd /work/main && /work/main/.venv/bin/python scripts/merge_shards.py /tmp/out18b/keft /tmp/v13b && echo TOPUPDONE

# then QA of the topped-up model, one single-thread process per rate side by side
export OMP_NUM_THREADS=1
cd /work/main
for r in 4 8; do
  /usr/bin/time -f "%e s" .venv/bin/gmsa-rag eval qa --model /tmp/v13b --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $r --device cpu --precision fp32 --root /tmp/s18/idxb$r --json > /tmp/s18/eval/qa_v13b_fp32_r$r.json 2> /tmp/s18/eval/qa_b$r.err &
done
wait
