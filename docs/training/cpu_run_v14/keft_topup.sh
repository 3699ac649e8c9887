#!/bin/bash
# session 20, as executed: v14's stage 1 kept, its answering adapter trained on by KEFT for up to
# 600 s more (the 137 steps of run_commands.sh left bundled QA F1 at 0.142 / 0.141 against v13's
# 0.164 / 0.157: the answering adapter lags the encoder that stage 1 moved), then QA again (fp32).
set -x
cd /tmp/run20
export PYTHONPATH=/tmp/run20 OMP_NUM_THREADS=1
/work/main/.venv/bin/torchrun --standalone --nproc-per-node 2 scripts/train_default.py --device cpu --precision bf16 --data /tmp/data --out /tmp/out20b --init /tmp/v14 --keep-answer-adapter --ae-steps 0 --keft-steps 90 --keft-time 600 --keft-batch-size 8 --eval-texts 0 --eval-qa 0 || exit 1
cd /work/main && /work/main/.venv/bin/python scripts/merge_shards.py /tmp/out20b/keft /tmp/v14b && echo TOPUPDONE

export OMP_NUM_THREADS=1
for r in 4 8; do
  /usr/bin/time -f "%e s" .venv/bin/gmsa-rag eval qa --model /tmp/v14b --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $r --device cpu --precision fp32 --root /tmp/s20/idxb$r --json > /tmp/s20/eval/qa_v14b_fp32_r$r.json 2> /tmp/s20/eval/qa_b$r.err &
done
wait
echo ALLDONE
