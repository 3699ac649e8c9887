"""Man pages (roff with the ``man`` macros) -> prose: :func:`man_to_doc`.

Kept: the text of every paragraph (``.PP``/``.LP``/``.P``, the bodies of ``.TP``,
``.IP`` and ``.HP`` items, ``.RS`` blocks), with font macros (``.B``, ``.BR``, ...) and
inline escapes resolved to plain characters; the NAME line ("ls - list directory
contents") is the first paragraph. The title is the ``.TH`` name and section, ``ls(1)``.

Dropped: comments, headings, ``.TP`` tags and ``.IP`` labels (option names, bullets),
no-fill blocks (``.nf``/``.fi``, ``.EX``/``.EE``, pod2man's ``.Vb``/``.Ve``), tables
(``.TS``/``.TE``), macro definitions and conditionals, URLs of ``.UR`` links, unknown
requests, and the sections SYNOPSIS, LIBRARY, ATTRIBUTES, SEE ALSO, COPYRIGHT,
REPORTING BUGS and COLOPHON (structure or boilerplate). A page that is only a ``.so``
include gives an empty document; an mdoc page (``.Dd``/``.Dt``/``.Sh``, BSD's macro set)
is read by :mod:`~gmsa_rag.training.corpora.formats.mdoc`.
"""

from __future__ import annotations

import re

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.formats import ConvertedDoc

_SKIPPED_SECTIONS = {
    "SYNOPSIS", "LIBRARY", "ATTRIBUTES", "SEE ALSO", "COPYRIGHT", "REPORTING BUGS", "COLOPHON",
}
_BREAKS = {"PP", "LP", "P", "HP", "RS", "RE", "sp", "br", "in", "INDENT", "UNINDENT", "Sp", "PD", "ti"}
_FONT_SPACED = {"B", "I", "SM", "SB"}
_FONT_ALTERNATING = {"BR", "RB", "BI", "IB", "IR", "RI"}
_NO_FILL = {  # request -> the request that ends the block
    "nf": "fi", "EX": "EE", "Vb": "Ve", "TS": "TE", "SY": "YS",
    "de": "..", "de1": "..", "ig": "..", "am": "..",
}
_MDOC = {"Dd", "Dt", "Sh", "Os"}

_SPECIAL = {
    "em": "—", "en": "–", "hy": "-", "mi": "-", "aq": "'", "dq": '"', "lq": "“", "rq": "”",
    "oq": "‘", "cq": "’", "bu": "•", "co": "©", "rg": "®", "tm": "™", "de": "°", "mu": "×",
    "+-": "±", "<=": "≤", ">=": "≥", "!=": "≠", "->": "→", "<-": "←", "ha": "^", "ti": "~",
    "sl": "/", "rs": "\\", "ga": "`", "ul": "_", "ba": "|", "or": "|", "sc": "§", "dg": "†",
    "fm": "′", "sd": "″", "la": "⟨", "ra": "⟩", "Fo": "«", "Fc": "»", "eu": "€", "Po": "£",
    "ct": "¢", "ps": "¶", "pl": "+", "eq": "=", "sh": "#", "at": "@", "lB": "[", "rB": "]",
    "lC": "{", "rC": "}", "aa": "´", "12": "½", "14": "¼", "34": "¾", "^o": "ô", ":a": "ä",
    ":o": "ö", ":u": "ü", ":A": "Ä", ":O": "Ö", ":U": "Ü", "'a": "á", "'e": "é", "`a": "à",
    "`e": "è", "^a": "â", "ss": "ß", "nu": "ν", "*m": "μ", "*p": "π", "*a": "α", "*b": "β",
}
_STRINGS = {"lq": "“", "rq": "”", "R": "®", "Tm": "™", "C+": "C++"}
NO_BREAK = "\x00"  # where ``\c`` joins two input lines, or ``.UE`` its punctuation
NO_BREAK_RUN = re.compile(r"\s*\x00\s*")

_COMMENT = re.compile(r"(?<!\\)((?:\\\\)*)\\[\"#].*")
_ESCAPE = re.compile(
    r"\\(?:"
    r"(?P<font>f(?:\(..|\[[^\]\n]*\]|.))"
    r"|\((?P<special2>..)|\[(?P<special>[^\]\n]*)\]"
    r"|\*(?:\((?P<string2>..)|\[(?P<string>[^\]\n]*)\]|(?P<string1>.))"
    r"|(?P<size>s(?:[-+]?\d|\([-+]?\d\d|\[[^\]\n]*\]|'[^'\n]*'))"
    r"|(?P<register>[nkgmMFY](?:[-+]?\(..|[-+]?\[[^\]\n]*\]|[-+]?.))"
    r"|(?P<quoted>[whvoDlLbxXNRSZAB]'[^'\n]*')"
    r"|(?P<char>.)"
    r")"
)
_CHAR = {
    "-": "-", "e": "\\", "\\": "\\", ".": ".", "'": "'", "`": "`", "t": " ", "0": " ", "~": " ",
    " ": " ", "c": NO_BREAK, "&": "", "|": "", "^": "", "%": "", ":": "", ",": "", "/": "",
    ")": "", "{": "", "}": "", "z": "", "a": "", "p": "", "r": "", "u": "", "d": "", "E": "",
}
_COMMON = (("\\fB", ""), ("\\fI", ""), ("\\fR", ""), ("\\fP", ""), ("\\-", "-"), ("\\&", ""))
_ARGUMENT = re.compile(r'"((?:[^"]|"")*)"?|(\S+)')


def _special(name: str) -> str:
    """``\\(xx`` / ``\\[name]``: a named or ``u00E9``-style character; unknown ones vanish."""
    if name in _SPECIAL:
        return _SPECIAL[name]
    code = re.fullmatch(r"(?:u|char)([0-9A-Fa-f]{4,6}|\d+)", name)
    if code:
        value = int(code.group(1), 16 if name.startswith("u") else 10)
        return chr(value) if value < 0x110000 else ""
    return ""


def _render_escape(match: re.Match) -> str:
    """The text one roff escape stands for (fonts, sizes and motions stand for nothing)."""
    group = match.lastgroup
    value = match.group(group)
    if group in ("special", "special2"):
        return _special(value)
    if group in ("string", "string2", "string1"):
        return _STRINGS.get(value, "")
    if group == "char":
        return _CHAR.get(value, value)
    return ""


def roff_text(line: str) -> str:
    """A line of roff input as plain text: comments cut, escapes resolved."""
    if "\\" not in line:
        return line
    if "\\\\" not in line:  # the commonest escapes first, without the regex
        for escape, replacement in _COMMON:
            line = line.replace(escape, replacement)
        if "\\" not in line:
            return line
    return _ESCAPE.sub(_render_escape, _COMMENT.sub(r"\1", line))


def arguments(rest: str) -> list[str]:
    """A request's arguments: blank-separated, ``"quoted with ""quotes"" inside"``."""
    matches = _ARGUMENT.finditer(rest)
    return [m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2) for m in matches]


def logical_lines(text: str) -> list[str]:
    """Input lines with ``\\``-newline continuations joined."""
    text = text.replace("\r\n", "\n").replace(NO_BREAK, "")
    return re.sub(r"(?<!\\)((?:\\\\)*)\\\n", r"\1", text).split("\n")


class _Reader:
    """Walks a page's lines, gathering paragraphs; one instance per page."""

    def __init__(self) -> None:
        self.title = ""
        self.paragraphs: list[str] = []
        self.current: list[str] = []
        self.section = ""
        self.skip_until = ""  # the request that ends the no-fill block being skipped
        self.tag_pending = False  # the next text line is a .TP tag
        self.heading_pending = ""  # "SH" or "SS" when the next text line is that heading

    def flush(self) -> None:
        """End the paragraph being read (a break)."""
        text = " ".join(NO_BREAK_RUN.sub(NO_BREAK, " ".join(self.current)).split())
        text = text.replace(NO_BREAK, "")
        if text:
            self.paragraphs.append(text)
        self.current = []

    def add(self, text: str) -> None:
        """Text that the page prints, unless it is a tag, a heading or in a skipped section."""
        if self.heading_pending:
            if self.heading_pending == "SH":
                self.section = " ".join(text.split()).upper()
            self.heading_pending = ""
        elif self.tag_pending:
            self.tag_pending = False
        elif self.section not in _SKIPPED_SECTIONS and text.strip():
            self.current.append(text)

    def request(self, name: str, rest: str) -> None:
        """One control line ``.name rest``."""
        if name in _NO_FILL:
            self.flush()
            self.skip_until = _NO_FILL[name]
        elif name in ("SH", "SS"):
            self.flush()
            heading = " ".join(roff_text(a) for a in arguments(rest)).strip()
            if name == "SH":
                self.section = heading.upper()
            self.heading_pending, self.tag_pending = ("" if heading else name), False
        elif name == "TH":
            args = [roff_text(a) for a in arguments(rest)]
            self.title = f"{args[0].lower()}({args[1]})" if len(args) >= 2 else "".join(args).lower()
        elif name in ("TP", "TQ"):
            self.flush()
            self.tag_pending = True
        elif name == "IP":
            self.flush()  # its label (a bullet, a number, an option) is not printed here
        elif name in _BREAKS:
            self.flush()
        elif name in _FONT_SPACED:
            self.add(" ".join(roff_text(a) for a in arguments(rest)))
        elif name in _FONT_ALTERNATING:
            self.add("".join(roff_text(a) for a in arguments(rest)))
        elif name in ("UE", "ME"):  # the end of a link: its URL is dropped, its punctuation kept
            punctuation = "".join(roff_text(a) for a in arguments(rest))
            if punctuation:
                self.add(NO_BREAK + punctuation)
        elif name == "MR":
            args = [roff_text(a) for a in arguments(rest)]
            self.add(f"{args[0]}({args[1]}){''.join(args[2:])}" if len(args) >= 2 else "".join(args))

    def line(self, raw: str) -> None:
        """One input line: a request, text, or part of a skipped block."""
        control = raw[:1] in (".", "'")
        if self.skip_until:
            ends = control and (raw.rstrip() == self.skip_until or _request(raw)[0] == self.skip_until)
            if ends or (self.skip_until == "\\}" and "\\}" in raw):
                self.skip_until = ""
        elif control:
            name, rest = _request(raw)
            if name[:2] in ("if", "ie", "el") and "\\{" in raw and "\\}" not in raw:
                self.skip_until = "\\}"  # a conditional block: page set-up, not text
            self.request(name, rest)
        elif not raw.strip():
            self.flush()
        else:
            if raw[:1] in (" ", "\t"):
                self.flush()  # roff breaks before a line that starts with a blank
            self.add(roff_text(raw).replace("\t", " "))


def _request(raw: str) -> tuple[str, str]:
    """A control line's request name and its arguments, comment cut."""
    name, _, rest = raw[1:].lstrip(" \t").replace("\t", " ", 1).partition(" ")
    return name, (_COMMENT.sub(r"\1", rest) if "\\" in rest else rest)


def _is_mdoc(lines: list[str]) -> bool:
    """Whether the page uses BSD's mdoc macros (``.Dd``, ``.Dt``, ``.Sh``) instead of man."""
    return any(line[1:3] in _MDOC and line[3:4] in ("", " ") for line in lines[:200] if line[:1] == ".")


def _is_include(lines: list[str]) -> bool:
    """Whether the page's first request is ``.so`` (it only points at another page)."""
    for line in lines:
        if line.startswith((".\\\"", "'\\\"")) or not line.strip() or line.strip() == ".":
            continue
        return line.startswith(".so ") or line.strip() == ".so"
    return False


def man_to_doc(text: str, name: str = "") -> ConvertedDoc:
    """The prose of one man page (roff source, already decompressed).

    ``name`` titles the page when it has no ``.TH`` line. Odd input (an include, garbage)
    gives a document with no paragraphs; raises InputError only if
    ``text`` or ``name`` is not a str.
    """
    if not isinstance(text, str) or not isinstance(name, str):
        raise InputError(f"man page text and name must be str, got {type(text).__name__}")
    lines = logical_lines(text)
    if _is_include(lines):
        return ConvertedDoc(name, ())
    if _is_mdoc(lines):
        from gmsa_rag.training.corpora.formats.mdoc import mdoc_lines_to_doc

        return mdoc_lines_to_doc(lines, name)
    reader = _Reader()
    for line in lines:
        reader.line(line)
    reader.flush()
    return ConvertedDoc(reader.title or name, tuple(reader.paragraphs))
