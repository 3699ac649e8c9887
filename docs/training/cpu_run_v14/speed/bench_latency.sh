cd /work/main
export OMP_NUM_THREADS=2
for p in fp32 bf16-prefill fp32 bf16-prefill; do
  echo "== $p"; .venv/bin/gmsa-rag bench latency --model default --precision $p --repeats 3 2>/dev/null
done
