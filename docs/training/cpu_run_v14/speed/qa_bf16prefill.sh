while pgrep -f /tmp/lat.sh > /dev/null; do sleep 2; done
cd /work/main
export OMP_NUM_THREADS=1
for r in 4 8; do
  .venv/bin/gmsa-rag eval qa --model default --data benchmarks/data/qa_eval.jsonl --docs benchmarks/data/qa_eval_docs.jsonl --context retrieved --top-k 4 --mode gmsa --rate $r --device cpu --precision bf16-prefill --root /tmp/s20/idxbf$r --json > /tmp/s20/qa_v13_bf16prefill_r$r.json 2>/tmp/s20/qabf$r.err &
done
wait
echo QABFDONE
