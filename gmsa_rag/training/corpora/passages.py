"""Sentences and passages: :func:`split_sentences`, :func:`make_passages`,
:func:`autoencoder_passages` (the stage-1 autoencoder text).

A passage is a greedy run of whole prose sentences from one document, between
``min_words`` and ``max_words`` words, closing at ``target_words`` or a paragraph end.
"""

from __future__ import annotations

import re

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.documents import (
    DEFAULT_HELDOUT_FRACTION,
    DEFAULT_SPLIT_SALT,
    _documents_of_split,
)
from gmsa_rag.training.corpora.records import Article, Passage

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "gen", "gov", "sen", "rep", "col",
    "lt", "capt", "maj", "sgt", "rev", "hon", "mt", "ft", "no", "nos", "vol", "vols", "pp",
    "p", "ed", "eds", "inc", "ltd", "co", "corp", "bros", "vs", "etc", "al", "approx", "ca",
    "c", "cf", "fig", "est", "dept", "univ", "assn", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "op", "viz", "e.g", "i.e", "u.s",
    "u.k", "u.n", "a.d", "b.c", "d.c", "ph.d", "b.a", "m.a", "no", "pty", "cdr", "adm", "v",
    "ave", "blvd", "rd", "bvt", "brig", "lieut", "cmdr", "supt", "insp", "cal", "mich",
    "ont", "gr", "lat", "messrs", "mme", "mlle",
}
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
# a sentence with leftover markup or broken syntax is not used for passages or QA (the QA
# module also rejects questions that match it)
_JUNK = re.compile(r"\{\{|\}\}|\[\[|\]\]|\||<|>|==|\(\s*\)|https?:|\.\.\.\.")


# documentation prose names functions, headers and operators: only wiki markup and URLs go
DOC_JUNK = re.compile(r"\{\{|\}\}|\[\[|\]\]|https?:|\.\.\.\.")


def _is_abbreviation(before: str) -> bool:
    """Whether the word that ends ``before`` (at a period) is an abbreviation or initial."""
    token = before.rsplit(None, 1)[-1] if before.strip() else ""
    token = token.lstrip("(\"'“")
    bare = token.rstrip(".").lower()
    if bare in _ABBREVIATIONS:
        return True
    if re.fullmatch(r"[A-Z]", token.rstrip(".")):  # an initial: "J. R. R. Tolkien"
        return True
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", token.rstrip(".")))  # "U.S."


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; each sentence is an exact substring of ``text``.

    A rule-based splitter: a sentence ends at ``.``, ``!`` or ``?`` (plus closing quotes
    or brackets) followed by whitespace and an upper-case letter or digit, unless the
    word before the period is a known abbreviation or an initial.
    """
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n", text):
        start = 0
        for m in _SENTENCE_END.finditer(paragraph):
            end = m.end()
            if m.group(0)[0] == "." and _is_abbreviation(paragraph[start:m.start() + 1]):
                continue
            piece = paragraph[start:end].strip()
            if piece:
                sentences.append(piece)
            start = end
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def _is_prose_sentence(sentence: str, junk: re.Pattern[str] = _JUNK) -> bool:
    """A usable sentence: 4-80 words, capitalised, properly ended, balanced, nothing ``junk`` matches."""
    words = sentence.split()
    if len(words) < 4 or len(words) > 80:
        return False
    if not sentence[-1] in ".!?\"'”’)":
        return False
    if junk.search(sentence):
        return False
    if sentence.count("(") != sentence.count(")") or sentence.count('"') % 2:
        return False
    return bool(re.match(r"[\"'“‘(]?[A-Z0-9]", sentence))


def _validate_lengths(min_words: int, target_words: int, max_words: int) -> None:
    """Raise InputError unless ``1 <= min_words <= target_words <= max_words`` (integers)."""
    if not (isinstance(min_words, int) and isinstance(target_words, int) and isinstance(max_words, int)):
        raise InputError("min_words, target_words and max_words must be integers")
    if not 1 <= min_words <= target_words <= max_words:
        raise InputError(
            "need 1 <= min_words <= target_words <= max_words, got "
            f"{min_words}, {target_words}, {max_words}"
        )


def _passage_sentence_groups(
    article: Article, min_words: int, target_words: int, max_words: int, junk: re.Pattern[str] = _JUNK
) -> list[list[str]]:
    """Greedy packing of whole prose sentences into passages (lists of sentences).

    A passage closes when it reaches ``target_words``, at a paragraph end once it has
    ``min_words``, or before it would pass ``max_words``; a too-short remainder is
    dropped (a too-long sentence too).
    """
    groups: list[list[str]] = []
    current: list[str] = []
    n = 0

    def close() -> None:
        nonlocal current, n
        if n >= min_words:
            groups.append(current)
        current, n = [], 0

    for paragraph in article.text.split("\n\n"):
        for sentence in split_sentences(paragraph):
            if not _is_prose_sentence(sentence, junk):
                continue
            k = len(sentence.split())
            if k > max_words:
                continue
            if n + k > max_words:
                close()
            current.append(sentence)
            n += k
            if n >= target_words:
                close()
        if n >= min_words:
            close()
    close()
    return groups


def make_passages(
    article: Article, min_words: int = 60, target_words: int = 100, max_words: int = 200,
    junk: re.Pattern[str] = _JUNK,
) -> list[Passage]:
    """Cut one document into passages of whole sentences (``min_words..max_words`` words).

    A sentence that ``junk`` matches is left out: by default markup left over from
    Wikipedia, and code-like text (``<``, ``|``, ``==``, empty parentheses), which the
    documentation corpus allows (:data:`DOC_JUNK`: "open()" and "<stdio.h>" are prose there).
    """
    _validate_lengths(min_words, target_words, max_words)
    return [
        Passage(
            passage_id=f"{article.doc_id}#p{i}",
            doc_id=article.doc_id,
            text=" ".join(group),
            source=article.source,
        )
        for i, group in enumerate(_passage_sentence_groups(article, min_words, target_words, max_words, junk))
    ]


def autoencoder_passages(
    split: str,
    min_words: int = 60,
    target_words: int = 100,
    max_words: int = 200,
    heldout_fraction: float = DEFAULT_HELDOUT_FRACTION,
    salt: str = DEFAULT_SPLIT_SALT,
) -> list[Passage]:
    """Passages of real prose for stage-1 autoencoder pretraining, for one split.

    Deterministic: documents in source order, passages in document order. No document
    contributes to both ``"train"`` and ``"heldout"``.
    """
    _validate_lengths(min_words, target_words, max_words)
    out: list[Passage] = []
    for doc in _documents_of_split(split, heldout_fraction, salt):
        out.extend(make_passages(doc, min_words, target_words, max_words))
    return out

