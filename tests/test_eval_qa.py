"""QA evaluation end to end on a tiny collection: fields, recall, oracle restriction, bad input."""

import json

import pytest

from gmsa_rag.errors import InputError
from gmsa_rag.evaluation.qa import evaluate_qa, read_questions

QUESTIONS = [
    {"id": "q1", "question": "What is the capital of Germany?", "answers": ["Berlin"], "doc_id": "berlin.txt"},
    {"id": "q2", "question": "Which river is in Paris?", "answers": ["the Seine", "Seine"], "doc_id": "paris.txt"},
]


def test_retrieved_context_reports_recall_and_latency(collection):
    result = evaluate_qa(collection, QUESTIONS, top_k=1, max_new_tokens=3, progress=False)
    assert result.n == 2 and result.recall_at_k == 1.0
    assert 0 <= result.em <= result.accuracy <= 1 and 0 <= result.f1 <= 1
    assert result.latency_ms["p90"] >= result.latency_ms["median"] > 0
    assert [p.sources for p in result.predictions] == [["berlin.txt"], ["paris.txt"]]
    assert "predictions" not in result.to_dict() and len(result.to_dict(predictions=True)["predictions"]) == 2


def test_oracle_context_reads_only_the_gold_document(collection):
    result = evaluate_qa(collection, QUESTIONS, context="oracle", top_k=3, max_new_tokens=2, progress=False)
    for prediction, question in zip(result.predictions, QUESTIONS):
        assert set(prediction.sources) == {question["doc_id"]}
    assert result.recall_at_k is None


def test_closed_book_reads_nothing(collection):
    result = evaluate_qa(collection, QUESTIONS, mode="closed", max_new_tokens=2, progress=False)
    assert all(p.sources == [] for p in result.predictions) and result.rate is None


def test_bad_questions_are_refused(collection, tmp_path):
    with pytest.raises(InputError, match="not in the documents"):
        evaluate_qa(collection, [{**QUESTIONS[0], "doc_id": "nope.txt"}], progress=False)
    with pytest.raises(InputError, match="context"):
        evaluate_qa(collection, QUESTIONS, context="magic", progress=False)
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({**QUESTIONS[0], "answers": []}) + "\n")
    with pytest.raises(InputError, match="non-empty list of answers"):
        read_questions(path)
    path.write_text(json.dumps({"id": "x", "question": "y"}) + "\n")
    with pytest.raises(InputError, match="missing keys"):
        read_questions(path)
