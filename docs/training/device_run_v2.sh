#!/bin/bash
# One lent GPU call (H200, <= 10 min) spent on the default model with the v2 recipe
# (scripts/train_default.py: decoder LoRA trained in stage 1, KEFT training its own copy of it), continuing
# from the shipped weights so GPU minutes add to the CPU hours already in them. Run from the
# repository root on the device machine with the training data (build_all output) carried in
# .carry/data. Stage 1 ~6.5 min, KEFT ~1.5 min, then a short evaluation; the model comes back as
# bf16 shards under 15 MB each in $OUT/keft (scripts/train_default.py export), logs as one tar.gz.
# Dry-run it on a CPU first:  DRY=1 PYTHON=.venv/bin/python DATA=DIR OUT=/tmp/out docs/training/device_run_v2.sh
# AE_TRAIN=FILE trains stage 1 on FILE instead of DATA/ae_train.jsonl: a token file of the documentation
# corpus fits the carry (`gmsa-rag data build --out D`, then `gmsa-rag data tokenize D/ae_train.jsonl
# D/docs_train.jsonl --max-tokens 25000000 --out .carry/data/train.tok`, ~30 MB).
set -u
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false PYTHONPATH=.${PYTHONPATH:+:$PYTHONPATH}
PYTHON=${PYTHON:-python3}
DATA=${DATA:-.carry/data}
WORK=/tmp/gmsa_run_v2
INIT=${INIT:-gmsa_rag/default_model}
mkdir -p "$WORK" "$OUT"
if [ -n "${DRY:-}" ]; then
  ARGS=(--device cpu --ae-steps 3 --keft-steps 2 --batch-size 2 --keft-batch-size 2 --eval-texts 1 --eval-qa 1 --eval-lengths 64)
else
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
  "$PYTHON" -c "from gmsa_rag.backbones import resolve_backbone; print(resolve_backbone('smollm2-135m-instruct'))" || exit 1
  ARGS=(--device cuda --ae-steps 4000 --ae-time 390 --keft-steps 1000 --keft-time 90 --batch-size 64 --keft-batch-size 64
        --eval-texts 64 --eval-qa 96 --eval-lengths 64,128)
fi
[ -n "${AE_TRAIN:-}" ] && ARGS+=(--ae-train "$AE_TRAIN")
timeout 560 "$PYTHON" scripts/train_default.py --init "$INIT" --data "$DATA" --out "$WORK/main" "${ARGS[@]}" \
  > "$WORK/train.out" 2>&1
echo "train exit $?"
tail -n 5 "$WORK/train.out"
mkdir -p "$OUT/keft"
cp "$WORK"/main/keft/* "$OUT/keft/" 2>/dev/null
rm -rf "$WORK/main/runs" "$WORK/main/ae" "$WORK/main/keft"
tar -czf "$OUT/logs.tar.gz" -C "$WORK" $(cd "$WORK" && ls -d main train.out 2>/dev/null)
ls -la "$OUT" "$OUT/keft"
