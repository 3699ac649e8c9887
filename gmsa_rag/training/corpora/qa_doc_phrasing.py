"""Phrasing questions about documentation: the sentence view, code and subject tests, answer spans.

Manuals name their subjects with code (``-r``, ``open(2)``, ``max_connections``,
``/etc/passwd``) rather than with capitalised names, so :func:`_is_code`,
:func:`_code_subject` and :func:`_names_thing` replace the encyclopaedic subject test of
:mod:`~gmsa_rag.training.corpora.qa_phrasing`; :func:`_phrase` cuts an answer at the end
of its phrase and refuses one that is incomplete or points elsewhere ("to do this").
:class:`_DocView` adds the sentences before the one asked about (for "The default is 64."
after "Sets the ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gmsa_rag.training.corpora.qa_phrasing import _VERB, _SentenceView
from gmsa_rag.training.corpora.qa_vocab import (
    _DANGLING,
    _NOT_SUBJECT_START,
    _PRONOUNS,
    _VAGUE_HEADS,
    _VAGUE_SINGLE,
)

Triple = tuple[str, str, str]


@dataclass(frozen=True)
class _DocView(_SentenceView):
    """A sentence of documentation plus the sentences before it in its passage (nearest last)."""

    previous: tuple[str, ...] = ()


_CODE_FORMS = (
    r"-{1,2}[A-Za-z][\w-]*(?:=\S+)?",          # options: -r, --no-verify, --format=oneline
    r"[\w.:>-]*\w\((?:\d\w*|)\)",               # calls and manual pages: umask(), open(2)
    r"[$@%][\w{}:]+",                           # variables: $PATH, @ARGV, %ENV
    r"~?/[\w.+*-]+(?:/[\w.+*@-]*)*",            # paths: /etc/passwd, /proc/sys/fs/
    r"\w+(?:::\w+)+",                           # Perl packages: File::Spec
    r"_*[A-Za-z]\w*_\w*[A-Za-z0-9]",           # snake case: max_connections, SIG_IGN
    r"[A-Za-z_]\w+(?:\.\w+)+|\w+(?:\.[A-Za-z_]\w+)+",  # dotted: core.abbrev, pg_hba.conf
    r"[a-z]+[A-Z]\w*|[A-Z][a-z]+[A-Z][A-Za-z]*[a-z]\w*",  # camel case: getAttribute, SvPVX
    r"[A-Z][A-Z0-9]{2,}|[A-Z]+\d[A-Z0-9]*",    # constants and acronyms: SIGHUP, BLCKSZ, EINVAL
    r"git-[a-z][\w-]*|pg_\w+",                 # commands: git-rebase, pg_dump
)
_CODE = re.compile("|".join(f"(?:{f})" for f in _CODE_FORMS))
_HEADS = (
    r"option|flag|switch|argument|parameter|field|member|variable|setting|function|method|"
    r"macro|command|subcommand|program|utility|module|pragma|package|class|type|structure|"
    r"struct|file|directory|key|hook|constant|operator|clause|statement|keyword|attribute|"
    r"property|directive|view|table|column|extension|signal|system call|routine|library|"
    r"header|mode|bit|mask|format|specifier|sequence|operation|ioctl|capability|value|"
    r"helper|escape|modifier|builtin|limit|environment variable|configuration variable"
)
# heads that follow a name ("the getent command"); "the output format" is no name
_NAMED_HEADS = (
    r"option|flag|switch|argument|parameter|field|member|variable|setting|function|macro|"
    r"command|subcommand|pragma|module|package|key|hook|keyword|clause|statement|directive|"
    r"operator|constant|extension|system call|ioctl|helper|builtin|utility|"
    r"program|tool|environment variable|configuration variable"
)
_HEAD_WORDS = frozenset(w for h in _HEADS.split("|") for w in h.split())
_VAGUE_WORDS = frozenset(
    "same following above below former latter given specified corresponding previous next "
    "respective said underlying current new first second third last only other additional "
    "optional whole entire single each every any no certain various several appropriate "
    "relevant particular specific default original old main actual resulting returned "
    "existing special remaining own such its their this that these those final example "
    "sample typical usual simple".split()
)
_EDGE = ",.;:'’\"“”()"
_ITEM = r"[\w'’*+?\"-]+(?: [\w'’*+?\"-]+)?"
_LIST_GOES_ON = re.compile(
    rf",(?: {_ITEM},)+ (?:and|or) |, {_ITEM},? (?:and|or) {_ITEM}(?:[.,;]|$)|,(?: \S*[._]\S*,)+ \S*[._]\w"
)  # ", last, and redo", ", '+', '?', or bound", ", diff.tool, merge.tool"
# words an answer cannot end with: it would go on ("even [if ...]", "must be [provided]")
_OPEN_END = frozenset(
    "with from as even only also not then than be is are was were been must can will should "
    "would may might same so cases situations circumstances that whether which who where what".split()
)
_POINTING = frozenset("this these those above below following latter former opposite similar".split())
_FINITE = frozenset("is are was were has have had be been can will may must".split())


def _is_code(token: str) -> bool:
    """Whether a token is code: an option, call, variable, path, identifier or constant."""
    t = token.strip(",;:'’\"“”").rstrip(".")
    if t.lower() in {"e.g", "i.e", "etc", "vs"} or len(t) < 2:
        return False
    return bool(_CODE.fullmatch(t))


def _code_subject(subject: str, v: _SentenceView) -> bool:
    """A subject that is code with at most an article and head nouns ("The -r option",
    "umask()", "the hash %SIG", "the -h or --human-readable option"), or "the NAME HEAD"."""
    words = subject.split()
    definite = bool(words) and words[0] in {"The", "the"}
    words = words[1:] if words and words[0] in {"The", "the", "A", "An"} else words
    classes = "".join(
        "C" if _is_code(w) else "O" if w in {"or", "and"} else
        "H" if w.lower().rstrip("s") in _HEAD_WORDS or w.lower() in _HEAD_WORDS else "x"
        for w in words
    )
    if re.fullmatch(r"H?C+(?:O?C+)*H{0,2}", classes):
        return not re.search(r"[;:]", subject)
    return definite and classes in {"xH", "xHH"} and _names_thing(subject, v, proper_ok=False)


def _names_thing(subject: str, v: _SentenceView, proper_ok: bool = True) -> bool:
    """Whether a subject names one thing specifically enough to ask about it.

    It holds code ("the -r option", "umask()"), or is "the NAME HEAD" ("the getent
    command", "the offset argument"), or (``proper_ok``) a proper noun ("the Name Service
    Switch libraries"). Pronouns and vague words ("this option", "the same value") fail.
    """
    words = [w.strip(_EDGE) for w in subject.split()]
    words = [w for w in words if w]
    if not 1 <= len(words) <= 8 or words[0].lower() in _NOT_SUBJECT_START:
        return False
    lowered = [w.lower() for w in words]
    if any(w in _PRONOUNS for w in lowered[1:]) or any(w in _VAGUE_WORDS or w.endswith("ly") for w in lowered):
        return False  # "the value of its argument", "the same value", "previously introduced"
    if any(_is_code(w) for w in words):
        return True
    bare = lowered[1:] if lowered[0] == "the" else lowered
    if len(bare) >= 2 and re.fullmatch(rf"[a-z][\w-]* (?:{_NAMED_HEADS})s?", " ".join(bare)):
        return bare[0] not in {"the", "a", "an", "of", "and", "or"} and not re.search(r"(?:ed|ing)$", bare[0])
    capitalised = [w for i, w in enumerate(words) if w[:1].isupper() and (i > 0 or w in v.proper)]
    return proper_ok and any(w not in {"The", "A", "An"} for w in capitalised)


_ANSWER_END = re.compile(
    r"[,;:](?=\s|$)|\s[–—]\s|\s--\s|\s\(|\.(?=\s|$)|\s(?:if|when|unless|because|while|whereas|so that|"
    r"since|although|except|but(?! not\b)|as long as|provided|for example|such as)\b|"
    r"\sand (?=(?:should|must|can|will|may|is|are|was|were|does|has|have|returns?)\b)"  # a second predicate
)


def _phrase(text: str, max_words: int = 10) -> str | None:
    """``text`` up to its first clause end, if that is a whole phrase of 1..max_words words.

    Refused: a phrase the sentence goes on to complete ("sets up a cursor (internally, a
    portal) that ...", "next[, last, and redo]", "a program[ such as less(1)]") and one
    that is incomplete, vague or points elsewhere (:func:`_says_something`).
    """
    m = _ANSWER_END.search(text)
    if m and m.group(0).strip() in {"such as", "for example"}:
        return None  # "default to a program [such as less(1)]"
    if m and m.group(0) == "," and _LIST_GOES_ON.match(text[m.start():]):
        return None  # "for the statements next[, last, and redo]"
    if m and re.match(r"(?:\s\([^()]*\))?, (?:or|plus|as well as)\b", text[m.start():]):
        return None  # "all the joined rows[, plus one row for ...]": the answer goes on
    if m and m.group(0) == " (":
        close = text.find(")", m.end())
        if close < 0 or not re.match(r"\s*(?:[.,;:]|$)", text[close + 1:]):
            return None
    phrase = (text[:m.start()] if m else text).strip().rstrip(".")
    return phrase if _says_something(phrase, max_words) else None


def _says_something(phrase: str, max_words: int) -> bool:
    """Whether an answer phrase is whole (1..max_words words, balanced, not ending in "of",
    "that", "be" ...) and telling (not "to do this", "which parameters", "special case")."""
    words = phrase.split()
    if not 1 <= len(words) <= max_words or words[-1].lower() in _DANGLING | _OPEN_END:
        return False
    if phrase.count('"') % 2 or phrase.count("(") != phrase.count(")") or phrase.count("“") != phrase.count("”"):
        return False
    lowered = set(phrase.lower().split())
    if lowered & _POINTING or words[-1].lower() in {"it", "them", "one"}:
        return False  # "to do this", "using those options": the answer points elsewhere
    if words[0].lower() in {"which", "what", "whether", "how", "who"} and len(words) < 4:
        return False  # "which parameters [are ...]"
    return not (len(words) <= 2 and lowered & (_VAGUE_WORDS | _VAGUE_HEADS | _VAGUE_SINGLE))


def _base_verb(verb: str) -> str:
    """The plain form of a present-tense verb: "specifies" -> "specify", "matches" -> "match"."""
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if re.search(r"(?:ch|sh|ss|x|z)es$", verb):
        return verb[:-2]
    return verb[:-1]


def _subject_before_verb(clause: str) -> str:
    """The words of a clause before its first verb: "LD_DEBUG is ignored" -> "LD_DEBUG"."""
    m = _VERB.search(clause)
    return clause[:m.start()].strip() if m else ""


def _first_word_is(text: str, words: set[str]) -> bool:
    """Whether ``text`` opens with one of ``words`` (lower-case)."""
    return bool(text.split()) and text.split()[0].lower() in words


def _first_ok(subject: str) -> bool:
    """A subject that opens with no pronoun and is more than a vague noun: "The length of
    symbol names" yes, "This value" and "The maximum size" no."""
    words = subject.lower().split()
    if not words or words[0] in _NOT_SUBJECT_START:
        return False
    if len(words) == 2 and words[0] in {"the", "a", "an"}:
        return words[1] not in _VAGUE_WORDS | {"value", "result", "number", "size", "length", "maximum", "minimum"}
    return not (len(words) > 2 and words[1] in _VAGUE_WORDS)
