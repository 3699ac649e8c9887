"""Documentation templates for values and places: versions, return values, defaults,
limits, governing settings and files.

Same contract as :mod:`~gmsa_rag.training.corpora.qa_templates`: each template reads one
:class:`~gmsa_rag.training.corpora.qa_doc_phrasing._DocView` and returns ``(question,
answer, template_name)`` triples whose answer is a substring of the sentence; the
question is phrased from the non-answer part only.
"""

from __future__ import annotations

import re

from gmsa_rag.training.corpora.qa_cloze import _echo_question
from gmsa_rag.training.corpora.qa_doc_phrasing import (
    _FINITE,
    _HEADS,
    _POINTING,
    Triple,
    _DocView,
    _first_ok,
    _is_code,
    _names_thing,
    _phrase,
    _subject_before_verb,
)
from gmsa_rag.training.corpora.qa_phrasing import _VERB, _cap, _clause, _decap_article, _finish_question
from gmsa_rag.training.corpora.qa_vocab import _DANGLING, _PRONOUNS


_PRODUCT = (
    r"Linux|glibc|Perl|perl|PostgreSQL|Git|git|Python|Rust|Java|JDK|Bash|bash|GCC|gcc|"
    r"coreutils|musl|FreeBSD|NetBSD|OpenBSD|kernel|systemd|version|release"
)
_VERSION = rf"(?P<prod>{_PRODUCT}) v?(?P<ver>\d+(?:\.\d+)*(?:-rc\d+)?)\b(?![.\d]*[-/]\d)"
_VERSION_PREP = r"[Ss]ince|[Aa]s of|[Ss]tarting with|[Bb]eginning with|[Bb]efore|[Uu]ntil|[Ii]n|[Uu]p to"


def _which_version(prep: str, prod: str) -> str:
    """The wh phrase asking for a version: ("since", "Linux") -> "since which Linux version"."""
    prod = "Perl" if prod == "perl" else "Git" if prod == "git" else prod
    if prod in {"version", "release"}:
        return f"{prep.lower()} which {prod}"
    return f"{prep.lower()} which {prod} version"


def _t_version(v: _DocView) -> list[Triple]:
    """Since which version something exists or changed; the answer is the version number.

    "VT_GETHIFONTMASK (available since Linux 2.6.18)" -> "Since which Linux version is
    VT_GETHIFONTMASK available?"; "Since glibc 2.3.4, LD_DEBUG is ignored in secure-execution
    mode." -> "LD_DEBUG is ignored in secure-execution mode since which glibc version?".
    """
    s = v.text
    if len(re.findall(_VERSION, s)) != 1 or re.search(rf"{_VERSION}(?: and|,| or|/) \d", s):
        return []  # "in glibc 2.0 and 2.1": the answer is not one version
    m = re.search(rf"(?P<subj>\S+(?: (?:{_HEADS}))?) \((?:available |present |implemented )?since {_VERSION}\)", s)
    if m:
        if not _is_code(m.group("subj").split()[0]):
            return []
        subj = m.group("subj") if " " not in m.group("subj") else "the " + m.group("subj")
        q = f"{_cap(_which_version('since', m.group('prod')))} is {subj} available?"
        return [(q, m.group("ver"), "version")]
    m = re.search(rf"\b(?P<prep>{_VERSION_PREP}) {_VERSION}", s)
    if not m or s[m.end():m.end() + 1] == ")" or s[:m.start()].endswith("("):
        return []
    wh = _which_version(m.group("prep"), m.group("prod"))
    if m.start() > 0:
        q = _echo_question(s, m.start(), m.end(), wh)
    elif s[m.end():].startswith(", "):
        q = _finish_question(f"{_clause(s[m.end() + 2:])} {wh}")
        first = s[m.end() + 2:].split()[0]
        if q and _is_code(first):
            q = first + q[len(first):]  # "out_fd must refer to ...", not "Out_fd"
    else:
        q = None
    if not q or not _names_thing(_subject_before_verb(q), v) or set(q.lower().split()) & _POINTING:
        return []
    return [(q, m.group("ver"), "version")]


def _function_subject(v: _DocView) -> str | None:
    """The functions a "return value" sentence talks about: named in it or the sentence before."""
    calls = r"[\w:]+\(\)"
    for sentence in (v.text, *reversed(v.previous[-1:])):
        m = re.search(rf"{calls}(?:(?:,| and| or|, and|, or) {calls})*", sentence)
        if m and " return" in sentence:
            return m.group(0)
    return None


def _t_returns_on(v: _DocView) -> list[Triple]:
    """What a function returns on success or error.

    "On error, -1 is returned ..." (after "umask() returns ...") -> "What does umask() return
    on error?"; "strtol() returns 0 on failure" -> "What does strtol() return on failure?".
    """
    m = (re.match(r"^On (?P<when>error|failure|success), (?P<val>[^,;()]{1,30}?) (?:is|are) returned\b", v.text)
         or re.match(r"^On (?P<when>error|failure|success), [\w:]+\(\)(?: [^,]*)? returns? (?P<val>[^,;()]{1,30}?)"
                     r"(?=[,;.(]| and\b| if\b)", v.text)
         or re.search(r"\breturns? (?P<val>[^,;()]{1,30}?) on (?P<when>error|failure|success)\b", v.text))
    subject = _function_subject(v) if m else None
    if not m or not subject or subject in m.group("val") or not _phrase(m.group("val"), 5):
        return []
    does = "do" if re.search(r",| and | or ", subject) else "does"
    return [(f"What {does} {subject} return on {m.group('when')}?", _phrase(m.group("val"), 5), "returns_on")]


_VALUE = re.compile(
    r"(?P<val>-?\d[\w.,]*(?: (?:[a-zA-Z%]+|\([^()]{1,12}\)))?|on|off|true|false|yes|no|enabled|disabled|"
    r"empty|none|\"[^\"]{1,40}\"|“[^”]{1,40}”|'[^']{1,40}'|the value of (?:the )?\S+(?: (?:configuration|config|"
    r"environment) (?:variable|value|option))?|\S+)(?=\.$|,|;| \(|$)"
)
_SETTING_NOUN = (
    r"[Nn]umber|[Pp]ath|[Nn]ame|[Ss]ize|[Aa]mount|[Mm]aximum|[Mm]inimum|[Ll]ength|[Dd]irectory|"
    r"[Ff]ile|[Ii]nterval|[Ll]ocation|[Pp]ort|[Ff]ormat|[Cc]ommand|[Pp]refix|[Ss]tring|[Ww]idth|"
    r"[Dd]elay|[Tt]imeout|[Ll]imit|[Ll]evel|[Pp]rogram|[Cc]haracter"
)
_DESCRIPTIONS = (  # how a manual describes a setting before giving its default
    re.compile(r"^(?:This (?:parameter|variable|option|setting|field|value|file|flag|argument) )?(?:[Ss]ets|"
               r"[Ss]pecifies|[Cc]ontrols|[Dd]etermines|[Gg]ives|[Cc]ontains|[Ss]elects|[Dd]efines|[Rr]eports) "
               r"the (?P<what>.+)$"),  # "Sets the query cost above which ..."
    # "Set the output block size to BYTES."
    re.compile(r"^(?:Set|Specify|Change|Select|Choose) the (?P<what>.+?)(?: to \S+\.)?$"),
    # "Path to a gzip command."
    re.compile(rf"^(?:The )?(?P<what>(?:{_SETTING_NOUN}) (?:of|to|for|in|used|that)\b.*)$"),
)
_DEFAULT_IS = re.compile(r"^(?:The default(?: value)? is|Defaults? (?:is|to)|Default:) (?P<rest>.+)$")


def _setting(sentence: str) -> str | None:
    """The setting a describing sentence names: "Sets the query cost above which JIT
    compilation is activated, if enabled." -> "query cost above which JIT compilation is activated"."""
    for k, pattern in enumerate(_DESCRIPTIONS):
        d = pattern.match(sentence)
        if not d:
            continue
        what = _clause(re.split(r" \(", d.group("what"))[0], 3).rstrip(".")
        what = re.sub(r"^default ", "", what[0].lower() + what[1:])
        if not 3 <= len(what.split()) <= 16 or k == 2 and _VERB.search(what):
            return None  # a "Path to ..." fragment has no verb; "Number of times TCP will ..." is a sentence
        return what
    return None


def _described(previous: tuple[str, ...]) -> str | None:
    """The setting the nearest describing sentence names, looking back over at most three
    sentences and stopping at another setting's description or default."""
    for sentence in reversed(previous[-3:]):
        what = _setting(sentence)
        if what or re.match(r"(?:[A-Z][a-z]+s|The default|Defaults?)\b", sentence):
            return what
    return None


def _t_default(v: _DocView) -> list[Triple]:
    """Default values, of a named setting or of the one the sentences before describe.

    "The default value of wal_level is replica." -> "What is the default value of
    wal_level?"; "IP_RECVERR defaults to off." -> "What does IP_RECVERR default to?";
    "Sets the query cost above which ... The default is 100000." and "Number of seconds to
    cache credentials (default: 900)." -> "What is the default query cost above which
    ...?", "What is the default number of seconds to cache credentials?".
    """
    return _default_of_named(v) or _default_of_described(v)


def _default_of_named(v: _DocView) -> list[Triple]:
    """"The default value of X is V", "X defaults to V", "X (default V)" with X named."""
    s = v.text
    m = re.match(r"^[Tt]he default (?P<what>(?:value |setting )?(?:of|for) (?P<x>[^,;()]{2,60}?)) is (?P<rest>.+)$", s)
    if m and _names_thing(m.group("x"), v):
        return _default_triple(f"What is the default {m.group('what')}?", m.group("rest"))
    m = re.match(r"^(?P<x>[^,;()]{2,60}?) defaults to (?P<rest>.+)$", s)
    if m and _names_thing(m.group("x"), v, proper_ok=False):
        return _default_triple(f"What does {_decap_article(m.group('x'))} default to?", m.group("rest"))
    m = re.search(r"(?P<x>\S+) \((?:the )?default(?: is|:)? (?P<rest>[^()]{1,20})\)", s)
    if m and _is_code(m.group("x")):
        return _default_triple(f"What is the default value of {m.group('x')}?", m.group("rest"))
    return []


def _default_of_described(v: _DocView) -> list[Triple]:
    """A default given after (or inside) the sentence that describes the setting, or
    "The default NOUN is V" ("The default notes merge strategy is "manual".")."""
    s = v.text
    m = re.match(r"^(?P<desc>.+?) \((?:the )?default(?: is|:)? (?P<rest>[^()]{1,20})\)\.?$", s)
    what = _setting(m.group("desc")) if m else None
    if not what:
        m = _DEFAULT_IS.match(s)
        what = _described(v.previous) if m else None
        what = what if what and (len(what.split()) >= 5 or _names_thing(what, v)) else None
    if what:
        return _default_triple(f"What is the default {what}?", m.group("rest"))
    m = re.match(r"^The default (?P<what>(?:[a-z][\w-]* ){1,4}?[a-z][\w-]*) is (?P<rest>.+)$", s)
    words = m.group("what").split() if m else []
    if m and not set(words) & (_FINITE | _DANGLING | {"for"}) and words[0] not in {
            "value", "behavior", "behaviour", "setting", "action"}:
        return _default_triple(f"What is the default {m.group('what')}?", m.group("rest"))
    return []


def _default_triple(question: str, rest: str) -> list[Triple]:
    """``[(question, value, "default")]`` when ``rest`` opens with a value ("64", "off", "\"manual\"")."""
    m = _VALUE.match(rest)
    if not m or m.group("val").lower() in {"to", "a", "an", "the", "that", "not", "used", "set", "is"}:
        return []
    return [(question, m.group("val").rstrip(".,"), "default")]


_AMOUNT = r"(?P<val>(?:about |approximately |typically |currently )?(?:-?\d[\w.,]*|0x[0-9A-Fa-f]+)(?: [a-zA-Z]+)?)"


def _t_limit(v: _DocView) -> list[Triple]:
    """Limits: "The maximum size of the core filename is 128 bytes." -> "What is the maximum
    size of the core filename?"; "Symbol names are limited to 59 characters." -> "What are
    symbol names limited to?"."""
    s = v.text
    m = re.search(rf"\b[Tt]he (?P<what>(?:maximum|minimum|max|min) (?:number|length|size|value|amount|count)"
                  rf" of [^,;()]{{3,90}}?) (?P<aux>is|was) {_AMOUNT}(?=[.,;]| \(|$)", s)
    at_start = m and (m.start() == 0 or re.fullmatch(r"(?:By default|Currently), ", s[:m.start()]))
    if at_start and len(m.group("what").split()) >= 4 and not set(m.group("what").split()) & _FINITE:
        return [(f"What {m.group('aux')} the {m.group('what')}?", m.group("val"), "limit")]
    m = re.match(rf"^(?P<x>[A-Z][^,;()]{{3,60}}?) (?P<aux>is|are) limited to {_AMOUNT}(?=[.,;]| \(|$)", s)
    if m and len(m.group("x").split()) >= 2 and _first_ok(m.group("x")) and not set(m.group("x").split()) & _FINITE:
        return [(f"What {m.group('aux')} {_decap_article(m.group('x'))} limited to?", m.group("val"), "limit")]
    return []


_PASSIVE_ACTIVE = {
    "controlled": "controls", "determined": "determines", "specified": "specifies",
    "configured": "configures", "governed": "governs", "defined": "defines", "given": "gives",
    "selected": "selects", "set": "sets", "enabled": "enables", "disabled": "disables",
}


def _t_controlled_by(v: _DocView) -> list[Triple]:
    """What setting governs something: "The maximum number of surplus huge pages is controlled
    by /proc/sys/vm/nr_overcommit_hugepages." -> "What controls the maximum number of surplus huge pages?"."""
    m = re.match(
        rf"^(?P<x>[A-Z][^,;()]{{3,80}}?) (?:is|are) (?:also )?(?P<verb>{'|'.join(_PASSIVE_ACTIVE)}) by "
        r"(?P<y>(?:the )?(?:value of (?:the )?)?\S+(?: (?:option|parameter|variable|setting|file|field|flag|macro|"
        r"configuration variable|environment variable|argument))?)(?=[.,;]| \(|$)",
        v.text,
    )
    if not m or not any(_is_code(w) for w in m.group("y").split()):
        return []
    x = m.group("x")
    if set(x.lower().split()) & (_FINITE | _PRONOUNS):
        return []
    if not (_first_ok(x) and len(x.split()) >= 3 or _names_thing(x, v)):
        return []
    return [(f"What {_PASSIVE_ACTIVE[m.group('verb')]} {_decap_article(x)}?", m.group("y"), "controlled_by")]


_PATH = r"(?P<path>~?/[\w.+*-]+(?:/[\w.+*@-]*)*|[\w-]+\.(?:conf|cfg|ini|h|rc|pc|json|ya?ml|toml|xml|d))"
_PLACE_VERBS = (
    r"stored|kept|located|configured|defined|declared|listed|found|installed|placed|written|"
    r"saved|read|loaded|logged|recorded|specified|set|cached|mounted"
)


def _t_where(v: _DocView) -> list[Triple]:
    """Where something is kept: "The group database is stored in /etc/group." -> "Where is
    the group database stored?"."""
    m = re.match(rf"^(?P<x>[A-Z][^,;()]{{2,60}}?) (?P<aux>is|are) (?:usually |normally |typically )?"
                 rf"(?P<verb>{_PLACE_VERBS}) (?:in|under|into) (?:the )?(?:(?:file|directory) )?{_PATH}"
                 r"(?: (?:file|directory))?(?=[.,;]| \(| (?:and|or|on|by|when|if)\b|$)", v.text)
    x = m.group("x") if m else ""
    if not m or set(x.lower().split()) & (_FINITE | _PRONOUNS) or x.lower().startswith(("the file", "the directory")):
        return []
    if not (_names_thing(x, v) or _first_ok(x) and len(x.split()) >= 3):
        return []
    return [(f"Where {m.group('aux')} {_decap_article(x)} {m.group('verb')}?", m.group("path"), "where")]


def _t_which_file(v: _DocView) -> list[Triple]:
    """Which file holds or controls something: "The file /etc/nsswitch.conf defines which
    databases are searched." -> "Which file defines which databases are searched?"."""
    m = re.match(rf"^(?:The (?P<kind>file|directory) )?{_PATH}(?: (?P<kind2>file|directory))? (?P<verb>contains|"
                 r"lists|holds|stores|specifies|defines|controls|describes|records) (?P<obj>.+)$", v.text)
    if not m:
        return []
    path = m.group("path")
    kind = m.group("kind") or m.group("kind2") or (
        "directory" if path.endswith("/") else "file" if re.search(r"\.\w+$|^/(?:proc|sys|dev|etc)/", path) else None)
    obj = _clause(m.group("obj"), 3)
    q = _finish_question(f"Which {kind} {m.group('verb')} {obj}") if kind else None
    return [(q, path, "which_file")] if q and 3 <= len(obj.split()) <= 20 else []
