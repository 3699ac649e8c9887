"""Question answering evaluation: EM / F1 / accuracy, retrieval recall@k, latency.

Documents (``{"doc_id", "text"}`` per line) are indexed once into a collection (reused while
the documents file is unchanged); each question (``{"id", "question", "answers", "doc_id"}``)
is answered with

* ``context="retrieved"``: the top-k chunks of the whole collection (recall@k = the gold
  document is among them), or
* ``context="oracle"``: the top-k chunks of the gold document only,

in ``mode`` gmsa (soft tokens at ``rate``), full (the chunks as text) or closed (nothing).
Predictions are cleaned with :func:`~gmsa_rag.evaluation.metrics.clean_answer` before scoring.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from gmsa_rag.errors import InputError
from gmsa_rag.evaluation.metrics import clean_answer, median, percentile, score_qa
from gmsa_rag.io import read_jsonl
from gmsa_rag.model import GMSAModel, SamplingParams

CONTEXTS = ("oracle", "retrieved")


@dataclass
class QAPrediction:
    id: str
    question: str
    answers: list[str]
    prediction: str
    raw: str
    sources: list[str]
    latency_s: float


@dataclass
class QAResult:
    n: int
    em: float
    f1: float
    accuracy: float
    recall_at_k: float | None
    latency_ms: dict[str, float]
    mode: str
    rate: int | None
    context: str
    top_k: int
    model: str
    predictions: list[QAPrediction] = field(default_factory=list, repr=False)

    def to_dict(self, predictions: bool = False) -> dict:
        data = asdict(self)
        if not predictions:
            data.pop("predictions")
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "QAResult":
        """The inverse of :meth:`to_dict` (predictions optional)."""
        fields = {k: v for k, v in data.items() if k != "predictions"}
        return cls(**fields, predictions=[QAPrediction(**p) for p in data.get("predictions", [])])


def read_questions(path: str | Path, limit: int | None = None) -> list[dict]:
    records = read_jsonl(path, ("id", "question", "answers", "doc_id"), limit=limit)
    for r in records:
        if not isinstance(r["answers"], list) or not r["answers"]:
            raise InputError(f"{path}: question {r['id']!r} needs a non-empty list of answers")
    return records


def eval_collection(model: GMSAModel, docs: str | Path, root: str | Path | None = None):
    """The collection of ``docs``, named by the file's content hash (built on first use)."""
    from gmsa_rag.collection import Collection

    digest = hashlib.sha256(Path(docs).read_bytes()).hexdigest()[:12]
    collection = Collection.open(f"qa-eval-{digest}", model, root=root, create=True)
    if not len(collection.index):
        report = collection.ingest([docs])
        if report.skipped:
            raise InputError(f"{docs}: {report.skipped[0].reason}")
    return collection


def evaluate_qa(
    collection,
    questions: list[dict],
    *,
    mode: str = "gmsa",
    rate: int = 4,
    context: str = "retrieved",
    top_k: int = 4,
    max_new_tokens: int = 32,
    progress: bool = True,
) -> QAResult:
    """Answer every question and score it (see the module docstring)."""
    from gmsa_rag.pipeline import RAGPipeline

    if context not in CONTEXTS:
        raise InputError(f"context must be one of {CONTEXTS}, got {context!r}")
    known = collection.index.documents()
    missing = sorted({q["doc_id"] for q in questions} - set(known))
    if missing:
        raise InputError(f"questions refer to documents that are not in the documents file: {missing[:5]}")
    pipeline = RAGPipeline(collection)
    params = SamplingParams(max_new_tokens=max_new_tokens)
    predictions, found = [], []
    label = f"qa {mode}{f' {rate}x' if mode == 'gmsa' else ''}{'' if mode == 'closed' else f' {context}'}"
    for q in tqdm(questions, desc=label, unit="q", disable=not progress):
        only = q["doc_id"] if context == "oracle" else None
        answer = pipeline.ask(q["question"], mode=mode, rate=rate, top_k=top_k, params=params, doc_id=only)
        sources = [s.doc_id for s in answer.sources]
        found.append(q["doc_id"] in sources)
        predictions.append(QAPrediction(
            q["id"], q["question"], list(q["answers"]), clean_answer(answer.text), answer.text, sources, answer.stats.total_s
        ))
    scores = score_qa([p.prediction for p in predictions], [p.answers for p in predictions])
    latencies = [p.latency_s * 1000 for p in predictions]
    return QAResult(
        n=scores.n, em=scores.em, f1=scores.f1, accuracy=scores.accuracy,
        recall_at_k=sum(found) / len(found) if context == "retrieved" and mode != "closed" else None,
        latency_ms={"median": median(latencies), "p90": percentile(latencies, 90)},
        mode=mode, rate=rate if mode == "gmsa" else None, context=context, top_k=top_k,
        model=collection.model.fingerprint(), predictions=predictions,
    )
