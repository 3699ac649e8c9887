"""Extractive QA examples: :func:`qa_from_passage` and :func:`qa_examples`.

Per article: the biography subject (if any), proper-noun evidence and the lead sentence.
Per passage: every template runs on every sentence; the best questions, one per
sentence and answer, are kept. Per split: ambiguous questions are dropped, held-out
facts a training passage also states are dropped, and distractor passages attached.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import replace
from functools import lru_cache
from typing import Iterable

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.documents import (
    DEFAULT_HELDOUT_FRACTION,
    DEFAULT_SPLIT_SALT,
    _documents_of_split,
)
from gmsa_rag.training.corpora.passages import (
    _JUNK,
    _validate_lengths,
    make_passages,
    split_sentences,
)
from gmsa_rag.training.corpora.qa_phrasing import _SentenceView
from gmsa_rag.training.corpora.qa_templates import _TEMPLATES
from gmsa_rag.training.corpora.qa_vocab import _DATE, _PRONOUNS
from gmsa_rag.training.corpora.records import Article, Passage, QAExample


# --------------------------------------------------------------------------------------
# What an article tells every template
# --------------------------------------------------------------------------------------


def _person_name(article: Article) -> str | None:
    """The subject of a biography (its title without a "(...)" suffix), else ``None``.

    A biography's lead sentence carries "(born ...)" or "(DATE – DATE)" and its lead
    talks about he/she more than it.
    """
    if not article.source.startswith("wikipedia"):
        return None
    lead = article.text[:3000]
    first = split_sentences(lead.split("\n\n")[0])[:1]
    if not first:
        return None
    if not re.search(rf"\((?:[^()]*?; )?(?:born |b\. )?{_DATE}\s*[–—-]\s*{_DATE}\)|\(born ", first[0]):
        return None
    personal = len(re.findall(r"\b(?:he|she|his|her|him)\b", lead, re.I))
    neuter = len(re.findall(r"\b(?:it|its)\b", lead, re.I))
    return re.sub(r"\s*\(.*\)$", "", article.title) if personal >= 3 and personal > neuter else None


def _proper_words(article: Article) -> frozenset[str]:
    """Words the article capitalises somewhere other than at the start of a sentence."""
    words: set[str] = set()
    for sentence in split_sentences(article.text):
        for w in sentence.split()[1:]:
            w = w.strip(",.;:'’\"()!?")
            if w[:1].isupper() and w.lower() not in _PRONOUNS and w not in {"I"}:
                words.add(w)
    return frozenset(words)


def _resolve_pronoun(sentence: str, previous: str, person: str | None) -> str:
    """On a biography page, replace a leading "He"/"She"/"His"/"Her" by the subject.

    Only when the previous sentence names the subject (its surname).
    """
    if not person or not previous:
        return sentence
    m = re.match(r"^(He|She|His|Her) ", sentence)
    if not m or person.split()[-1] not in previous:
        return sentence
    replacement = person + ("'s" if m.group(1) in {"His", "Her"} else "")
    return replacement + sentence[len(m.group(1)):]


@lru_cache(maxsize=64)
def _article_facts(article: Article) -> tuple[str | None, frozenset[str], str]:
    """(biography subject or None, proper-noun evidence, lead sentence), once per article."""
    first = split_sentences(article.text.split("\n\n")[0])[:1]
    return _person_name(article), _proper_words(article), first[0] if first else ""


# --------------------------------------------------------------------------------------
# Questions from one passage
# --------------------------------------------------------------------------------------


def _tidy_answer(answer: str) -> str:
    """Strip an answer's edge punctuation; keep a final period only after an initial or "c."."""
    answer = answer.strip().rstrip(",;:")
    if answer.endswith(".") and not re.search(r"\b[A-Z]\.$|\bc\.$", answer):
        answer = answer[:-1]
    return answer


def _question_ok(question: str | None, answer: str) -> bool:
    """A usable question: ends with "?", 3-40 words, balanced, not giving the answer away."""
    if not question:
        return False
    q = question.strip()
    if not q.endswith("?") or not 3 <= len(q.split()) <= 40:
        return False
    if not answer.strip() or answer.lower() in q.lower():
        return False
    if len(answer.split()) > 10 or _JUNK.search(q) or re.search(r"[a-z]{2}\.[A-Z][a-z]", q):
        return False  # (the last: two sentences glued without a space in the source)
    return q.count("(") == q.count(")")


def _qa_id(doc_id: str, question: str, answer: str) -> str:
    """A stable id from the document, question and answer."""
    return "qa-" + hashlib.sha1(f"{doc_id}\x1f{question}\x1f{answer}".encode("utf-8")).hexdigest()[:12]


def _candidates(passage: Passage, article: Article) -> list[tuple[int, int, str, str, str]]:
    """Every template's usable questions on every sentence of ``passage``.

    Returns ``(template priority, sentence index, question, answer, template name)``,
    sorted by priority, then sentence.
    """
    person, proper, lead = _article_facts(article)
    found: list[tuple[int, int, str, str, str]] = []
    previous = ""
    for s_index, sentence in enumerate(split_sentences(passage.text)):
        view = _SentenceView(
            text=_resolve_pronoun(sentence, previous, person),
            title=article.title,
            person=person,
            proper=proper,
            is_lead=sentence == lead and passage.passage_id.endswith("#p0"),
            is_news=article.source.startswith("abc-news"),
        )
        previous = view.text
        for priority, template in enumerate(_TEMPLATES):
            for question, answer, name in template(view):
                answer = _tidy_answer(answer)
                if answer and answer in sentence and _question_ok(question, answer):
                    found.append((priority, s_index, question, answer, name))
    found.sort(key=lambda t: (t[0], t[1]))
    return found


def qa_from_passage(passage: Passage, article: Article, max_per_passage: int = 3) -> list[QAExample]:
    """Template questions whose answers are spans of ``passage.text`` (no distractors).

    The best candidates are kept, at most one per sentence and one per answer, so the
    questions spread over the passage.
    """
    if passage.doc_id != article.doc_id:
        raise InputError(f"passage {passage.passage_id!r} does not come from {article.doc_id!r}")
    return _best_questions(_candidates(passage, article), passage.text, article.doc_id, max_per_passage)


def _best_questions(
    candidates: list[tuple[int, int, str, str, str]], context: str, doc_id: str, max_per_passage: int
) -> list[QAExample]:
    """The first ``max_per_passage`` candidates (sorted best first), at most one per sentence
    and one per answer, so the questions spread over the passage."""
    out: list[QAExample] = []
    used_answers: set[str] = set()
    used_sentences: set[int] = set()
    for _, s_index, question, answer, name in candidates:
        if len(out) >= max_per_passage:
            break
        if answer in used_answers or s_index in used_sentences:
            continue  # spread the questions over the passage
        used_answers.add(answer)
        used_sentences.add(s_index)
        assert answer in context
        out.append(QAExample(
            id=_qa_id(doc_id, question, answer),
            question=question,
            answers=[answer],
            context=context,
            doc_id=doc_id,
            template=name,
        ))
    return out


# --------------------------------------------------------------------------------------
# Questions for a split
# --------------------------------------------------------------------------------------


def _pick_distractors(
    example: QAExample, pool: list[Passage], seed: int, n_range: tuple[int, int]
) -> list[str]:
    """``n_range`` passages' texts from other documents of the pool that lack the answer.

    Drawn by a ``random.Random`` seeded from ``seed`` and the example id.
    """
    rng = random.Random(f"{seed}:{example.id}")
    n = rng.randint(*n_range)
    chosen: list[str] = []
    used_docs = {example.doc_id}
    for _ in range(50 * max(n, 1)):
        if len(chosen) >= n or not pool:
            break
        p = pool[rng.randrange(len(pool))]
        if p.doc_id in used_docs or any(a in p.text for a in example.answers):
            continue
        used_docs.add(p.doc_id)
        chosen.append(p.text)
    return chosen


_QUESTION_STOPWORDS = frozenset(
    "the a an of in on at to for by with and or is was were are what who whom when where how "
    "many year date percentage which did does do from as that this it its has have had be "
    "after says said".split()
)


class _FactIndex:
    """Passages indexed by word, to ask: does any passage state this QA example's fact?

    A passage states it when it holds the answer and at least ``overlap`` of the
    question's content words.
    """

    def __init__(self, texts: Iterable[str], overlap: float = 0.6) -> None:
        self.texts = list(texts)
        self.overlap = overlap
        self.by_word: dict[str, list[int]] = {}
        for i, text in enumerate(self.texts):
            for w in set(re.findall(r"[a-z][\w'-]+", text.lower())):
                self.by_word.setdefault(w, []).append(i)

    def states(self, example: QAExample) -> bool:
        """Whether some indexed passage holds the answer and enough question words."""
        words = {w for w in re.findall(r"[a-z][\w'-]+", example.question.lower())
                 if w not in _QUESTION_STOPWORDS}
        hits: dict[int, int] = {}
        for w in words:
            for i in self.by_word.get(w, ()):
                hits[i] = hits.get(i, 0) + 1
        need = self.overlap * len(words)
        return any(k >= need and any(a in self.texts[i] for a in example.answers)
                   for i, k in hits.items())


def _check_qa_options(max_per_passage: int, distractors: tuple[int, int]) -> None:
    """Raise InputError for a non-positive ``max_per_passage`` or a bad distractor range."""
    if not isinstance(max_per_passage, int) or max_per_passage < 1:
        raise InputError(f"max_per_passage must be a positive integer, got {max_per_passage!r}")
    lo, hi = distractors
    if not 0 <= lo <= hi:
        raise InputError(f"distractors must be (min, max) with 0 <= min <= max, got {distractors!r}")


def _passages_and_questions(
    split: str, lengths: tuple[int, int, int], max_per_passage: int, heldout_fraction: float,
    salt: str,
) -> tuple[list[Passage], list[QAExample]]:
    """All passages of a split and the questions of each, in document order."""
    passages: list[Passage] = []
    raw: list[QAExample] = []
    for doc in _documents_of_split(split, heldout_fraction, salt):
        doc_passages = make_passages(doc, *lengths)
        passages.extend(doc_passages)
        for passage in doc_passages:
            raw.extend(qa_from_passage(passage, doc, max_per_passage))
    return passages, raw


def _unseen_in_train(
    examples: list[QAExample], lengths: tuple[int, int, int], heldout_fraction: float, salt: str
) -> list[QAExample]:
    """Drop held-out questions whose fact is also stated in a training passage.

    The news files cover the same stories several times.
    """
    train_docs = _documents_of_split("train", heldout_fraction, salt)
    seen_in_train = _FactIndex(p.text for d in train_docs for p in make_passages(d, *lengths))
    return [ex for ex in examples if not seen_in_train.states(ex)]


def _unambiguous(examples: list[QAExample]) -> list[QAExample]:
    """Drop questions asked with different answers; keep the first of identical ones."""
    answers_of: dict[str, set[str]] = {}
    for ex in examples:
        answers_of.setdefault(ex.question.lower(), set()).add(ex.answers[0].lower())
    out: list[QAExample] = []
    seen: set[str] = set()
    for ex in examples:
        key = ex.question.lower()
        if len(answers_of[key]) > 1 or key in seen:
            continue
        seen.add(key)
        out.append(ex)
    return out


def qa_examples(
    split: str,
    min_words: int = 60,
    target_words: int = 100,
    max_words: int = 200,
    max_per_passage: int = 3,
    distractors: tuple[int, int] = (1, 3),
    seed: int = 0,
    heldout_fraction: float = DEFAULT_HELDOUT_FRACTION,
    salt: str = DEFAULT_SPLIT_SALT,
) -> list[QAExample]:
    """Extractive QA examples for one split, built by rule-based templates.

    The context of an example is the passage (as in :func:`autoencoder_passages`) holding
    the answer; ``distractors`` gives how many other passages (min, max) to attach, drawn
    from other documents of the same split. A question asked twice in a split with
    different answers is dropped (ambiguous); with the same answer it is kept once.
    Held-out questions whose fact a training passage also states (the answer plus 60%
    of the question's content words) are dropped, so evaluation facts are unseen.
    """
    _validate_lengths(min_words, target_words, max_words)
    _check_qa_options(max_per_passage, distractors)
    lengths = (min_words, target_words, max_words)
    passages, raw = _passages_and_questions(split, lengths, max_per_passage, heldout_fraction, salt)
    if split == "heldout":
        raw = _unseen_in_train(raw, lengths, heldout_fraction, salt)
    lo, hi = distractors
    return [
        replace(ex, distractors=_pick_distractors(ex, passages, seed, (lo, hi)) if hi > 0 else [])
        for ex in _unambiguous(raw)
    ]
