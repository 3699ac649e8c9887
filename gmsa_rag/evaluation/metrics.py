"""Scores for question answering and reconstruction: pure functions on strings, no torch.

QA (DESIGN.md §2, §6), all in [0, 1]:

* :func:`normalize_answer` is the official SQuAD v1.1 ``normalize_answer``: lower-case,
  drop every ``string.punctuation`` character, replace the whole words ``a``/``an``/``the``
  with a space, collapse whitespace. Punctuation is removed *before* articles, so
  ``"the-cat"`` -> ``"thecat"`` keeps its article, exactly like the official script.
* :func:`exact_match` / :func:`f1` are the script's ``exact_match_score`` / ``f1_score``,
  maximised over the gold answers. As in v1.1, F1 is 0 whenever no token is shared (so an
  empty prediction scores F1 0 even against a gold that normalises to empty, while EM of
  two empty normalised strings is 1).
* :func:`substring_accuracy`: a normalised gold occurs (as a character substring) in the
  normalised prediction; a gold that normalises to the empty string never matches.
* :func:`clean_answer` turns raw generated text into the answer that is scored.

Reconstruction:

* :func:`corpus_bleu`: sacrebleu's corpus BLEU with its defaults (13a tokenizer, exp
  smoothing), on sacrebleu's **0-100 scale**. Texts with no 4-gram score 0.
* :func:`rouge_l`: mean ROUGE-L F-measure of rouge-score (its default tokenizer: lower-case,
  runs of ``[a-z0-9]`` only; no stemming), in [0, 1].
* :func:`prefix_em` / :func:`prefix_match` / :func:`prefix_ratio`: exact reproduction of the
  beginning of the reference, on whitespace tokens (``str.split()``, case- and
  punctuation-sensitive), in [0, 1].

sacrebleu and rouge-score are imported when first used (they are in the ``train`` extra).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from gmsa_rag.errors import InputError

# ------------------------------------------------------------------ SQuAD normalisation

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalisation: lower, remove punctuation, remove articles, fix whitespace.

    >>> normalize_answer("The  Cat!")
    'cat'
    """
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _golds(golds: str | Sequence[str]) -> list[str]:
    """A single gold string or a non-empty sequence of them -> list."""
    if isinstance(golds, str):
        return [golds]
    golds = list(golds)
    if not golds:
        raise InputError("no gold answers given: a question needs at least one gold answer to be scored")
    for gold in golds:
        if not isinstance(gold, str):
            raise InputError(f"gold answers must be strings, got {gold!r}")
    return golds


def _exact_match_one(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def _f1_one(prediction: str, gold: str) -> float:
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    common = Counter(pred_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred_tokens)
    recall = same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, golds: str | Sequence[str]) -> float:
    """1.0 if the normalised prediction equals some normalised gold answer, else 0.0."""
    return max(_exact_match_one(prediction, g) for g in _golds(golds))


def f1(prediction: str, golds: str | Sequence[str]) -> float:
    """SQuAD token F1 (bag of normalised tokens), the max over the gold answers."""
    return max(_f1_one(prediction, g) for g in _golds(golds))


def substring_accuracy(prediction: str, golds: str | Sequence[str]) -> float:
    """1.0 if some non-empty normalised gold occurs in the normalised prediction, else 0.0.

    The match is a character substring of the normalised strings (``"paris"`` is found in
    ``"in paris france"``, and also in ``"parisian"``), as the paper's "accuracy" is usually
    computed.
    """
    pred = normalize_answer(prediction)
    return float(any(g and g in pred for g in (normalize_answer(x) for x in _golds(golds))))


# ------------------------------------------------------------------ answer cleaning

STOP_STRINGS: tuple[str, ...] = (
    "Question:",
    "Context:",
    "<|im_end|>",
    "<|im_start|>",
    "<|endoftext|>",
    "</s>",
)
_ANSWER_LABEL = re.compile(r"^\s*answer\s*:\s*", re.IGNORECASE)


def clean_answer(text: str, stop_strings: Sequence[str] = STOP_STRINGS) -> str:
    """The answer that gets scored, from raw generated text. The rule, in order:

    1. cut the text at the earliest occurrence of any stop string (``STOP_STRINGS``: the
       start of a new ``Question:``/``Context:`` block, on the same line or a later one, or
       a chat/EOS marker that leaked into the text);
    2. keep the first line that is not blank;
    3. strip surrounding whitespace, then a leading ``Answer:`` label (any case), then
       whitespace again.

    >>> clean_answer("\\n  Answer: Paris.\\nQuestion: and Rome?")
    'Paris.'
    """
    cut = len(text)
    for stop in stop_strings:
        if stop:
            at = text.find(stop)
            if at != -1:
                cut = min(cut, at)
    text = text[:cut]
    first = next((line for line in text.splitlines() if line.strip()), "")
    return _ANSWER_LABEL.sub("", first.strip()).strip()


# ------------------------------------------------------------------ reconstruction

def _check_pairs(predictions: Sequence[str], references: Sequence[str]) -> None:
    if isinstance(predictions, str) or isinstance(references, str):
        raise InputError("predictions and references must be sequences of strings, not a single string")
    if len(predictions) != len(references):
        raise InputError(f"{len(predictions)} predictions but {len(references)} references")
    if not predictions:
        raise InputError("nothing to score: no predictions")


def corpus_bleu(predictions: Sequence[str], references: Sequence[str]) -> float:
    """sacrebleu corpus BLEU (13a tokenizer, exp smoothing), **0-100 scale**; one reference each."""
    import sacrebleu

    _check_pairs(predictions, references)
    return float(sacrebleu.corpus_bleu(list(predictions), [list(references)]).score)


_ROUGE_SCORER = None


def rouge_l_one(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure (rouge-score, no stemming) of one prediction, in [0, 1]."""
    global _ROUGE_SCORER
    if _ROUGE_SCORER is None:
        from rouge_score import rouge_scorer

        _ROUGE_SCORER = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    return float(_ROUGE_SCORER.score(reference, prediction)["rougeL"].fmeasure)


def rouge_l(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Mean per-example ROUGE-L F-measure, in [0, 1]."""
    _check_pairs(predictions, references)
    return sum(rouge_l_one(p, r) for p, r in zip(predictions, references)) / len(predictions)


def prefix_match(prediction: str, reference: str, n_tokens: int) -> bool:
    """Whether the prediction starts with the reference's first ``n_tokens`` whitespace tokens.

    Tokens are ``str.split()`` pieces compared exactly (case and punctuation count). A
    reference shorter than ``n_tokens`` must be reproduced in full (its tokens form a prefix
    of the prediction's); extra prediction tokens after the prefix do not matter. An empty
    reference matches any prediction.
    """
    if isinstance(n_tokens, bool) or not isinstance(n_tokens, int) or n_tokens < 1:
        raise InputError(f"n_tokens must be an integer >= 1, got {n_tokens!r}")
    want = reference.split()[:n_tokens]
    return prediction.split()[: len(want)] == want


def prefix_em(predictions: str | Sequence[str], references: str | Sequence[str], n_tokens: int) -> float:
    """Prefix exact match: the fraction of examples whose reference's first ``n_tokens``
    whitespace tokens the prediction reproduces exactly at its start (see :func:`prefix_match`).

    Two strings score one example (0.0 or 1.0); two equal-length sequences give the fraction.
    """
    if isinstance(predictions, str) and isinstance(references, str):
        return float(prefix_match(predictions, references, n_tokens))
    _check_pairs(predictions, references)  # type: ignore[arg-type]
    return sum(prefix_match(p, r, n_tokens) for p, r in zip(predictions, references)) / len(predictions)


def prefix_ratio(prediction: str, reference: str) -> float:
    """Length of the longest common whitespace-token prefix / number of reference tokens, in [0, 1].

    1.0 means the whole reference was reproduced from the start (an empty reference gives 1.0).
    """
    ref = reference.split()
    if not ref:
        return 1.0
    same = 0
    for p, r in zip(prediction.split(), ref):
        if p != r:
            break
        same += 1
    return same / len(ref)


# ------------------------------------------------------------------ summary statistics

def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (q in [0, 100]) with linear interpolation between closest ranks
    (numpy's default ``method="linear"``)."""
    if not 0 <= q <= 100:
        raise InputError(f"percentile q must be in [0, 100], got {q!r}")
    data = sorted(float(v) for v in values)
    if not data:
        raise InputError("percentile of an empty sequence")
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    """The 50th percentile (mean of the two middle values for an even count)."""
    return percentile(values, 50)


# ------------------------------------------------------------------ aggregated results

@dataclass(frozen=True)
class QAScores:
    """Mean QA scores over ``n`` questions, each in [0, 1]."""

    n: int
    em: float
    f1: float
    accuracy: float  # substring accuracy

    def to_dict(self) -> dict:
        return asdict(self)


def score_qa(predictions: Sequence[str], golds: Sequence[Sequence[str]]) -> QAScores:
    """Mean EM, F1 and substring accuracy; ``golds[i]`` holds question i's gold answers.

    Predictions are scored as given: apply :func:`clean_answer` first when they are raw
    generations.
    """
    if isinstance(predictions, str):
        raise InputError("predictions must be a sequence of strings, not a single string")
    if len(predictions) != len(golds):
        raise InputError(f"{len(predictions)} predictions but {len(golds)} gold answer lists")
    if not predictions:
        raise InputError("nothing to score: no predictions")
    n = len(predictions)
    return QAScores(
        n=n,
        em=sum(exact_match(p, g) for p, g in zip(predictions, golds)) / n,
        f1=sum(f1(p, g) for p, g in zip(predictions, golds)) / n,
        accuracy=sum(substring_accuracy(p, g) for p, g in zip(predictions, golds)) / n,
    )


DEFAULT_PREFIX_TOKENS = 16


@dataclass(frozen=True)
class ReconstructionScores:
    """Reconstruction scores over ``n`` texts.

    bleu: sacrebleu corpus BLEU, **0-100**. rouge_l: mean ROUGE-L F, [0, 1].
    prefix_em: fraction of texts whose first ``prefix_tokens`` whitespace tokens are
    reproduced exactly, [0, 1]. prefix_ratio: mean longest-common-prefix ratio, [0, 1].
    exact: fraction of texts reproduced exactly (whitespace tokens), [0, 1].
    """

    n: int
    bleu: float
    rouge_l: float
    prefix_em: float
    prefix_tokens: int
    prefix_ratio: float
    exact: float
    per_example_rouge_l: list[float] = field(default_factory=list, repr=False, compare=False)
    per_example_prefix_ratio: list[float] = field(default_factory=list, repr=False, compare=False)

    def to_dict(self, per_example: bool = False) -> dict:
        out = {k: getattr(self, k) for k in ("n", "bleu", "rouge_l", "prefix_em", "prefix_tokens", "prefix_ratio", "exact")}
        if per_example:
            out["per_example_rouge_l"] = list(self.per_example_rouge_l)
            out["per_example_prefix_ratio"] = list(self.per_example_prefix_ratio)
        return out


def score_reconstruction(
    predictions: Sequence[str], references: Sequence[str], prefix_tokens: int = DEFAULT_PREFIX_TOKENS
) -> ReconstructionScores:
    """BLEU, ROUGE-L, prefix-EM at ``prefix_tokens``, prefix ratio and exact reproduction."""
    _check_pairs(predictions, references)
    rouges = [rouge_l_one(p, r) for p, r in zip(predictions, references)]
    ratios = [prefix_ratio(p, r) for p, r in zip(predictions, references)]
    n = len(predictions)
    return ReconstructionScores(
        n=n,
        bleu=corpus_bleu(predictions, references),
        rouge_l=sum(rouges) / n,
        prefix_em=prefix_em(predictions, references, prefix_tokens),
        prefix_tokens=prefix_tokens,
        prefix_ratio=sum(ratios) / n,
        exact=sum(p.split() == r.split() for p, r in zip(predictions, references)) / n,
        per_example_rouge_l=rouges,
        per_example_prefix_ratio=ratios,
    )


__all__ = [
    "DEFAULT_PREFIX_TOKENS",
    "QAScores",
    "ReconstructionScores",
    "STOP_STRINGS",
    "clean_answer",
    "corpus_bleu",
    "exact_match",
    "f1",
    "median",
    "normalize_answer",
    "percentile",
    "prefix_em",
    "prefix_match",
    "prefix_ratio",
    "rouge_l",
    "rouge_l_one",
    "score_qa",
    "score_reconstruction",
    "substring_accuracy",
]
