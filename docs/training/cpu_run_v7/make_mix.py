"""Stage-1 mix for v7 and v8: the bundled ae_train + N passages (drawn with SEED; default 10,
v7's; v8 used 12) from the train-split documents of the documentation sources in the build's
conversion cache (:func:`gmsa_rag.training.corpora.doc_corpus.cached_passages`: packed and
split as the build does, no duplicate removal), and the documentation evaluation draw: 48 passages (seed 82) of
held-out-split documents.

    python make_mix.py CACHE_DIR BUNDLED_AE_TRAIN OUT_DIR N [SEED]
writes OUT_DIR/mix.jsonl and OUT_DIR/docs_eval.jsonl ({"text"} JSONL)."""
import random
import sys
from pathlib import Path

from gmsa_rag.io import read_jsonl
from gmsa_rag.training.corpora.build import write_jsonl
from gmsa_rag.training.corpora.doc_corpus import cached_passages

cache, bundled_path, out, n, seed = (sys.argv[1:] + ["10"])[:5]
out = Path(out)
passages = cached_passages(cache)
bundled = [row["text"] for row in read_jsonl(bundled_path, texts=("text",))]
pick = random.Random(int(seed)).sample(passages["train"], int(n))
write_jsonl([{"text": t} for t in bundled + pick], out / "mix.jsonl")
write_jsonl([{"text": t} for t in random.Random(82).sample(passages["heldout"], 48)], out / "docs_eval.jsonl")
print(len(passages["train"]), "train and", len(passages["heldout"]), "held-out passages; mix",
      len(bundled), "+", len(pick))
