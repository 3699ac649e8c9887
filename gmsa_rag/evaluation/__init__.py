"""Evaluation: metrics (EM/F1/accuracy, BLEU/ROUGE-L/prefix-EM) and reconstruction.

``gmsa_rag.evaluation.metrics`` needs no torch; the model-driven evaluations are imported
lazily, so ``from gmsa_rag.evaluation import f1`` stays light.
"""

from __future__ import annotations

from gmsa_rag.evaluation.metrics import (
    QAScores,
    ReconstructionScores,
    clean_answer,
    corpus_bleu,
    exact_match,
    f1,
    median,
    normalize_answer,
    percentile,
    prefix_em,
    prefix_match,
    prefix_ratio,
    rouge_l,
    score_qa,
    score_reconstruction,
    substring_accuracy,
)

_LAZY = {
    "ReconstructionExample": "gmsa_rag.evaluation.reconstruction",
    "ReconstructionResult": "gmsa_rag.evaluation.reconstruction",
    "evaluate_reconstruction": "gmsa_rag.evaluation.reconstruction",
    "read_texts_jsonl": "gmsa_rag.evaluation.reconstruction",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "QAScores",
    "ReconstructionExample",
    "ReconstructionResult",
    "ReconstructionScores",
    "clean_answer",
    "corpus_bleu",
    "evaluate_reconstruction",
    "exact_match",
    "f1",
    "median",
    "normalize_answer",
    "percentile",
    "prefix_em",
    "prefix_match",
    "prefix_ratio",
    "read_texts_jsonl",
    "rouge_l",
    "score_qa",
    "score_reconstruction",
    "substring_accuracy",
]
