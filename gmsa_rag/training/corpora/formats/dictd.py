"""dictd dictionaries (FOLDOC, the Jargon File) -> prose documents: :func:`dictd_to_docs`.

A dictd database's ``.dict`` file (``.dict.dz`` is dictzip, which gzip reads) holds the
entries one after another: the headword at the margin after a blank line (FOLDOC puts
aliases on the following lines, or after ``%%%``), optional lines indented by one space
(the Jargon File's part of speech and pronunciation), then the body, indented by a few
spaces, in blank-line-separated paragraphs. The database's own entries come first and are
named ``00-database-...``.

Kept: each body paragraph at the body's indentation, joined; the first one starts with the
headword (``brontobyte: A proposed unit of data ...``), as a reader of the entry would
take it. Removed marks: ``{cross references}`` keep their text, a leading ``<domain, tags>``,
``[Usenet]``-style origin tags, ``/pronunciation/`` and sense numbers (``1. vi.``).
Dropped: the database entries, lines indented deeper than the body (quotations, examples)
and bracketed notes (``[{Jargon File}]``). Entries are grouped in reading order into
documents of about :data:`DOC_WORDS` words, so the train/held-out split sees dozens of
documents per dictionary, not one.
"""

from __future__ import annotations

import re

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.formats import ConvertedDoc

DOC_WORDS = 4_000

_DATABASE_ENTRY = re.compile(r"00-?database")
_XREF = re.compile(r"\{\s*([^{}]*?)\s*\}")
_LEADING_MARKS = re.compile(
    r"^(?:<[^<>]*>\s*|\[[^\[\]]*\]\s*|/[^/\s][^/]*/\s*|\d{1,2}\.\s+|(?:n|v|vi|vt|adj|adv|interj|pref|suff)\.\s+)+"
)
_ALIAS = re.compile(r"^\(([^()]{1,60})\)\s*")
_BRACKETED = re.compile(r"^\[.*\]$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _entries(text: str) -> list[tuple[str, list[str]]]:
    """(headword, body lines) of each entry: an entry starts at a margin line after a blank one."""
    entries: list[tuple[str, list[str]]] = []
    previous_blank = True
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.strip() and _indent(line) == 0 and previous_blank:
            entries.append((line.strip(), []))
        elif entries:
            entries[-1][1].append(line)
        previous_blank = not line.strip()
    return entries


def _paragraphs(body: list[str]) -> list[str]:
    """The body's paragraphs at its own indentation (the smallest of two or more spaces)."""
    depths = [_indent(line) for line in body if line.strip() and _indent(line) >= 2]
    if not depths:
        return []
    depth = min(depths)
    paragraphs, current = [], []
    for line in [*body, ""]:
        if line.strip() and _indent(line) == depth:
            current.append(line.strip())
            continue
        if current and (not line.strip() or _indent(line) > depth):
            paragraphs.append(" ".join(current))
            current = []
    return paragraphs


def _name(headword: str) -> str:
    """The headword without FOLDOC's ``%%%`` aliases."""
    return headword.split("%%%")[0].strip()


def _clean(paragraph: str) -> str:
    paragraph = _XREF.sub(r"\1", paragraph)
    return " ".join(_LEADING_MARKS.sub("", paragraph).split())


def entry_paragraphs(headword: str, body: list[str]) -> list[str]:
    """The prose paragraphs of one entry, the first led by its headword (rules above)."""
    name = _name(headword)
    out = []
    for paragraph in _paragraphs(body):
        if _BRACKETED.match(paragraph):
            continue
        paragraph = _clean(paragraph)
        if not paragraph:
            continue
        if not out:
            alias = _ALIAS.match(paragraph)
            if alias:
                paragraph = f"{name} ({alias.group(1)}): {paragraph[alias.end():]}"
            else:
                paragraph = f"{name}: {paragraph}"
        out.append(paragraph)
    return out


def dictd_to_docs(text: str, name: str = "") -> list[ConvertedDoc]:
    """The entries of one dictd ``.dict`` file as documents of about :data:`DOC_WORDS` words,
    titled by their first and last headwords."""
    if not isinstance(text, str):
        raise InputError(f"dictd_to_docs needs the file's text, got {type(text).__name__} for {name or 'a file'}")
    groups: list[list[tuple[str, list[str]]]] = [[]]  # (name, paragraphs) of each entry
    words = 0
    for headword, body in _entries(text):
        kept = [] if _DATABASE_ENTRY.match(headword) else entry_paragraphs(headword, body)
        if not kept:
            continue
        if words >= DOC_WORDS:
            groups.append([])
            words = 0
        groups[-1].append((_name(headword), kept))
        words += sum(len(p.split()) for p in kept)
    return [
        ConvertedDoc(f"{group[0][0]} - {group[-1][0]}", tuple(p for _, kept in group for p in kept))
        for group in groups if group
    ]
