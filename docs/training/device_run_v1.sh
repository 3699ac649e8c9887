#!/bin/bash
# The GPU run that produced default model v1 and the four-way ablation (session 2, one lent
# GPU, ~8 minutes). Run from the repository root on the GPU machine, with the training data
# (gmsa_rag.training.corpora.build_all) in .carry/data and the built-in backbone's package
# importable. Everything runs at once on the one GPU: the default model's two stages and the
# four ablation variants (fixed steps each). Outputs go to $OUT (logs and evals as one
# tar.gz, the default model's bf16 shards apart).
set -u
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
DATA=.carry/data
WORK=/tmp/gmsa_run
mkdir -p "$WORK/abl" "$WORK/main"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "from gmsa_rag.backbones import resolve_backbone; print(resolve_backbone('smollm2-135m-instruct'))"
for v in gmsa icae linear random_lsa; do
  timeout 470 python3 scripts/ablation.py --variant $v --data $DATA --out "$WORK/abl" \
    --steps 400 --batch-size 16 --time-limit 330 > "$WORK/abl/$v.out" 2>&1 &
done
timeout 480 python3 scripts/train_default.py --lsa-init backbone --data $DATA --out "$WORK/main" --ae-steps 2000 --ae-time 270 \
  --keft-steps 300 --keft-time 60 --batch-size 64 --keft-batch-size 32 --eval-texts 64 --eval-qa 96 \
  > "$WORK/main/train.out" 2>&1
echo "main exit $?"
wait
tail -n 3 "$WORK"/abl/*.out "$WORK/main/train.out"
mkdir -p "$OUT/keft"
cp "$WORK"/main/keft/* "$OUT/keft/" 2>/dev/null
rm -rf "$WORK/abl/runs" "$WORK/main/runs" "$WORK/main/ae" "$WORK/main/keft"
tar -czf "$OUT/logs.tar.gz" -C "$WORK" abl main
ls -la "$OUT" "$OUT/keft"
