"""Extractive QA examples from documentation passages: :func:`doc_qa_examples`, :func:`drop_seen`.

The passages are records ``{"text", "source", "doc_id"}`` of one split (man pages, Perl
POD, PostgreSQL and other manuals). Every documentation template
(:data:`~gmsa_rag.training.corpora.qa_doc_templates._DOC_TEMPLATES`) runs on every
sentence; the best questions, one per sentence and answer, are kept per passage, as
:func:`~gmsa_rag.training.corpora.qa.qa_from_passage` does for Wikipedia and news.
Questions asked twice with different answers are dropped, and each example gets
distractor passages from other documents of its own source. Deterministic: no global
RNG; distractors come from a ``random.Random`` seeded by ``seed`` and the example id.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import replace
from typing import Sequence

from tqdm.auto import tqdm

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.passages import split_sentences
from gmsa_rag.training.corpora.qa import (
    _QUESTION_STOPWORDS,
    _best_questions,
    _check_qa_options,
    _FactIndex,
    _pick_distractors,
    _proper_words,
    _question_ok,
    _tidy_answer,
    _unambiguous,
)
from gmsa_rag.training.corpora.qa_doc_phrasing import _DocView
from gmsa_rag.training.corpora.qa_doc_templates import _DOC_TEMPLATES
from gmsa_rag.training.corpora.records import Article, Passage, QAExample

_WORD = re.compile(r"[a-z][\w'-]+")  # a word as _FactIndex reads it
# a source with fewer documents than this draws its distractors from every source
MIN_SOURCE_DOCS = 20

# a sentence that opens with code ("umask() returns ...", "--progress forces ...") is not
# split from the one before by split_sentences, which wants a capital letter
_CODE_START = re.compile(r"(?<=[\w)\]\"'][.!?]) (?=(?:[a-z_]\w*(?:\(\w*\)|_\w+)|-{1,2}[a-z][\w-]*) [a-z])")


def _doc_sentences(text: str) -> list[str]:
    """The sentences of a documentation passage, each an exact substring of ``text``."""
    return [piece for s in split_sentences(text) for piece in _CODE_START.split(s) if piece.strip()]


def _doc_question_ok(question: str, answer: str) -> bool:
    """:func:`~gmsa_rag.training.corpora.qa._question_ok`, except that "()" is a call in a
    manual ("What does umask() return?"), not leftover wiki markup."""
    return _question_ok(question.replace("()", ""), answer) and answer.lower() not in question.lower()


def _doc_title(doc_id: str) -> str:
    """A name for a document from its id: "manpages:usr/share/man/man2/umask.2.gz" -> "umask.2"."""
    name = doc_id.split(":", 1)[-1].split("#", 1)[0].rsplit("/", 1)[-1]
    return re.sub(r"(?:\.(?:gz|html?|pod|info|txt))+$", "", name)


def _records(passages: Sequence[dict]) -> list[Passage]:
    """The passage records as :class:`Passage` objects; InputError for a malformed one."""
    out = []
    for i, p in enumerate(passages):
        if not isinstance(p, dict) or not all(isinstance(p.get(k), str) and p[k] for k in ("text", "source", "doc_id")):
            raise InputError(f"passage {i} must be a dict with non-empty string 'text', 'source' and 'doc_id'")
        out.append(Passage(passage_id=f"{p['doc_id']}#{i}", doc_id=p["doc_id"], text=p["text"], source=p["source"]))
    return out


def _proper_by_doc(passages: list[Passage]) -> dict[str, frozenset[str]]:
    """Per document, the words it capitalises in mid-sentence (proper-noun evidence)."""
    texts: dict[str, list[str]] = {}
    for p in passages:
        texts.setdefault(p.doc_id, []).append(p.text)
    return {
        doc_id: _proper_words(Article(doc_id=doc_id, title="", text="\n\n".join(t), source="", license=""))
        for doc_id, t in texts.items()
    }


def _doc_candidates(passage: Passage, proper: frozenset[str]) -> list[tuple[int, int, str, str, str]]:
    """Every template's usable questions on every sentence of ``passage``.

    Returns ``(template priority, sentence index, question, answer, template name)``,
    sorted by priority, then sentence.
    """
    sentences = _doc_sentences(passage.text)
    title = _doc_title(passage.doc_id)
    found: list[tuple[int, int, str, str, str]] = []
    for s_index, sentence in enumerate(sentences):
        view = _DocView(text=sentence, title=title, person=None, proper=proper, is_lead=False,
                        previous=tuple(sentences[max(0, s_index - 3):s_index]))
        for priority, template in enumerate(_DOC_TEMPLATES):
            for question, answer, name in template(view):
                answer = _tidy_answer(answer)
                if answer and answer in sentence and _doc_question_ok(question, answer):
                    found.append((priority, s_index, question, answer, name))
    found.sort(key=lambda t: (t[0], t[1]))
    return found


def _passage_questions(passage: Passage, proper: frozenset[str], max_per_passage: int) -> list[QAExample]:
    """The best questions of one passage: at most one per sentence and one per answer."""
    return _best_questions(_doc_candidates(passage, proper), passage.text, passage.doc_id, max_per_passage)


def _distractor_pools(passages: list[Passage]) -> dict[str, list[Passage]]:
    """Per source, its passages when it has ``MIN_SOURCE_DOCS`` documents, else every passage."""
    by_source: dict[str, list[Passage]] = {}
    for p in passages:
        by_source.setdefault(p.source, []).append(p)
    return {
        source: pool if len({p.doc_id for p in pool}) >= MIN_SOURCE_DOCS else passages
        for source, pool in by_source.items()
    }


def _with_distractors(
    example: QAExample, pool: list[Passage], everything: list[Passage], seed: int, distractors: tuple[int, int]
) -> QAExample:
    """``example`` with distractors from ``pool``; from every passage if the pool gives too few."""
    if distractors[1] == 0:
        return example
    chosen = _pick_distractors(example, pool, seed, distractors)
    if len(chosen) < distractors[0] and pool is not everything:
        chosen = _pick_distractors(example, everything, seed, distractors)
    return replace(example, distractors=chosen)


def doc_qa_examples(
    passages: Sequence[dict],
    seed: int = 0,
    max_per_passage: int = 2,
    distractors: tuple[int, int] = (1, 3),
    progress: bool = False,
) -> list[QAExample]:
    """Extractive QA examples from the documentation passages of one split.

    ``passages`` are ``{"text", "source", "doc_id"}`` records; each example's context is
    its passage, its answer an exact span of it. At most ``max_per_passage`` questions a
    passage (one per sentence and per answer); a question asked with different answers
    in the split is dropped, one asked twice with the same answer kept once.
    ``distractors`` (min, max) passages are attached, drawn from other documents of the
    same source (of any source where a source has under ``MIN_SOURCE_DOCS`` documents),
    never holding the answer. ``progress`` shows a bar over the passages.
    """
    _check_qa_options(max_per_passage, distractors)
    records = _records(passages)
    proper = _proper_by_doc(records)
    bar = tqdm(records, desc="questions", unit="passage", disable=not progress, leave=False)
    raw = [ex for p in bar for ex in _passage_questions(p, proper[p.doc_id], max_per_passage)]
    source_of = {p.doc_id: p.source for p in records}
    pools = _distractor_pools(records)
    return [
        _with_distractors(ex, pools[source_of[ex.doc_id]], records, seed, distractors)
        for ex in _unambiguous(raw)
    ]


def _content_words(example: QAExample) -> set[str]:
    """The question words :class:`~gmsa_rag.training.corpora.qa._FactIndex` matches on."""
    return {w for w in _WORD.findall(example.question.lower()) if w not in _QUESTION_STOPWORDS}


def _may_state(heldout: list[QAExample], texts: list[str]) -> list[str]:
    """The texts that could state some held-out fact, found without indexing every word.

    A text states a fact only if it holds the answer and ``overlap`` of the question's
    content words, so it holds at least one of that question's rarest ``n - ceil(overlap
    * n) + 1`` words: two passes over the texts (word counts, then where those key words
    are) and an answer check on those texts alone keep this fast on a corpus of hundreds
    of thousands of passages.
    """
    overlap = _FactIndex(()).overlap
    words_of = [_content_words(ex) for ex in heldout]
    frequency: Counter[str] = Counter()
    vocab = set().union(*words_of)
    for text in texts:
        frequency.update(vocab.intersection(_WORD.findall(text.lower())))
    keys_of = [sorted(w, key=lambda x: (frequency[x], x))[:len(w) - math.ceil(overlap * len(w)) + 1] for w in words_of]
    where: dict[str, list[int]] = {w: [] for keys in keys_of for w in keys}
    for i, text in enumerate(texts):
        for w in where.keys() & set(_WORD.findall(text.lower())):
            where[w].append(i)
    found: set[int] = set()
    for ex, keys in zip(heldout, keys_of):
        candidates = {i for w in keys for i in where[w]}
        found.update(i for i in candidates if any(a in texts[i] for a in ex.answers))
    return [texts[i] for i in sorted(found)]


def drop_seen(heldout: list[QAExample], train_passages: Sequence[dict]) -> list[QAExample]:
    """Held-out examples whose fact no training passage states.

    A passage states it when it holds the answer and 60% of the question's content words
    (:class:`~gmsa_rag.training.corpora.qa._FactIndex`); manuals repeat themselves across
    packages and versions, so this keeps evaluation facts unseen.
    """
    seen = _FactIndex(_may_state(heldout, [p["text"] for p in train_passages]))
    return [ex for ex in heldout if not seen.states(ex)]
