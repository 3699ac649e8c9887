#!/bin/bash
# session 16: the prefill's last-position logits by index (issue #14), the shipped model, the
# machine idle, 2 threads; run from the tree with the change (gmsa_rag imported from there)
set -x
cd /work/main
PY=.venv/bin/python; G=.venv/bin/gmsa-rag
export OMP_NUM_THREADS=2
$PY benchmarks/prefill_logits.py --model default --positions 100,250,500,1800 --repeats 5 --json > /tmp/s16/speed/prefill_logits.json 2>> /tmp/s16/speed/err.log
$G bench latency --root /tmp/s16/benchidx --context-tokens 512,2048 --repeats 3 --json > /tmp/s16/speed/latency_auto.json 2>> /tmp/s16/speed/err.log
$PY benchmarks/load_test.py --model default --root /tmp/s16/loadidx --clients 8 --questions 10 --json > /tmp/s16/speed/load_auto.json 2>> /tmp/s16/speed/err.log
echo SPEEDDONE
