"""Rule-based QA question templates, and :data:`_TEMPLATES`, all of them by priority.

Each template reads one :class:`_SentenceView` and returns ``(question, answer,
template_name)`` triples whose answer is a substring of that sentence. Questions are
rewritten only on their non-answer part, so the answer always stays an exact span of the
passage. The templates here match fixed sentence patterns (dates of birth, capitals,
agents, roles, speakers, definitions); the cloze templates (years, percentages, counts)
live in :mod:`~gmsa_rag.training.corpora.qa_cloze`.
"""

from __future__ import annotations

import re
from typing import Callable

from gmsa_rag.training.corpora.qa_cloze import _t_how_many, _t_percent, _t_year_cloze
from gmsa_rag.training.corpora.qa_phrasing import (
    _SentenceView,
    _clause,
    _decap_article,
    _finish_question,
    _first_word,
    _subject_is_specific,
)
from gmsa_rag.training.corpora.qa_vocab import (
    _APPROX,
    _BARE_ROLES,
    _DANGLING,
    _DATE,
    _LEADING_MODIFIERS,
    _MONTHS,
    _NAME,
    _NOT_SUBJECT_START,
    _PARTICIPLES,
    _PAST_TENSE,
    _PLACE,
    _ROLE_NOUNS,
    _ROLE_OR_BODY,
    _ROLE_WORDS,
    _SPEECH_VERBS,
    _VAGUE_HEADS,
    _VAGUE_SINGLE,
    _YEAR,
)


def _t_lead_dates(v: _SentenceView) -> list[tuple[str, str, str]]:
    """Birth and death dates from a biography's lead sentence.

    "Abraham Lincoln (February 12, 1809 – April 15, 1865) was ..." -> "When was Abraham
    Lincoln born?", "When did Abraham Lincoln die?".
    """
    if not (v.person and v.is_lead):
        return []
    m = re.match(
        rf"^(?:The )?(?P<name>{_NAME}) \((?:[^()]*?; )?(?:born )?(?P<birth>{_DATE})"
        rf"(?:\s*[–—-]\s*(?P<death>{_DATE}))?\)",
        v.text,
    )
    if not m or not set(m.group("name").split()) & set(v.person.split()):
        return []
    name = m.group("name")
    birth, death = m.group("birth"), m.group("death")
    out = []
    if death and re.fullmatch(r"\d{3,4}", birth) and " BC" in death:
        birth = None  # "384–322 BC": the era belongs to both years; skip the birth
    if birth:
        out.append((f"When was {name} born?", birth, "birth_date"))
    if death:
        out.append((f"When did {name} die?", death, "death_date"))
    return out


def _t_born(v: _SentenceView) -> list[tuple[str, str, str]]:
    """Birthplace and birth date: "Born in X, Name ..." or "Name was born [on] DATE [in X]"."""
    out = []
    m = re.match(rf"^Born (?:in|at) (?P<place>{_PLACE}), (?P<name>{_NAME}) [a-z]", v.text)
    if m and not re.search(_YEAR, m.group("place")) and _subject_is_specific(m.group("name"), v):
        out.append((f"Where was {m.group('name')} born?", m.group("place"), "birthplace"))
    m = re.match(
        rf"^(?P<name>{_NAME}) was born (?:on |in )?(?P<date>(?:{_MONTHS})?[^,.;]*?\b{_YEAR})\b",
        v.text,
    )
    if m and _subject_is_specific(m.group("name"), v) and re.fullmatch(_DATE, m.group("date")):
        out.append((f"When was {m.group('name')} born?", m.group("date"), "birth_date"))
    m = re.match(rf"^(?P<name>{_NAME}) was born (?:[^,.;]*? )?in (?P<place>{_PLACE})", v.text)
    if (
        m and _subject_is_specific(m.group("name"), v)
        and not re.match(rf"(?:{_MONTHS}|{_YEAR})", m.group("place"))
    ):
        out.append((f"Where was {m.group('name')} born?", m.group("place"), "birthplace"))
    return out


def _t_capital(v: _SentenceView) -> list[tuple[str, str, str]]:
    """Capitals: "X is the capital of Y" or "the capital of Y is X".

    Both ask "What is the capital of Y?".
    """
    out = []
    for m in re.finditer(
        rf"(?P<x>{_NAME}) is the (?:national )?capital(?: and (?:the )?largest city)? of "
        rf"(?P<y>(?:the )?{_NAME})",
        v.text,
    ):
        if _first_word(m.group("x")) not in _NOT_SUBJECT_START:
            out.append((f"What is the capital of {m.group('y')}?", m.group("x"), "capital"))
    m = re.search(
        rf"\b[Tt]he capital(?: and (?:the )?largest city)? of (?P<y>(?:the )?{_NAME}) is (?P<x>{_NAME})",
        v.text,
    )
    if m:
        out.append((f"What is the capital of {m.group('y')}?", m.group("x"), "capital"))
    return out


def _t_official_language(v: _SentenceView) -> list[tuple[str, str, str]]:
    """Languages: "The official language of X is Y" -> "What is the official language of X?"."""
    m = re.search(
        rf"\b[Tt]he (?P<adj>official|national) language(?P<pl>s)? of (?P<x>(?:the )?{_NAME}) "
        rf"(?:is|are|was|were) (?P<y>[A-Z][a-z]+(?:(?:, | and | or )[A-Z][a-z]+){{0,3}})",
        v.text,
    )
    if not m:
        return []
    verb = "are" if m.group("pl") else "is"
    q = f"What {verb} the {m.group('adj')} language{m.group('pl') or ''} of {m.group('x')}?"
    return [(q, m.group("y"), "official_language")]


def _t_population(v: _SentenceView) -> list[tuple[str, str, str]]:
    """Populations: "X has a population of N" or "the population of X is N"."""
    number = r"(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)? (?:million|billion))"
    approx = rf"(?:{_APPROX} )?"
    out = []
    m = re.search(
        rf"\b(?P<x>{_NAME}) (?:has|had) (?:a|an estimated|a total) population of {approx}{number}",
        v.text,
    )
    if m and _first_word(m.group("x")) not in _NOT_SUBJECT_START:
        out.append((f"What is the population of {m.group('x')}?", m.group("n"), "population"))
    m = re.search(
        rf"\b[Tt]he (?:total |estimated )?population of (?P<x>(?:the )?{_NAME}) "
        rf"(?:is|was|stood at|reached|was estimated at|is estimated at|is estimated to be) {approx}{number}",
        v.text,
    )
    if m:
        past = re.search(r" (?:was|stood|reached) ", m.group(0))
        out.append((f"{'What was' if past else 'What is'} the population of {m.group('x')}?",
                    m.group("n"), "population"))
    return out


def _t_agent(v: _SentenceView) -> list[tuple[str, str, str]]:
    """Agents of passives.

    "Animal Farm was written by George Orwell." -> "Who wrote Animal Farm?".
    """
    verbs = _PARTICIPLES
    m = re.match(
        rf"^(?:(?:In|By|On|During|After) [^,]{{1,40}}, )?"
        rf"(?P<subj>(?:The |A |An )?[A-Z][^,;()\"]{{1,60}}?) (?P<aux>was|were) "
        rf"(?:(?:first|later|originally|also|eventually|subsequently|largely|jointly|initially) )?"
        rf"(?P<verb>{verbs}) by (?P<agent>(?:the )?{_NAME})"
        rf"(?=[,.;]| (?:in|on|at|for|and|as|with|from|to|after|during|who|which|when|while|"
        rf"but|because|before|under|over|until|through)\b)",
        v.text,
    )
    if not m:
        return []
    subj, verb, agent = m.group("subj"), m.group("verb"), m.group("agent")
    if not _subject_is_specific(subj, v) or len(subj.split()) > 8:
        return []
    if re.search(r"\b(?:is|was|are|were|has|had|have)\b", subj):
        return []
    wh = "What" if agent.lower().startswith("the ") else "Who"
    return [(f"{wh} {_PAST_TENSE[verb]} {_decap_article(subj)}?", agent, "agent_by")]


def _t_named_after(v: _SentenceView) -> list[tuple[str, str, str]]:
    """Namesakes: "X is named after Y" -> "After whom or what is X named?"."""
    m = re.match(
        rf"^(?P<subj>(?:The |A |An )?[A-Z][^,;()\"]{{1,60}}?) (?P<aux>is|was|were|are) "
        rf"named (?:after|for) (?P<agent>(?:the )?{_NAME})(?=[,.;]| \(| (?:in|who|which|and|because)\b)",
        v.text,
    )
    if not m or not _subject_is_specific(m.group("subj"), v):
        return []
    subj = _decap_article(m.group("subj"))
    return [(f"After whom or what {m.group('aux')} {subj} named?", m.group("agent"), "named_after")]


def _t_located(v: _SentenceView) -> list[tuple[str, str, str]]:
    """Locations: "X is located in Y" -> "Where is X located?"."""
    m = re.match(
        rf"^(?P<subj>(?:The )?[A-Z][\w'’.-]*(?: [\w'’.-]+){{0,4}}?) (?P<aux>is|was|are|were) "
        rf"(?:located|situated) (?P<prep>in|on|at|near) (?P<where>(?:the )?[^,.;()]{{3,60}}?)(?=[,.;(]|$)",
        v.text,
    )
    if not m or not _subject_is_specific(m.group("subj"), v):
        return []
    where = m.group("where")
    if not re.search(r"\b[A-Z]", where) or len(where.split()) > 8:
        return []
    return [(f"Where {m.group('aux')} {_decap_article(m.group('subj'))} located?", where, "located")]


def _t_role(v: _SentenceView) -> list[tuple[str, str, str]]:
    """Office holders named with their title.

    "Israeli Prime Minister Ariel Sharon said ..." -> "Who is the Israeli Prime Minister?".
    """
    out = []
    for m in re.finditer(
        rf"\b(?P<role>(?:[A-Z][a-z]+(?:-[A-Z][a-z]+)? ){{1,5}}(?:{_ROLE_NOUNS}))"
        rf"(?: (?:Senator|Dr|Mr|Mrs|Ms|General|Colonel))? "
        rf"(?P<name>[A-Z][a-z'’-]+(?: [A-Z][a-z'’-]+){{1,2}})\b",
        v.text,
    ):
        role_words = m.group("role").split()
        while role_words and role_words[0].lower() in _LEADING_MODIFIERS:
            if role_words[0].lower() in {"former", "acting", "outgoing", "incoming", "last"}:
                role_words = []
                break
            role_words = role_words[1:]
        role = " ".join(role_words)
        if not role or role.lower() in _BARE_ROLES:
            continue
        name = m.group("name")
        if re.search(r"['’]s?$", name) or name.split()[-1] in _ROLE_OR_BODY:
            continue
        out.append((f"Who is the {role}?", name, "role_holder"))
    return out


# a reported clause does not open with these: "says if ...", "estimates of ..." (a noun)
_NOT_REPORTED_START = {
    "if", "when", "while", "although", "though", "because", "after", "before", "unless",
    "of", "since", "until", "as", "once", "for", "in", "on", "at", "by", "with", "from",
}


def _t_apposition(v: _SentenceView) -> list[tuple[str, str, str]]:
    """Roles in apposition.

    "Jonas Savimbi, the leader of UNITA, was killed ..." -> "Who was the leader of UNITA?".
    """
    out = []
    for m in re.finditer(
        rf"(?<![\w'’.-])(?P<name>[A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){{1,3}}), the "
        rf"(?P<role>(?:[a-z][\w-]* ){{0,4}}(?:{_ROLE_WORDS})(?: [a-z][\w-]*){{0,2}} of "
        rf"(?:the )?[A-Z][\w'’-]*(?: (?:of |and |the )?[A-Z][\w'’-]*){{0,5}}),",
        v.text,
    ):
        name = m.group("name")
        if name.split()[0].lower() in _NOT_SUBJECT_START or name.split()[0] in {"The", "A", "An"}:
            continue
        tense = "is" if v.is_news else "was"
        out.append((f"Who {tense} the {m.group('role')}?", name, "apposition"))
    return out


def _t_speaker(v: _SentenceView) -> list[tuple[str, str, str]]:
    """Who said it, in reported speech.

    "Mr Downer says the major threat ... is no longer there." -> "Who says the major
    threat ... is no longer there?".
    """
    m = re.match(
        rf"^(?P<name>(?:The )?(?:(?:Mr|Mrs|Ms|Dr|Senator|Professor) )?{_NAME}) "
        rf"(?P<verb>(?:has |had |have )?(?:{_SPEECH_VERBS})) (?:that )?(?P<content>[a-z][^\"]{{15,}})$",
        v.text,
    )
    if not m or not _subject_is_specific(m.group("name"), v):
        return []
    name = m.group("name")
    if re.search(r"\b(?:is|was|has|had|have|are|were)$", name) or len(name.split()) > 7:
        return []
    content = _clause(m.group("content"))
    if len(content.split()) < 5 or _first_word(content) in _NOT_REPORTED_START:
        return []  # "if Lockett does make a comeback", "of 1.8 million" (a noun use)
    q = _finish_question(f"Who {m.group('verb')} {content}")
    return [(q, name, "speaker")] if q else []


def _t_definition(v: _SentenceView) -> list[tuple[str, str, str]]:
    """Definitions: "Anarchism is a political philosophy that ..." -> "What is Anarchism?"."""
    m = re.match(
        r"^(?P<subj>(?:The |An? )?[A-Z][\w'’.-]*(?: [\w'’.-]+){0,5}?)(?: \([^()]*\))? "
        r"(?P<verb>is|was|are|were) (?P<det>an?|the) "
        r"(?P<pred>[^,;:()\"]+?)(?=,| that | which | who | whose | where | in which | with |;|\.$| \()",
        v.text,
    )
    if not m:
        return []
    subj, pred = m.group("subj"), m.group("pred").strip()
    if not _subject_is_specific(subj, v):
        return []
    if re.search(r"\b(?:is|was|are|were|has|had|have|and|or|but|says|said|also|now|then|only|"
                 r"still|not)\b|\b\w+ly\b|\b[a-z]+ed\b", subj):
        return []
    words = pred.split()
    if words and (words[-1].lower() in _DANGLING or re.fullmatch(r"[a-z]+(?:ed|ing)", words[-1])):
        return []  # cut inside a phrase: "branch of biology concerned [with ...]"
    if re.search(r"\b(?:is|are|was|were|has|have|had|does|did)\b", pred):
        return []  # a second clause: "largest Shi'a country and Pakistan has ..."
    if not 1 <= len(words) <= 10 or words[0].lower() in _VAGUE_HEADS:
        return []
    if re.match(r", [\w-]+(?: [\w-]+)?(?:,| and | or )", v.text[m.end("pred"):]):
        return []  # the first item of a list: "cultivation of animals, plants, and fungi"
    if len(words) == 1 and v.text[m.end("pred"):m.end("pred") + 1] == ",":
        return []  # "the Natural Bridge was a large, ..." -> "large" is not an answer
    if len(words) == 1 and words[0].lower() in _VAGUE_SINGLE:
        return []  # "What are the alkali metals?" -> "group"
    wh = "Who" if v.person and (subj == v.person or subj in v.person.split()) else "What"
    return [(f"{wh} {m.group('verb')} {_decap_article(subj)}?", pred, "definition")]


# Templates in priority order: rarer, more reliable ones first (a passage keeps at most
# `max_per_passage` questions, one per sentence).
_TEMPLATES: tuple[Callable[[_SentenceView], list[tuple[str, str, str]]], ...] = (
    _t_lead_dates,
    _t_born,
    _t_capital,
    _t_official_language,
    _t_population,
    _t_agent,
    _t_named_after,
    _t_located,
    _t_role,
    _t_apposition,
    _t_definition,
    _t_speaker,
    _t_percent,
    _t_how_many,
    _t_year_cloze,
)
