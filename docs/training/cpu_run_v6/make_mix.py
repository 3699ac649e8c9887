"""Stage-1 mix for v6: the bundled ae_train + 6,000 passages (seed 9) from train-split documents
of the documentation sources converted so far (the build's conversion cache), packed as the
build packs them (make_passages, DOC_JUNK, same split rule). No duplicate removal (training only)."""
import glob, gzip, json, random, sys
from gmsa_rag.training.corpora.doc_corpus import DOCS_HELDOUT_FRACTION, DOCS_SPLIT_SALT
from gmsa_rag.training.corpora.documents import split_of
from gmsa_rag.training.corpora.passages import DOC_JUNK, make_passages
from gmsa_rag.training.corpora.records import Article
cache, bundled_path, out = sys.argv[1:4]
passages = []
files = sorted(glob.glob(f"{cache}/converted/*.jsonl.gz"))
for path in files:
    source = path.rsplit("/", 1)[1].rsplit("-", 1)[0]
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            if "doc_id" not in doc:
                continue
            a = Article(doc_id=doc["doc_id"], title=doc["title"], text="\n\n".join(doc["paragraphs"]), source=source, license="")
            if split_of(a, DOCS_HELDOUT_FRACTION, DOCS_SPLIT_SALT) != "train":
                continue
            passages.extend(p.text for p in make_passages(a, junk=DOC_JUNK))
bundled = [json.loads(l)["text"] for l in open(bundled_path) if l.strip()]
pick = random.Random(9).sample(passages, 6000)
with open(out, "w") as f:
    for t in bundled + pick:
        f.write(json.dumps({"text": t}) + "\n")
print(len(files), "sources", len(passages), "train passages;", len(bundled), "+", len(pick))
