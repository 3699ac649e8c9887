"""QA and reconstruction metrics against hand-computed cases."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gmsa_rag.errors import InputError
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
    rouge_l_one,
    score_qa,
    score_reconstruction,
    substring_accuracy,
)

# ------------------------------------------------------------------ normalisation


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The  Cat!", "cat"),
        ("  the\tcat \n", "cat"),
        ("theatre", "theatre"),  # articles only as whole words
        ("Another anthem", "another anthem"),
        ("A Tale of Two Cities", "tale of two cities"),
        ("an apple's core", "apples core"),
        ("The U.S.A.", "usa"),
        ("the-cat", "thecat"),  # punctuation goes first, as in the official script
        ("THE", ""),
        ("", ""),
        ("1,000 km", "1000 km"),
    ],
)
def test_normalize_answer(text, expected):
    assert normalize_answer(text) == expected


# ------------------------------------------------------------------ EM / F1 / accuracy


def test_exact_match_max_over_golds():
    assert exact_match("The Eiffel Tower.", ["Louvre", "eiffel tower"]) == 1.0
    assert exact_match("Eiffel", ["Louvre", "eiffel tower"]) == 0.0
    assert exact_match("paris", "Paris") == 1.0  # a single gold string is accepted


def test_f1_partial_overlap_by_hand():
    # "big red cat" vs "red cat sat": 2 shared tokens, P = 2/3, R = 2/3 -> F1 = 2/3
    assert f1("the big red cat", ["a red cat sat"]) == pytest.approx(2 / 3)
    # "paris france" vs "paris": P = 1/2, R = 1 -> F1 = 2/3
    assert f1("Paris, France", ["Paris"]) == pytest.approx(2 / 3)
    # repeated tokens count once per occurrence: "cat cat" vs "cat" -> P = 1/2, R = 1
    assert f1("cat cat", ["cat"]) == pytest.approx(2 / 3)
    # "cat sat down" vs "cat sat": P = 2/3, R = 1 -> 0.8
    assert f1("the cat sat down", ["cat sat"]) == pytest.approx(0.8)


def test_f1_max_over_golds():
    # vs "dog": 0; vs "red cat sat": 2/3; vs "big red cat": 1
    assert f1("the big red cat", ["dog", "red cat sat"]) == pytest.approx(2 / 3)
    assert f1("the big red cat", ["dog", "red cat sat", "Big red cat!"]) == 1.0


def test_empty_prediction():
    assert exact_match("", ["Paris"]) == 0.0
    assert f1("", ["Paris"]) == 0.0
    assert substring_accuracy("", ["Paris"]) == 0.0


def test_empty_gold_follows_squad_v1_1():
    # a gold that normalises to "": EM compares strings ("" == "" -> 1), F1 needs a shared token (0)
    assert exact_match("", ["the"]) == 1.0
    assert exact_match("a", ["the"]) == 1.0
    assert f1("", ["the"]) == 0.0
    assert exact_match("cat", [""]) == 0.0 and f1("cat", [""]) == 0.0
    # ... and an empty gold never counts as contained in the prediction
    assert substring_accuracy("cat", [""]) == 0.0
    assert substring_accuracy("cat", ["the", "cat"]) == 1.0


def test_no_gold_answers_is_an_error():
    for fn in (exact_match, f1, substring_accuracy):
        with pytest.raises(InputError, match="gold"):
            fn("x", [])


def test_substring_accuracy():
    assert substring_accuracy("He was born in Paris, France.", ["paris"]) == 1.0
    assert substring_accuracy("He was born in Lyon.", ["Paris", "Marseille"]) == 0.0
    assert substring_accuracy("1 April 1947", ["April 1947"]) == 1.0
    assert substring_accuracy("The answer is THE CAT.", ["a cat"]) == 1.0  # both normalised
    assert substring_accuracy("parisian", ["Paris"]) == 1.0  # a character substring


def test_score_qa_by_hand():
    scores = score_qa(["Paris", "the cat sat down", ""], [["paris"], ["cat sat"], ["x"]])
    assert isinstance(scores, QAScores)
    assert scores.n == 3
    assert scores.em == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx((1 + 0.8 + 0) / 3)
    assert scores.accuracy == pytest.approx(2 / 3)
    assert scores.to_dict() == {"n": 3, "em": scores.em, "f1": scores.f1, "accuracy": scores.accuracy}
    json.dumps(scores.to_dict())
    with pytest.raises(InputError):
        score_qa(["a"], [["a"], ["b"]])
    with pytest.raises(InputError):
        score_qa([], [])


def test_score_qa_multiple_golds_and_a_prediction_empty_after_normalisation():
    predictions = ["The Seine.", "the", "river Seine in Paris"]
    golds = [["Thames", "seine"], ["Paris", "France"], ["the Seine", "Seine river"]]
    scores = score_qa(predictions, golds)
    # 1: EM/F1/accuracy 1 via the second gold; 2: "the" normalises to "" -> all 0;
    # 3: EM 0; F1 max("seine": P 1/4 R 1 -> 0.4, "seine river": P 2/4 R 1 -> 2/3) = 2/3; "seine" is contained
    assert scores.em == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx((1 + 0 + 2 / 3) / 3)
    assert scores.accuracy == pytest.approx(2 / 3)


# ------------------------------------------------------------------ answer cleaning


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Paris", "Paris"),
        ("  Paris  ", "Paris"),
        ("\n\n  Paris\nThe capital of France.", "Paris"),  # first non-empty line
        ("Paris\nQuestion: and Rome?", "Paris"),
        ("Paris. Question: and Rome?", "Paris."),  # stop string on the same line
        ("Paris<|im_end|>garbage", "Paris"),
        ("Answer: Paris", "Paris"),
        ("answer :  1 April 1947\nmore", "1 April 1947"),
        ("Question: what?", ""),
        ("", ""),
        ("   \n \n", ""),
    ],
)
def test_clean_answer(raw, expected):
    assert clean_answer(raw) == expected


def test_clean_answer_custom_stops():
    assert clean_answer("Paris ### Rome", stop_strings=["###"]) == "Paris"


# ------------------------------------------------------------------ reconstruction


SENTENCE = "the quick brown fox jumps over the lazy dog near the river bank"


def test_bleu_identical_is_100_and_disjoint_near_0():
    assert corpus_bleu([SENTENCE, "a second sentence with enough words here"],
                       [SENTENCE, "a second sentence with enough words here"]) == pytest.approx(100.0)
    assert corpus_bleu(["seven purple elephants dance quietly under moonlight tonight"], [SENTENCE]) < 1.0
    assert corpus_bleu([""], [SENTENCE]) == 0.0
    with pytest.raises(InputError):
        corpus_bleu(["a"], ["a", "b"])
    with pytest.raises(InputError):
        corpus_bleu(SENTENCE, SENTENCE)  # strings, not lists


def test_rouge_l_by_hand():
    # LCS("the cat sat on the mat", "the cat on the mat") = 5 tokens: P = 5/5, R = 5/6 -> F = 10/11
    assert rouge_l_one("the cat on the mat", "the cat sat on the mat") == pytest.approx(10 / 11)
    assert rouge_l_one(SENTENCE, SENTENCE) == 1.0
    assert rouge_l_one("", SENTENCE) == 0.0
    assert rouge_l(["the cat on the mat", "x"], ["the cat sat on the mat", "y"]) == pytest.approx(5 / 11)


def test_prefix_match_and_em():
    ref = "a b c d e"
    assert prefix_match("a b c x", ref, 3) and not prefix_match("a b c x", ref, 4)
    assert prefix_match("a  b\nc d e f g", ref, 5)  # whitespace tokens, any spacing
    assert prefix_match("a b", "a b", 16)  # short reference: reproduced in full
    assert not prefix_match("a", "a b", 16)
    assert not prefix_match("A b c", ref, 3)  # case counts
    assert not prefix_match("a b, c", "a b c", 3)  # punctuation counts
    assert prefix_em("a b c x", ref, 3) == 1.0  # two strings: one example
    assert prefix_em(["a b c", "a x c", "q"], [ref, ref, ref], 2) == pytest.approx(1 / 3)
    with pytest.raises(InputError):
        prefix_em(["a"], ["a", "b"], 2)
    with pytest.raises(InputError):
        prefix_match("a", "a", 0)


def test_prefix_ratio():
    assert prefix_ratio("a b c x", "a b c d e") == pytest.approx(3 / 5)
    assert prefix_ratio("a b c d e f", "a b c d e") == 1.0
    assert prefix_ratio("x a b", "a b") == 0.0
    assert prefix_ratio("", "a b") == 0.0
    assert prefix_ratio("anything", "") == 1.0


def test_score_reconstruction():
    refs = [SENTENCE, "one two three four five six"]
    perfect = score_reconstruction(refs, refs, prefix_tokens=4)
    assert isinstance(perfect, ReconstructionScores)
    assert (perfect.n, perfect.prefix_tokens) == (2, 4)
    assert perfect.bleu == pytest.approx(100.0)
    assert perfect.rouge_l == perfect.prefix_em == perfect.prefix_ratio == perfect.exact == 1.0
    partial = score_reconstruction([SENTENCE, "one two three four x y"], refs, prefix_tokens=4)
    assert partial.prefix_em == 1.0 and partial.exact == 0.5
    assert partial.prefix_ratio == pytest.approx((1 + 4 / 6) / 2)
    assert partial.per_example_prefix_ratio == pytest.approx([1.0, 4 / 6])
    d = partial.to_dict()
    assert set(d) == {"n", "bleu", "rouge_l", "prefix_em", "prefix_tokens", "prefix_ratio", "exact"}
    assert "per_example_rouge_l" in partial.to_dict(per_example=True)
    json.dumps(partial.to_dict(per_example=True))


# ------------------------------------------------------------------ statistics


def test_percentile_and_median():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert percentile([1, 2, 3, 4], 90) == pytest.approx(3.7)  # numpy's linear method
    assert percentile([1, 2, 3, 4], 0) == 1 and percentile([1, 2, 3, 4], 100) == 4
    assert percentile([5.0], 90) == 5.0
    with pytest.raises(InputError):
        percentile([], 50)
    with pytest.raises(InputError):
        percentile([1], 101)


def test_metrics_import_without_torch():
    code = "import sys, gmsa_rag.evaluation.metrics; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
