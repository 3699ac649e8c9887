"""Files: :func:`write_jsonl` and :func:`build_all`, which writes every corpus file.

:func:`build_all` writes the autoencoder passages, the QA examples and the retrieval
evaluation files for both splits, and returns the counts that ``DATA_CARD.md`` reports.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Iterable

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.documents import (
    DEFAULT_HELDOUT_FRACTION,
    DEFAULT_SPLIT_SALT,
    SPLITS,
    _documents_of_split,
)
from gmsa_rag.training.corpora.passages import autoencoder_passages
from gmsa_rag.training.corpora.qa import qa_examples
from gmsa_rag.training.corpora.records import BuildSummary, QAExample


def write_jsonl(records: Iterable[object], path: str | Path) -> int:
    """Write one JSON object per line (dataclasses are converted); returns the count.

    Keys are written in field order, non-ASCII text as UTF-8, so the same records give
    byte-identical files.
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise InputError(f"cannot write JSONL to a directory: {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for record in records:
            if hasattr(record, "__dataclass_fields__"):
                record = asdict(record)
            if not isinstance(record, dict):
                raise InputError(f"a JSONL record must be a dict or dataclass, got {type(record).__name__}")
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(path)
    return n


_FILE_NAMES = ("ae_train", "ae_heldout", "qa_train", "qa_heldout", "qa_eval_docs", "qa_eval")


def _qa_record(ex: QAExample) -> dict:
    """A QA example as a training record (every field)."""
    return {
        "id": ex.id, "question": ex.question, "answers": ex.answers, "context": ex.context,
        "doc_id": ex.doc_id, "distractors": ex.distractors, "template": ex.template,
    }


def _qa_eval_record(ex: QAExample) -> dict:
    """A QA example as an evaluation record: no context, the retriever must find it."""
    return {"id": ex.id, "question": ex.question, "answers": ex.answers, "doc_id": ex.doc_id}


def _prepare_out_dir(out_dir: str | Path) -> Path:
    """``out_dir`` as a Path, created if missing; InputError if it is a file."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"out_dir exists and is not a directory: {str(out)!r}")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _template_counts(qa: list[QAExample]) -> dict[str, int]:
    """How many examples each template made, by template name."""
    tc: dict[str, int] = {}
    for ex in qa:
        tc[ex.template] = tc.get(ex.template, 0) + 1
    return dict(sorted(tc.items()))


def _write_split(
    split: str, files: dict[str, Path], counts: dict[str, int], lengths: dict[str, int],
    seed: int, heldout_fraction: float,
) -> list[QAExample]:
    """Write a split's autoencoder and QA files, record their counts; return the QA."""
    passages = autoencoder_passages(split, heldout_fraction=heldout_fraction, **lengths)
    counts[f"ae_{split}"] = write_jsonl(({"text": p.text} for p in passages), files[f"ae_{split}"])
    counts[f"ae_{split}_words"] = sum(p.n_words for p in passages)
    qa = qa_examples(split, seed=seed, heldout_fraction=heldout_fraction, **lengths)
    counts[f"qa_{split}"] = write_jsonl((_qa_record(ex) for ex in qa), files[f"qa_{split}"])
    counts[f"qa_{split}_docs"] = len({ex.doc_id for ex in qa})
    return qa


def _write_eval_files(
    qa: list[QAExample], files: dict[str, Path], counts: dict[str, int], heldout_fraction: float
) -> None:
    """Write the retrieval corpus (every held-out document) and the held-out questions."""
    docs = _documents_of_split("heldout", heldout_fraction, DEFAULT_SPLIT_SALT)
    counts["qa_eval_docs"] = write_jsonl(
        ({"doc_id": d.doc_id, "text": d.text} for d in docs), files["qa_eval_docs"])
    counts["qa_eval"] = write_jsonl((_qa_eval_record(ex) for ex in qa), files["qa_eval"])


def build_all(
    out_dir: str | Path,
    min_words: int = 60,
    target_words: int = 100,
    max_words: int = 200,
    seed: int = 0,
    heldout_fraction: float = DEFAULT_HELDOUT_FRACTION,
) -> BuildSummary:
    """Write every training/evaluation file into ``out_dir`` and return the counts.

    Files: ``ae_train.jsonl``/``ae_heldout.jsonl`` (``{"text"}``), ``qa_train.jsonl``/
    ``qa_heldout.jsonl`` (``{"id","question","answers","context","doc_id","distractors",
    "template"}``), ``qa_eval_docs.jsonl`` (``{"doc_id","text"}``: every held-out document,
    the retrieval corpus) and ``qa_eval.jsonl`` (``{"id","question","answers","doc_id"}``).
    The same inputs give byte-identical files.
    """
    start = time.perf_counter()
    out = _prepare_out_dir(out_dir)
    lengths = dict(min_words=min_words, target_words=target_words, max_words=max_words)
    files = {name: out / f"{name}.jsonl" for name in _FILE_NAMES}
    counts: dict[str, int] = {}
    template_counts: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        qa = _write_split(split, files, counts, lengths, seed, heldout_fraction)
        template_counts[split] = _template_counts(qa)
        if split == "heldout":
            _write_eval_files(qa, files, counts, heldout_fraction)
    for split in SPLITS:
        docs = _documents_of_split(split, heldout_fraction, DEFAULT_SPLIT_SALT)
        counts[f"docs_{split}"] = len(docs)
    return BuildSummary(
        out_dir=out, files=files, counts=counts, template_counts=template_counts,
        seconds=time.perf_counter() - start,
    )
