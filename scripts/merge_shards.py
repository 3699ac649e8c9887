"""Join the bf16 shards that ``scripts/train_default.py`` exports (``export``: at most 15 MB a
file, to fit the device machine's return limit) into one ``save_pretrained`` directory.

    python scripts/merge_shards.py SHARD_DIR OUT_DIR      # e.g. OUT/keft gmsa_rag/default_model

The result loads with ``GMSAModel.from_pretrained(OUT_DIR)``, which checks every tensor name
and shape against the config; nothing here is trusted beyond safetensors' own format.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from safetensors.torch import load_file, save_file


def merge(shards: Path, out: Path) -> Path:
    files = sorted(shards.glob("shard*.safetensors"), key=lambda p: int(p.stem[len("shard"):]))
    if not files:
        raise SystemExit(f"no shard*.safetensors in {shards}")
    tensors: dict = {}
    for path in files:
        part = load_file(str(path))
        if set(part) & set(tensors):
            raise SystemExit(f"{path} repeats tensors of an earlier shard")
        tensors.update(part)
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    shutil.copy(shards / "config.json", out / "config.json")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("shards", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    print(merge(args.shards, args.out))


if __name__ == "__main__":
    main()
