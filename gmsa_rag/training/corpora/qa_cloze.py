"""Cloze templates: a year or date, a percentage or a count, asked in place.

:func:`_echo_question` turns a sentence into a question about one of its phrases,
rewriting only the non-answer part so the answer stays an exact span; the templates
:func:`_t_year_cloze`, :func:`_t_percent` and :func:`_t_how_many` find the phrase.
"""

from __future__ import annotations

import re

from gmsa_rag.training.corpora.qa_phrasing import (
    _CLAUSE_END,
    _VERB,
    _SentenceView,
    _clause,
    _finish_question,
    _first_word,
)
from gmsa_rag.training.corpora.qa_vocab import (
    _APPROX,
    _FULL_DATE,
    _MONTHS,
    _NOT_SUBJECT_START,
    _PREPOSITIONS,
    _SUBORDINATOR,
    _YEAR,
)


def _echo_fronted(after: str, wh: str) -> str | None:
    """The phrase opens the sentence: ask in subject position or move the phrase last.

    "What percentage of ..." stays in front; "In 1969, Apollo 11 landed ..." ->
    "Apollo 11 landed ... in what year?".
    """
    if _first_word(wh) not in _PREPOSITIONS:  # subject position: "What percentage of ..."
        return _finish_question(wh + _clause(after, 3))
    body = after[2:] if after.startswith(", ") else after.lstrip()
    if _first_word(body) in _NOT_SUBJECT_START:
        return None
    return _finish_question(_clause(body) + " " + wh)


def _echo_in_intro(sentence: str, before: str, end: int, first_comma: int, wh: str) -> str | None:
    """The phrase sits in the sentence's leading clause or phrase (before its first comma).

    A subordinate clause becomes the question ("When the Act was passed in 1862, ..." ->
    "The Act was passed in what year?"); from a prepositional phrase the phrase moves to
    the end of the main clause ("After the war in 1865, X did Y, ..." -> "After the war,
    X did Y in what year?").
    """
    if _first_word(wh) not in _PREPOSITIONS:
        return None  # "With 12.7% of ..., X is ..." -> no clean question
    intro = before + wh + sentence[end:first_comma]
    if _SUBORDINATOR.match(intro) and _VERB.search(_SUBORDINATOR.sub("", intro)):
        return _finish_question(_SUBORDINATOR.sub("", intro))
    main = sentence[first_comma + 2:]
    if _first_word(main) in _NOT_SUBJECT_START or _first_word(sentence) not in _PREPOSITIONS:
        return None
    intro_without = (before + sentence[end:first_comma]).strip()
    return _finish_question(f"{intro_without}, {_clause(main)} {wh}")


def _echo_in_place(before: str, after: str, wh: str) -> str | None:
    """Replace the phrase in place; the question ends with the phrase's clause.

    "Rand's novel was published in 1936, and ..." -> "Rand's novel was published in what
    year?". Refused inside a relative clause or apposition.
    """
    if before.endswith(", ") and after.startswith(","):
        return _finish_question(f"{before[:-2]},{_clause(after[1:])} {wh}")
    cut = _CLAUSE_END.search(after)
    if re.search(r"\b(?:which|that|who|whom|whose|and|but|or|when|where|while|the)\s*$", before):
        return None  # "... a charge which in what year?" / "the how many metres event"
    if re.search(r"^[^,]*, (?:which|who|whom|whose|where|a|an|the|[a-z]+ed)\b[^,]*$", before):
        return None  # in a relative clause or apposition: "Life expectancy, which was ..."
    question = before + wh + (after[:cut.start()] if cut else after)
    if not _VERB.search(question.replace(wh, "")):
        return None
    return _finish_question(question)


def _echo_question(sentence: str, start: int, end: int, wh: str) -> str | None:
    """Turn ``sentence`` into a question about ``sentence[start:end]``, asked with ``wh``.

    - fronted phrase: "In 1969, Apollo 11 landed ..." -> "Apollo 11 landed ... in what year?"
    - inside a leading subordinate clause: "When the Act was passed in 1862, ..." ->
      "The Act was passed in what year?"
    - inside a leading prepositional phrase: "After the war in 1865, X did Y, ..." ->
      "After the war, X did Y in what year?"
    - otherwise the phrase is replaced in place and the question ends with its clause:
      "Rand's novel was published in 1936, and ..." -> "Rand's novel was published in what year?"
    """
    before, after = sentence[:start], sentence[end:]
    if before.rstrip().endswith("("):
        return None
    if not before.strip():
        return _echo_fronted(after, wh)
    first_comma = sentence.find(", ")
    if 0 <= first_comma and end <= first_comma:
        return _echo_in_intro(sentence, before, end, first_comma, wh)
    return _echo_in_place(before, after, wh)


_ON_DATE = re.compile(rf"\b(?P<prep>[Oo]n) (?P<date>{_FULL_DATE})\b")
_IN_YEAR = re.compile(
    rf"\b(?P<prep>[Ii]n|[Ss]ince|[Bb]y|[Uu]ntil) (?:(?:early|late|mid|mid-|the spring of|"
    rf"the summer of|the autumn of|the fall of|the winter of) )?(?:(?:{_MONTHS}) )?(?P<year>{_YEAR})\b"
)


def _t_year_cloze(v: _SentenceView) -> list[tuple[str, str, str]]:
    """A year or full date, asked in place.

    At most two years in the sentence, each once; the asked one sits in a phrase such as
    "in [July] 1969", "since 1990" or "on April 12, 1861": "In 1969, Apollo 11 landed on
    the Moon." -> "Apollo 11 landed on the Moon in what year?".
    """
    s = v.text
    years = re.findall(rf"\b{_YEAR}\b", s)
    if not 1 <= len(years) <= 2 or len(set(years)) != len(years):
        return []
    if re.search(r"\b\d{4}s\b|\b\d{5,}\b|[–-]\d{2,4}\b", s):
        return []  # decades, long numbers and ranges ("1939–45") make the answer ambiguous
    for year in years:
        m = next((m for m in _ON_DATE.finditer(s) if year in m.group("date")), None)
        if m:
            q = _echo_question(s, m.start(), m.end(), f"{m.group('prep').lower()} what date")
            if q:
                return [(q, m.group("date"), "date_cloze")]
            continue
        m = next((m for m in _IN_YEAR.finditer(s) if m.group("year") == year), None)
        if m:
            q = _echo_question(s, m.start(), m.end(), f"{m.group('prep').lower()} what year")
            if q:
                return [(q, year, "year_cloze")]
    return []


def _t_percent(v: _SentenceView) -> list[tuple[str, str, str]]:
    """The one percentage in a sentence.

    "About 45 per cent of voters ..." -> "What percentage of voters ...?".
    """
    found = list(re.finditer(
        rf"(?:\b{_APPROX} )?(?<![\w.])(?P<ans>\d+(?:\.\d+)?(?:%| per ?cent\b| percent\b))", v.text))
    if len(found) != 1:
        return []
    m = found[0]
    if re.search(r"(?:\ba|\ban|'s|’s|\d\s*(?:to|and|or|-|–))\s*$", v.text[:m.start()]):
        return []  # attributive ("a 10 per cent drop") or a range ("50 to 80%")
    q = _echo_question(v.text, m.start(), m.end(), "what percentage")
    return [(q, m.group("ans"), "percent")] if q else []


def _t_how_many(v: _SentenceView) -> list[tuple[str, str, str]]:
    """A count of something, one per sentence.

    "At least 15 people were killed in X." -> "How many people were killed in X?".
    """
    for m in re.finditer(
        rf"(?<![$£€\w.,−–-])(?:(?:{_APPROX}) )?"
        r"(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?: (?P<scale>million|billion|thousand|hundred))? "
        r"(?P<noun>[a-z][a-z-]+s)\b(?! of\b)",
        v.text,
    ):
        num = m.group("num")
        if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", num):
            continue  # a year, not a count
        answer = num + (f" {m.group('scale')}" if m.group("scale") else "")
        if v.text.count(num) != 1:
            continue
        noun = m.group("noun")
        if noun in {"times", "percent", "cents", "others", "is", "was", "has", "this", "its",
                    "as", "us", "bps", "hours", "minutes", "seconds"}:
            continue
        before = v.text[:m.start()]
        if re.search(r"(?:\ba|\ban|'s|’s|\b(?:wo)?mens|\d\s*(?:to|and|or|-|–))\s*$", before):
            continue  # attributive ("the men's 50 metres") or a range ("1.6 to 1.7 billion")
        if re.search(r"[A-Z][\w'’]*\s*$", before) and before.strip():
            continue  # part of a name: "September 11 attacks", "1 John 4"
        if not before.strip() or re.fullmatch(r"\s*(?:The|the|A|a)\s*", before):
            q = _finish_question(f"How many {noun}{_clause(v.text[m.end():], 3)}")
        else:
            q = _echo_question(v.text, m.start(), m.end(), f"how many {noun}")
        if q and "respectively" not in q and re.search(r"\b[A-Z][a-z]", q[1:]):
            return [(q, answer, "how_many")]  # one count question per sentence
    return []
