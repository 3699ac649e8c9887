"""Stage-1 mix for v7: the bundled ae_train + N passages (seed 10) from the train-split
documents of the documentation sources converted so far (the build's conversion cache),
packed as the build packs them (make_passages, DOC_JUNK, the build's split rule; no duplicate
removal), and the documentation evaluation draw: 48 passages (seed 82) of held-out-split
documents.

    python make_mix.py CACHE_DIR BUNDLED_AE_TRAIN OUT_DIR N
writes OUT_DIR/mix.jsonl and OUT_DIR/docs_eval.jsonl ({"text"} JSONL)."""
import glob
import gzip
import json
import random
import sys
from pathlib import Path

from gmsa_rag.training.corpora.doc_corpus import DOCS_HELDOUT_FRACTION, DOCS_SPLIT_SALT
from gmsa_rag.training.corpora.documents import split_of
from gmsa_rag.training.corpora.passages import DOC_JUNK, make_passages
from gmsa_rag.training.corpora.records import Article


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for t in rows:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")


cache, bundled_path, out, n = sys.argv[1:]
out = Path(out)
passages = {"train": [], "heldout": []}
files = sorted(glob.glob(f"{cache}/converted/*.jsonl.gz"))
for path in files:
    source = path.rsplit("/", 1)[1].rsplit("-", 1)[0]
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            if "doc_id" not in doc:  # the head record {"files": N}
                continue
            a = Article(doc_id=doc["doc_id"], title=doc["title"], text="\n\n".join(doc["paragraphs"]),
                        source=source, license="")
            split = split_of(a, DOCS_HELDOUT_FRACTION, DOCS_SPLIT_SALT)
            passages[split].extend(p.text for p in make_passages(a, junk=DOC_JUNK))
with open(bundled_path, encoding="utf-8") as f:
    bundled = [json.loads(line)["text"] for line in f if line.strip()]
pick = random.Random(10).sample(passages["train"], int(n))
write(out / "mix.jsonl", bundled + pick)
write(out / "docs_eval.jsonl", random.Random(82).sample(passages["heldout"], 48))
print(len(files), "sources;", len(passages["train"]), "train and", len(passages["heldout"]),
      "held-out passages; mix", len(bundled), "+", len(pick))
