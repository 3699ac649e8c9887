"""Question templates for documentation prose, and :data:`_DOC_TEMPLATES`, all of them by priority.

Same contract as :mod:`~gmsa_rag.training.corpora.qa_templates`: each template reads one
:class:`~gmsa_rag.training.corpora.qa_doc_phrasing._DocView` and returns ``(question,
answer, template_name)`` triples whose answer is a substring of the sentence; the
question is phrased from the non-answer part only. The templates here ask what a named
thing is, does or stands for, what happens under a condition and what to use for a task;
versions, defaults, limits and files live in
:mod:`~gmsa_rag.training.corpora.qa_doc_values`. Of the encyclopaedic templates the
definition and the year cloze are reused, held to the documentation subject tests.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from gmsa_rag.training.corpora.qa_cloze import _t_year_cloze
from gmsa_rag.training.corpora.qa_doc_phrasing import (
    _FINITE,
    _LIST_GOES_ON,
    _OPEN_END,
    _POINTING,
    _VAGUE_WORDS,
    Triple,
    _base_verb,
    _code_subject,
    _DocView,
    _first_word_is,
    _is_code,
    _names_thing,
    _phrase,
)
from gmsa_rag.training.corpora.qa_doc_values import (
    _t_controlled_by,
    _t_default,
    _t_limit,
    _t_returns_on,
    _t_version,
    _t_where,
    _t_which_file,
)
from gmsa_rag.training.corpora.qa_phrasing import _VERB, _decap_article
from gmsa_rag.training.corpora.qa_templates import _t_definition
from gmsa_rag.training.corpora.qa_vocab import _PRONOUNS, _VAGUE_HEADS, _VAGUE_SINGLE


def _t_acronym(v: _DocView) -> list[Triple]:
    """Spelled-out acronyms: "the genetic query optimizer (GEQO) is ..." -> "What does GEQO stand for?"."""
    for m in re.finditer(r" \(([A-Z]{2,})s?\)", v.text):
        acr, words = m.group(1), v.text[:m.start()].split()[-8:]
        for k in range(2, len(words) + 1):
            if not re.fullmatch(r"[A-Za-z][\w-]*", words[-k]):
                break
            if words[-k][0].lower() == acr[0].lower() and _spells(acr.lower(), words[-k:]):
                return [(f"What does {acr} stand for?", " ".join(words[-k:]), "acronym")]
    return []


def _spells(acr: str, words: list[str]) -> bool:
    """Whether each word (hyphen parts apart) gives a prefix of itself, in order, to spell ``acr``."""
    parts = [p.lower() for w in words for p in w.split("-") if p]

    def go(i: int, j: int) -> bool:
        if j == len(parts):
            return i == len(acr)
        if parts[j] in {"of", "and", "the", "for", "to", "in", "on", "a"} and go(i, j + 1):
            return True
        return any(acr[i:i + k] == parts[j][:k] and go(i + k, j + 1) for k in range(1, len(parts[j]) + 1))

    return go(0, 0)


def _t_alias(v: _DocView) -> list[Triple]:
    """Aliases, equivalents and replacements: "-p 0 is equivalent to -p0." -> "What is -p 0
    equivalent to?"; "git-add(1) is just a wrapper for git-update-index(1)." -> "What is
    git-add(1) a wrapper for?"; "X is deprecated in favor of Y." -> "What is X deprecated in favor of?"."""
    m = re.match(
        r"^(?P<x>[^,;:()]{2,60}?) (?P<aux>is|are|was|were) (?:now |also |simply |just |essentially )?"
        r"(?P<rel>(?:an? )?(?:alias|synonym|shorthand|abbreviation|short|wrapper) (?:for|around)|equivalent to|"
        r"identical to|the same as|deprecated in favou?r of|(?:superseded|replaced|obsoleted) by) (?P<y>.+)$",
        v.text,
    )
    if not m or not _names_thing(m.group("x"), v, proper_ok=False):
        return []
    y = _phrase(m.group("y"), 6)
    if not y or _first_word_is(y, {"for", "in", "on", "at", "by", "with", "to", "from"}):
        return []  # "the same as for extract"
    x = _decap_article(m.group("x"))
    if not (_is_code(x.split()[0]) or x.split()[0] in v.proper - {"The", "A", "An"}):
        x = x[0].lower() + x[1:]  # "Using -b" -> "using -b"
    return [(f"What {m.group('aux')} {x} {m.group('rel')}?", y, "alias")]


_OBJECT_VERBS = frozenset(
    "specifies determines controls contains holds indicates identifies defines describes "
    "represents returns gives stores names means refers implies".split()
)
_ACTION_VERBS = frozenset(
    "causes makes tells forces prevents suppresses copies removes deletes reads writes opens "
    "closes converts checks tests allows adds sends waits executes runs starts stops performs "
    "computes calculates overrides ignores skips replaces follows treats uses sorts compares "
    "merges applies updates resets clears terminates kills blocks creates ensures lets "
    "attempts searches finds loads installs invokes calls passes appends inserts truncates "
    "restricts prints displays shows lists outputs produces generates provides enables "
    "disables selects sets changes limits accepts takes expects requires reports counts "
    "measures moves renames links unlinks maps unmaps locks unlocks frees allocates "
    "initializes initialises registers deregisters retrieves fetches extracts parses "
    "formats encodes decodes compresses decompresses splits joins matches handles manages "
    "marks flushes synchronizes waits emits logs records saves restores".split()
)
# verbs that are also plural nouns: "system calls", "VALUES lists", "The EBCDIC controls"
_NOUN_LIKE = frozenset(
    "lists calls uses runs tests records reports logs blocks links maps locks matches counts "
    "measures formats splits joins marks changes limits names sets controls holds returns "
    "starts stops loads updates handles saves".split()
)
_PLAIN_VERBS = frozenset(_base_verb(w) for w in _OBJECT_VERBS | _ACTION_VERBS) | {"provide", "allow", "have"}


def _does_subject(words: list[str]) -> tuple[str, str, str] | None:
    """(subject, verb, rest) where the sentence opens "SUBJECT VERB ..." with a known verb
    ("is", "are" and "can" too, for "is used to"); at most six words of subject."""
    for k in range(1, min(6, len(words) - 1) + 1):
        verb, rest = words[k], words[k + 1:]
        if verb == "also" and rest:
            verb, rest = rest[0], rest[1:]
        if verb in _OBJECT_VERBS | _ACTION_VERBS | {"is", "are", "can"}:
            return " ".join(words[:k]), verb, " ".join(rest)
    return None


def _t_does(v: _DocView) -> list[Triple]:
    """What a named option, function or setting does, specifies or is used for.

    "The -r option copies directories recursively." -> "What does the -r option do?" /
    "copies directories recursively"; "The offset argument specifies the starting point
    ..." -> "What does the offset argument specify?"; "The -a option is used to include
    all files ..." -> "What is the -a option used for?".
    """
    found = _does_subject(v.text.split())
    if not found or not _code_subject(found[0], v) or " and " in found[0]:
        return []  # "CHECK clauses specify ... or [tests]"; "X and Y" takes no "-s" verb
    subject, verb, rest = found
    subj = _decap_article(subject)
    if re.match(r"[A-Z][a-z]+ ", subj) and not _is_code(subj.split()[0]):
        subj = subj[0].lower() + subj[1:]  # "Argument --depth" -> "argument --depth"
    used = re.match(r"(?:(?P<can>be)|(?:often |mainly |typically )?)used (?P<to>to|for) (?P<rest>.+)$", rest)
    if verb in {"is", "can"} and used and (verb == "can") == bool(used.group("can")):
        answer = _phrase(used.group("to") + " " + used.group("rest"))
        q = f"What can {subj} be used for?" if verb == "can" else f"What is {subj} used for?"
        return [(q, answer, "used_for")] if answer and len(answer.split()) >= 3 else []
    if verb in _NOUN_LIKE and re.search(r"\b(?:is|are|was|were|should|must|will|can|may|has|have)\b", rest):
        return []  # "VALUES lists with ... should be avoided": "lists" was a noun
    short = _phrase(rest)
    if short and len(short.split()) <= 4 and re.match(rf"{re.escape(short)},? if\b", rest):
        return []  # "sets FOUND true[ if it successfully repositions the cursor]"
    if verb in _OBJECT_VERBS:
        return _does_object(subj, verb, rest)
    if verb in _ACTION_VERBS:
        answer = _phrase(f"{verb} {rest}")
        if not answer or len(answer.split()) < 2 or answer.split()[1] in _FINITE | _PLAIN_VERBS:
            return []  # "The CPU affinity system calls were ...", "The TAP tests require ...": nouns
        return [(f"What does {subj} do?", answer, "does")]
    return []


def _does_object(subj: str, verb: str, rest: str) -> list[Triple]:
    """"What does X specify?" and the like: the answer is the verb's object."""
    if verb == "refers":
        if not rest.startswith("to "):
            return []
        verb, rest = "refers to", rest[3:]
    answer = _phrase(rest)
    if not answer or _first_word_is(answer, {"it", "them", "there"} | _FINITE | _PLAIN_VERBS):
        return []  # "The EBCDIC controls provide ...": "controls" was a noun
    if len(answer.split()) == 1 and not (_is_code(answer) or re.fullmatch(r"-?\d[\w.]*|true|false|NULL", answer)):
        return []  # "POSIX.1 defines seconds[ since the Epoch ...]"
    if verb == "returns" and re.match(rf"{re.escape(answer)},? (?:if|when|unless|only if)\b", rest):
        return []  # "returns true if ...": the value depends on a condition
    base = "refer to" if verb == "refers to" else _base_verb(verb)
    return [(f"What does {subj} {base}?", answer, "does")]


def _t_doc_definition(v: _DocView) -> list[Triple]:
    """Definitions of a named thing or a term: "A tablespace is a location ..." -> "What is a tablespace?".

    The encyclopaedic :func:`_t_definition` phrases it; the subject must name code or a
    proper noun, or be a bare term ("A tablespace", "An lvalue"), and the answer must be
    a whole, telling noun phrase.
    """
    out = []
    for q, answer, _ in _t_definition(replace(v, title=v.text, person=None)):
        subject = re.sub(r"^(?:What|Who) (?:is|was|are|were) ", "", q).rstrip("?")
        answer = _whole_definition(v.text, answer) if _definable(subject, answer, v) else None
        if answer:
            first, second = (subject.split() + [""])[:2]
            if first[:1].isupper() and not _is_code(first) and first not in v.proper and not second[:1].isupper():
                q = q.replace(subject, first.lower() + subject[len(first):], 1)  # "Output from X"
            out.append((q, answer, "definition"))
    return out


def _definable(subject: str, answer: str, v: _DocView) -> bool:
    """Whether a definition's subject is worth asking about and its answer says something."""
    term = re.fullmatch(r"an? ([a-z][\w-]*(?: [a-z][\w-]*)?)", subject)
    if not (_names_thing(subject, v) or term and not set(term.group(1).split()) & _VAGUE_WORDS):
        return False
    if len(subject.strip("\"'")) < 2:
        return False  # "What is M?"
    if re.match(r"[A-Z]\w*ing\b|\S+ \w+ing\b|(?i:true|false)\b", subject) or re.search(
            r"\b(?:if|when|unless)\b", subject):
        return False  # "Modifying M_TRIM_THRESHOLD", "VALUES appearing within INSERT", "True if FD"
    if set(subject.lower().split()) & (_FINITE | {"should", "would", "shall"}):
        return False  # "The IVdf will expand to whatever [is the correct format]"
    if re.fullmatch(r"\w+ly|somewhat|rather|very", answer.split()[0]):
        return False  # "somewhat special case"
    vague = _VAGUE_WORDS | _VAGUE_HEADS | _VAGUE_SINGLE
    if len(answer.split()) <= 3 and answer.split()[0].lower() in vague | {"sequence", "string", "piece", "way"}:
        return False  # "sequence of characters[, the first one of which ...]"
    return not (len(answer.split()) <= 2 and set(answer.lower().split()) & vague)  # "special case"


def _whole_definition(sentence: str, head: str) -> str | None:
    """The definition's head noun phrase with the restrictive clause that completes it.

    "index built over a subset" stays; "flow of control [through a program ...]" takes
    its clause when that fits in ten words; a short head the sentence goes on to qualify
    further ("PID namespace of the process [that created ...]") is refused.
    """
    start = sentence.find(" " + head) + 1
    after = sentence[start + len(head):]
    if len(head.split()) < 2 or head.split()[-1].lower() in _OPEN_END or re.match(r",\S", after):
        return None  # "exception", "string giving the pathname from", "trunk[,tags,branches]"
    if _LIST_GOES_ON.match(after):
        return None  # "an atom possibly followed by a single '*'[, '+', '?', or bound]"
    if after.startswith(" (") and not re.match(r" \([^()]*\)\s*(?:[.,;:]|$)", after):
        return None  # "file descriptor for any object [(file, directory, etc.) in ...]"
    if re.match(r" (?:that|who|whose|where|in which|with|for|used|to|of|containing|giving)\b", after):
        longer = _phrase(sentence[start:])
        if longer and len(longer) > len(head):
            return longer
        return None if len(head.split()) <= 5 else head
    return head


_NOT_A_MAIN_CLAUSE = frozenset(
    "and or but which as when if unless because after before while that this these those".split()
)


def _t_condition(v: _DocView) -> list[Triple]:
    """What happens under a condition on a named thing.

    "If CLONE_THREAD is set, the child is placed in the caller's thread group." ->
    "What happens if CLONE_THREAD is set?" / "the child is placed in the caller's thread group".
    """
    m = re.match(r"^(?P<conj>If|When) (?P<cond>[^,;:()]{3,80}?), (?:then )?(?P<main>\S.+)$", v.text)
    if not m or not _usable_condition(m.group("cond")):
        return []
    main = re.sub(r"^then ", "", m.group("main"))
    if _first_word_is(main, _NOT_A_MAIN_CLAUSE) or main[:1].isupper() and not _is_code(main.split()[0]):
        return []  # "then when an error is thrown, ...", "that is reindexed as well"
    answer = _phrase(main)
    if not answer or len(answer.split()) < 3 or not _VERB.search(answer):
        return []
    if re.search(r"\bdo(?:es)? so\b|^there\b", answer):
        return []  # "EXPR2 also does so", "there are two different scenarios"
    cond = re.sub(r"^(?:instead|also|only) ", "", _decap_article(m.group("cond")))
    return [(f"What happens {m.group('conj').lower()} {cond}?", answer, "condition")]


def _usable_condition(cond: str) -> bool:
    """A condition on something named, with its own subject and verb: "CLONE_THREAD is set"
    yes; "it is mem_exclusive", "used together with --left-right" no."""
    words = cond.lower().split()
    if not any(_is_code(w) for w in cond.split()) or not _VERB.search(cond) or len(words) > 12:
        return False
    if set(words) & (_PRONOUNS - {"there"}) or " then " in cond:
        return False
    return not re.match(r"\w+ed\b|used|given|set|run|called", cond)


def _t_use_to(v: _DocView) -> list[Triple]:
    """What to use for a task: "To insert a line after one in the file, use the -n switch." /
    "Use av_count to get the number of elements." -> "What can be used to get the number of elements?"."""
    m = (re.match(r"^To (?P<task>[a-z][^,;:()]{8,100}?), use (?P<tool>[^,;:()]{2,40}?)"
                  r"(?P<end>\.$|,| instead\b| \()", v.text)
         or re.match(r"^Use (?P<tool>(?:the )?\S+(?: (?:option|switch|flag|command|function|macro|variable))?) to "
                     r"(?P<task>[a-z][^,;:()]{8,100}?)(?P<end>\.$|,|;| \()", v.text))
    if not m or not any(_is_code(w) for w in m.group("tool").split()) or len(m.group("tool").split()) > 6:
        return []
    if m.group("end") == " (" and not re.match(r"[^()]*\)[.,;]", v.text[m.end():]):
        return []  # "use the --general-numeric-sort (-g) option"
    task = m.group("task")
    if set(task.lower().split()) & (_POINTING | {"it", "them"}) or re.search(r"\bthat \w+$|\bone$", task):
        return []  # "in that case", "to replace the old one"
    if not 2 <= len(task.split()) <= 16:
        return []
    return [(f"What can be used to {task}?", m.group("tool"), "use_to")]


def _t_doc_year_cloze(v: _DocView) -> list[Triple]:
    """The encyclopaedic year cloze, kept where its question names code or a proper noun.

    "In 1994, Andrew Yu and Jolly Chen added an SQL interpreter to POSTGRES." -> "Andrew Yu
    and Jolly Chen added an SQL interpreter to POSTGRES in what year?". (The percentage and
    count clozes read badly on manuals, "scale the number by how many", and are not used.)
    """
    out = []
    for q, answer, name in _t_year_cloze(v):
        if answer in {"1024", "2048", "1000"} or set(q.lower().split()) & _POINTING or re.search(
                r"\b\d{4}\b|for example|itself", q) or q.lower().count("what") > 1:
            continue  # sizes, not years; "this standard"; a second year; "what is now the USA"
        body = re.sub(r"\b[Ww]hat (?:year|date)\b", "", q).split()
        if any(_is_code(w) or (w[:1].isupper() and i > 0) for i, w in enumerate(body)):
            out.append((q, answer, name))
    return out


# Templates in priority order: rarer, more reliable ones first (a passage keeps at most
# `max_per_passage` questions, one per sentence).
_DOC_TEMPLATES: tuple[Callable[[_DocView], list[Triple]], ...] = (
    _t_acronym,
    _t_alias,
    _t_version,
    _t_returns_on,
    _t_default,
    _t_limit,
    _t_controlled_by,
    _t_where,
    _t_which_file,
    _t_use_to,
    _t_does,
    _t_condition,
    _t_doc_definition,
    _t_doc_year_cloze,
)
