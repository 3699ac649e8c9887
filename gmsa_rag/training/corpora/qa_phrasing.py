"""Phrasing questions from sentences: the sentence view and the shared helpers.

:class:`_SentenceView` is what a template sees. :func:`_subject_is_specific` tells
whether a subject names something; :func:`_finish_question` tidies and vets a question;
:func:`_clause` cuts text at the end of its first clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gmsa_rag.training.corpora.qa_vocab import _DISCOURSE, _NOT_SUBJECT_START, _PRONOUNS


@dataclass(frozen=True)
class _SentenceView:
    """A sentence plus what templates may use.

    ``text`` is the sentence used to phrase questions (a leading he/she resolved to the
    subject of a biography when the previous sentence names that person); ``proper``
    holds the article's words seen capitalised in mid-sentence (proper-noun evidence).
    """

    text: str
    title: str
    person: str | None
    proper: frozenset[str]
    is_lead: bool
    is_news: bool = False


def _strip_final(s: str) -> str:
    """``s`` without trailing whitespace and final punctuation (``.!;:,``)."""
    return s.rstrip().rstrip(".!;:,").rstrip()


def _cap(s: str) -> str:
    """``s`` with its first character upper-cased."""
    return s[:1].upper() + s[1:]


def _decap_article(s: str) -> str:
    """A leading article lower-cased for use inside a question: "The aardvark" -> "the aardvark"."""
    return re.sub(r"^(The|A|An) ", lambda m: m.group(1).lower() + " ", s)


def _first_word(s: str) -> str:
    """The first word of ``s``, lower-cased, skipping opening quotes and brackets."""
    m = re.match(r"[\"'“(]*([A-Za-z]+)", s)
    return m.group(1).lower() if m else ""


def _subject_is_specific(subject: str, v: _SentenceView) -> bool:
    """Whether a question's subject names something, so the question can be answered.

    It must hold a word of the article title ("The aardvark" on "Aardvark"), a word the
    article capitalises mid-sentence, or a name of the biography's subject.
    """
    words = [w.strip(",.;:'’\"()") for w in subject.split()]
    words = [w for w in words if w]
    if not words or words[0].lower() in _NOT_SUBJECT_START:
        return False
    if any(w.lower() in _PRONOUNS for w in words[1:]):
        return False
    title_words = {w.lower() for w in re.findall(r"\w+", v.title) if len(w) > 3}
    if any(w[:1].isupper() for w in words[1:]):
        return True  # capitalised after the first word: "The Federal Government"
    for w in words:
        if w.lower() in {"the", "a", "an", "of", "and"}:
            continue
        if w.lower() in title_words or (w[:1].isupper() and w in v.proper):
            return True
        if v.person and w in v.person.split():
            return True
    return False


_AUXILIARIES = {"is", "are", "was", "were", "has", "have", "had", "did", "does", "do", "be", "been"}
_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|do|does|did|can|could|will|would|shall|"
    r"should|may|might|must|[a-z]{3,}ed|became|become|began|begun|came|went|made|took|"
    r"gave|won|lost|left|fell|rose|grew|ran|found|held|led|met|paid|sold|told|wrote|got|saw|"
    r"knew|built|brought|bought|thought|taught|fought|sent|spent|kept|felt|stood|chose|drew|"
    r"flew|spoke|threw|broke|struck|laid|said|says|set|put|hit|let|spread|beat|cost|sat|"
    r"won|bore|born|dug|shot|sank|sang|stole|swept|wore|overtook|undertook|includes|"
    r"produces|makes|takes|uses|gives|comes|becomes|causes|requires|provides|receives|"
    r"contains|consumes|describes|ranges|continues|remains|lives|leaves|loses|serves|"
    r"believes|argues|goes|accounts|reaches|holds|runs|grows|shows|means|stands|lies)\b"
)


def _finish_question(q: str) -> str | None:
    """Shared tidy-up of a question, or ``None`` to reject it.

    Drops a discourse opener ("However, "), capitalises, ends with "?", and rejects
    questions that are too short or long, unbalanced, or have no verb.
    """
    q = _DISCOURSE.sub("", q.strip())
    q = _cap(_strip_final(q.rstrip("?"))) + "?"
    not_an_opener = (_PRONOUNS - {"who", "what", "which"}) | _AUXILIARIES
    if _first_word(q) in not_an_opener or q[:1] in {"(", "[", "-", "−"}:
        return None
    if not 5 <= len(q.split()) <= 32 or q.count('"') % 2 or q.count("(") != q.count(")"):
        return None
    return q if _VERB.search(q) else None


# a comma, semicolon, colon or spaced dash ends a clause; "16,000" does not
_CLAUSE_END = re.compile(r"[;:]|,(?!\d{3}\b)|\s[–—]\s")
_ASIDE_OPENERS = {
    "with", "who", "which", "in", "on", "at", "for", "by", "from", "as", "like", "including",
    "especially", "however", "though", "too", "also", "then", "now", "after", "before",
    "during", "under", "according", "perhaps", "probably", "reportedly", "apparently",
}


def _clause(text: str, min_words: int = 5) -> str:
    """The text up to the end of its first clause (else all of it, final punctuation cut).

    That is the shortest prefix ending at a comma, semicolon, colon or dash that has
    ``min_words`` words and a verb, never inside or at the end of a short comma-delimited
    aside (", with a servant,").
    """
    cuts = list(_CLAUSE_END.finditer(text))

    def is_aside(i: int) -> bool:  # the segment between cuts i and i + 1
        if i < 0 or i + 1 >= len(cuts) or cuts[i].group(0) != "," or cuts[i + 1].group(0) != ",":
            return False
        segment = text[cuts[i].end():cuts[i + 1].start()]
        return len(segment.split()) <= 5 and _first_word(segment) in _ASIDE_OPENERS

    for i, cut in enumerate(cuts):
        if is_aside(i) or is_aside(i - 1):
            continue
        head = text[:cut.start()]
        if len(head.split()) >= min_words and _VERB.search(head):
            return head
    return _strip_final(text)
