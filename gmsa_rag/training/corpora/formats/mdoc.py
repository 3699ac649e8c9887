"""Man pages in BSD's ``mdoc`` macros -> prose: :func:`mdoc_to_doc`.

FreeBSD's, OpenBSD's and many ported tools' man pages use mdoc (``.Dd``, ``.Dt``, ``.Sh``)
instead of the ``man`` macros of :mod:`~gmsa_rag.training.corpora.formats.roff`, which
hands such a page here. mdoc is semantic: a line such as ``.Fa oldp ,`` or
``.Op Fl a Ar file`` is a chain of macros, each rendering its words (``oldp``, ``[-a
file]``), with punctuation words attached to the word before.

Kept: the text of every paragraph (``.Pp``, list item bodies, filled displays), the NAME
line ("sysctl, sysctlbyname - get or set system information") first, in-line macros
rendered as the page prints them (``.Fn open`` -> ``open()``, ``.Xr ls 1`` -> ``ls(1)``,
``.Fl v`` -> ``-v``, the quoting macros, ``.St`` standards, the ``.Ex``/``.Rv -std``
sentences). The title is ``.Dt``'s name and section, ``sysctl(3)``.

Dropped: comments, headings, list item tags (option names, function names), column lists
(tables), literal displays (``.Bd -literal``, ``.Dl``, ``.D1``), reference blocks
(``.Rs``/``.Re``), and the sections SYNOPSIS, LIBRARY, SEE ALSO, AUTHORS and COPYRIGHT.
"""

from __future__ import annotations

from gmsa_rag.training.corpora.formats import ConvertedDoc
from gmsa_rag.training.corpora.formats.roff import NO_BREAK, NO_BREAK_RUN, arguments, logical_lines, roff_text

_SKIPPED_SECTIONS = {"SYNOPSIS", "LIBRARY", "SEE ALSO", "AUTHORS", "COPYRIGHT"}
_BREAKS = {"Pp", "Lp", "Ss", "It", "Dl", "D1"}  # an item's tag and a one-line display are not text
_CLOSING = {".", ",", ";", ":", "?", "!", ")", "]"}  # attach to the word before
_OPENING = {"(", "["}  # attach to the word after
_ENCLOSURES = {  # macro -> (opening, closing): they enclose the rest of the line
    "Dq": ("“", "”"), "Sq": ("‘", "’"), "Qq": ('"', '"'), "Pq": ("(", ")"), "Bq": ("[", "]"),
    "Brq": ("{", "}"), "Aq": ("<", ">"), "Op": ("[", "]"), "Ql": ("‘", "’"),
}
_QUOTE_PAIRS = {"Do": "“", "Dc": "”", "So": "‘", "Sc": "’", "Po": "(", "Pc": ")", "Bo": "[", "Bc": "]",
                "Oo": "[", "Oc": "]", "Qo": '"', "Qc": '"', "Ao": "<", "Ac": ">", "Bro": "{", "Brc": "}"}
_SYSTEMS = {"Ux": "UNIX", "Bx": "BSD", "Fx": "FreeBSD", "Nx": "NetBSD", "Ox": "OpenBSD",
            "Dx": "DragonFly", "Bsx": "BSD/OS", "At": "AT&T UNIX"}
_STANDARDS = {
    "-ansiC": "ANSI X3.159-1989 (“ANSI C89”)", "-isoC": "ISO/IEC 9899:1990 (“ISO C90”)",
    "-isoC-99": "ISO/IEC 9899:1999 (“ISO C99”)", "-isoC-2011": "ISO/IEC 9899:2011 (“ISO C11”)",
    "-p1003.1": "IEEE Std 1003.1 (“POSIX.1”)", "-p1003.1-2001": "IEEE Std 1003.1-2001 (“POSIX.1”)",
    "-p1003.1-2008": "IEEE Std 1003.1-2008 (“POSIX.1”)", "-p1003.2": "IEEE Std 1003.2 (“POSIX.2”)",
    "-susv2": "Version 2 of the Single UNIX Specification (“SUSv2”)",
    "-susv3": "Version 3 of the Single UNIX Specification (“SUSv3”)",
    "-susv4": "Version 4 of the Single UNIX Specification (“SUSv4”)",
    "-xpg4": "X/Open Portability Guide Issue 4 (“XPG4”)", "-svid4": "System V Interface Definition, Fourth Edition (“SVID4”)",
}
# macros whose words render as they are (fonts and semantics that plain text cannot show)
_PLAIN = set(
    "Ad An Ar Cd Cm Dv Em Er Ev Fa Fd Fr Ft Ic In Li Lk Ms Mt Nm No Pa Sx Sy Tn Va Vt Lb Ot Hf".split()
)
_IGNORED = {"Ns", "Pf", "Ta", "Sm", "Bk", "Ek", "Bf", "Ef"}
_MACROS = _PLAIN | _IGNORED | set(_ENCLOSURES) | set(_QUOTE_PAIRS) | set(_SYSTEMS) | {"Fl", "Fn", "Fo", "Fc", "Xr", "St", "Ex", "Rv"}


class _Line:
    """One line's words as the page prints them, spacing and punctuation resolved."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.glue = False  # the next word attaches to the last one (an opening bracket, ``Pf``)

    def add(self, word: str) -> None:
        if not word:
            return
        if self.words and (self.glue or word in _CLOSING):
            self.words[-1] += word
        else:
            self.words.append(word)
        self.glue = word in _OPENING

    def text(self) -> str:
        return " ".join(self.words)


class _Reader:
    """Walks a page's lines, gathering paragraphs; one instance per page."""

    def __init__(self) -> None:
        self.title = ""
        self.name = ""  # the first ``.Nm``: the default of a later bare ``.Nm``
        self.paragraphs: list[str] = []
        self.current: list[str] = []
        self.section = ""
        self.literal = False  # inside ``.Bd -literal`` / ``-unfilled``
        self.lists: list[bool] = []  # per open ``.Bl``: whether it is a table (``-column``)
        self.references = False  # inside ``.Rs`` ... ``.Re``
        self.open_quotes = 0  # ``.Do`` and the like not closed yet

    @property
    def skipping(self) -> bool:
        return self.literal or self.references or any(self.lists) or self.section in _SKIPPED_SECTIONS

    def flush(self) -> None:
        text = NO_BREAK_RUN.sub(NO_BREAK, " ".join(" ".join(self.current).split())).replace(NO_BREAK, "")
        if text:
            self.paragraphs.append(text)
        self.current = []

    def add(self, text: str) -> None:
        if not self.skipping and text.strip():
            self.current.append(text)

    def line(self, raw: str) -> None:
        if raw[:1] not in (".", "'"):
            if not raw.strip():
                self.flush()
            else:
                self.add(roff_text(raw).replace("\t", " "))
            return
        name, _, rest = raw[1:].lstrip(" \t").partition(" ")
        words = [roff_text(a) for a in arguments(rest)]
        if name.startswith('\\"') or name == "":
            return
        if name == "Sh":
            self.flush()
            self.section = " ".join(words).upper()
        elif name == "Dt":
            self.title = f"{words[0].lower()}({words[1]})" if len(words) >= 2 else " ".join(words).lower()
        elif name == "Bd":
            self.flush()
            self.literal = "-literal" in words or "-unfilled" in words
        elif name == "Ed":
            self.flush()
            self.literal = False
        elif name == "Bl":
            self.flush()
            self.lists.append("-column" in words)
        elif name == "El":
            self.flush()
            if self.lists:
                self.lists.pop()
        elif name in ("Rs", "Re"):
            self.flush()
            self.references = name == "Rs"
        elif name in _BREAKS:
            self.flush()
        elif name == "Nd":
            if self.section == "NAME":
                self.add(self.render(["No", "-", *words]))
        elif name in _MACROS:
            if name == "Nm" and words and not self.name:
                self.name = words[0]
            self.add(self.render([name, *words]))

    def render(self, tokens: list[str]) -> str:
        """A macro line (``Fa oldp ,``) as the words it prints (``oldp,``)."""
        line = _Line()
        self._render(tokens, line)
        return line.text()

    def _render(self, tokens: list[str], line: _Line) -> None:
        i = 0
        while i < len(tokens):
            macro = tokens[i]
            if macro not in _MACROS:
                line.add(tokens[i])
                i += 1
                continue
            j = i + 1  # the macro's own words run to the next macro
            while j < len(tokens) and tokens[j] not in _MACROS:
                j += 1
            if macro in _ENCLOSURES:
                end = len(tokens)  # the rest of the line, but for its closing punctuation
                while end > i + 1 and tokens[end - 1] in _CLOSING:
                    end -= 1
                opening, closing = _ENCLOSURES[macro]
                inner = _Line()
                self._render(tokens[i + 1:end], inner)
                line.add(opening + inner.text() + closing)
                i = end
                continue
            self._words(macro, _own_words(tokens[i + 1:j]), tokens[i + 1:j], line)
            i = j

    def _words(self, macro: str, words: list[str], tokens: list[str], line: _Line) -> None:
        """Add one macro's rendering (``words``, trailing punctuation in ``tokens`` after them)."""
        punctuation = tokens[len(words):]
        if macro == "Fl":
            for word in words or [""]:
                line.add("-" + word)
        elif macro in ("Fn", "Fo"):
            if words:
                line.add(f"{words[0]}({', '.join(words[1:])})")
        elif macro == "Xr":
            line.add(f"{words[0]}({words[1]})" if len(words) >= 2 else " ".join(words))
        elif macro == "St":
            for word in words:
                line.add(_standard(word))
        elif macro in _SYSTEMS:
            line.add(_SYSTEMS[macro] + (" " + " ".join(words) if words and macro != "Ux" else ""))
        elif macro in _QUOTE_PAIRS:  # may open on one line and close on another
            mark, opens = _QUOTE_PAIRS[macro], macro.endswith("o")
            if opens or self.open_quotes:  # a closing mark without its opening one is dropped
                self.open_quotes += 1 if opens else -1
                line.add(mark + NO_BREAK if opens else NO_BREAK + mark)
            for word in words:
                line.add(word)
        elif macro in ("Ex", "Rv"):  # the standard sentences, about the names given or the page's
            names = [w for w in words if w != "-std"] or ([self.name] if self.name else [])
            if names and macro == "Ex":
                line.add(f"The {' '.join(names)} utility exits 0 on success, and >0 if an error occurs.")
            elif names:
                line.add(f"The {' '.join(n + '()' for n in names)} function returns the value 0 if successful; "
                         "otherwise the value -1 is returned and the global variable errno is set to indicate the error.")
        elif macro == "Ns":
            line.add(NO_BREAK)
            for word in words:
                line.add(word)
        elif macro == "Pf":
            for k, word in enumerate(words):
                line.add(word)
                line.glue = k == 0
        elif macro == "Nm" and not words:
            line.add(self.name)
        elif macro == "An":
            for word in words:
                if word not in ("-split", "-nosplit"):
                    line.add(word)
        else:  # the plain macros, and those that only change spacing or fonts
            for word in words:
                line.add(word)
        for mark in punctuation:
            line.add(mark)


def _own_words(tokens: list[str]) -> list[str]:
    """A macro's words without the punctuation that closes them (``Fa oldp ,`` -> ``oldp``)."""
    end = len(tokens)
    while end and tokens[end - 1] in _CLOSING:
        end -= 1
    return tokens[:end]


def _standard(code: str) -> str:
    """``.St -p1003.1`` -> "IEEE Std 1003.1 (“POSIX.1”)"; an unknown code as its name."""
    if code in _STANDARDS:
        return _STANDARDS[code]
    if code.startswith("-p1003"):
        return "IEEE Std " + code[2:]
    return code.lstrip("-")


def mdoc_to_doc(text: str, name: str = "") -> ConvertedDoc:
    """The prose of one mdoc man page (roff source, already decompressed); ``name`` titles a
    page without ``.Dt``. Odd input gives fewer paragraphs, never an error."""
    return mdoc_lines_to_doc(logical_lines(text), name)


def mdoc_lines_to_doc(lines: list[str], name: str = "") -> ConvertedDoc:
    """:func:`mdoc_to_doc` of a page already split into logical lines (as ``man_to_doc`` has it)."""
    reader = _Reader()
    for line in lines:
        reader.line(line)
    reader.flush()
    return ConvertedDoc(reader.title or name, tuple(reader.paragraphs))
