#!/bin/bash
# session 15: the folded-LoRA decode (issue #14), v10, the machine idle, 2 threads
set -x
cd /tmp/dev
PY=/tmp/dv/bin/python; G=/tmp/dv/bin/gmsa-rag
export OMP_NUM_THREADS=2
$PY benchmarks/decode_fold.py --model default --positions 150,500 --steps 32 --repeats 5 --json > /tmp/s15/speed/decode_fold.json 2>> /tmp/s15/speed/err.log
$G bench latency --root /tmp/s15/benchidx --context-tokens 512,2048 --repeats 3 --json > /tmp/s15/speed/latency_auto.json 2>> /tmp/s15/speed/err.log
$PY benchmarks/load_test.py --model default --root /tmp/s15/loadidx --clients 8 --questions 10 --json > /tmp/s15/speed/load_auto.json 2>> /tmp/s15/speed/err.log
echo SPEEDDONE
