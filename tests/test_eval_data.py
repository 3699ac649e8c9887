"""The shipped evaluation set: what the corpus builder makes, answerable, and unseen in training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gmsa_rag.evaluation.qa import read_questions
from gmsa_rag.evaluation.report import DEFAULT_DOCS, DEFAULT_QUESTIONS
from gmsa_rag.io import read_jsonl
from gmsa_rag.training.corpora import build_all

SHIPPED = "enwiki:"  # only the Wikipedia-derived part is shipped (see benchmarks/data/README.md)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_all(tmp_path_factory.mktemp("corpora")).out_dir


def _shipped_lines(path: Path) -> list[str]:
    """The builder's lines whose doc_id is a Wikipedia article, byte for byte and in order."""
    lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
    return [line for line in lines if json.loads(line)["doc_id"].startswith(SHIPPED)]


@pytest.mark.parametrize("name, shipped", [("qa_eval.jsonl", DEFAULT_QUESTIONS), ("qa_eval_docs.jsonl", DEFAULT_DOCS)])
def test_shipped_files_equal_the_builder_output(built, name, shipped):
    expected = "".join(_shipped_lines(built / name)).encode("utf-8")
    assert shipped.read_bytes() == expected


def test_counts_and_answers_are_spans_of_their_document():
    questions = read_questions(DEFAULT_QUESTIONS)
    docs = {d["doc_id"]: d["text"] for d in read_jsonl(DEFAULT_DOCS, ("doc_id", "text"))}
    assert len(questions) >= 150 and len(docs) == 18
    assert len({q["id"] for q in questions}) == len(questions)
    assert all(d.startswith(SHIPPED) for d in docs)
    for q in questions:
        assert q["doc_id"] in docs
        assert all(a and a in docs[q["doc_id"]] for a in q["answers"]), q


def test_disjoint_from_training_data(built):
    docs = {d["doc_id"]: d["text"] for d in read_jsonl(DEFAULT_DOCS, ("doc_id", "text"))}
    qa_train = read_jsonl(built / "qa_train.jsonl", ("doc_id", "context", "distractors"))
    assert not set(docs) & {r["doc_id"] for r in qa_train}
    train_texts = [r["text"] for r in read_jsonl(built / "ae_train.jsonl", ("text",))]
    train_texts += [r["context"] for r in qa_train] + [d for r in qa_train for d in r["distractors"]]
    eval_texts = list(docs.values())
    leaked = [t[:60] for t in set(train_texts) if any(t in doc for doc in eval_texts)]
    assert leaked == []
    # the substring test does find passages of these documents: most held-out Wikipedia passages
    heldout = read_jsonl(built / "ae_heldout.jsonl", ("text",))
    assert sum(any(r["text"] in doc for doc in eval_texts) for r in heldout) > 300
