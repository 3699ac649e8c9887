#!/bin/bash
# session 16: v10 against v11 at 8x on the next 192 bundled held-out texts (lines 65-256 of
# ae_heldout.jsonl, disjoint from the 64 of the standard check), two single-thread streams
cd /work/main
G=.venv/bin/gmsa-rag
export OMP_NUM_THREADS=1
sed -n 65,256p /tmp/data/ae_heldout.jsonl > /tmp/s16/heldout_next192.jsonl
$G eval reconstruct --model gmsa_rag/default_model --data /tmp/s16/heldout_next192.jsonl --rate 8 --max-tokens 128 --device cpu --json > /tmp/s16/eval/recon192_v10_r8.json 2> /tmp/s16/eval/recon192_v10.err &
$G eval reconstruct --model /tmp/v11 --data /tmp/s16/heldout_next192.jsonl --rate 8 --max-tokens 128 --device cpu --json > /tmp/s16/eval/recon192_v11_r8.json 2> /tmp/s16/eval/recon192_v11.err
wait
