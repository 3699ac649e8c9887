"""Plain-text manuals published as HTML ``<pre>`` blocks -> prose: :func:`pre_html_to_doc`.

Vim's help files and HAProxy's manuals are written as plain text wrapped at about 78
columns; their HTML editions put that text in ``<pre>`` blocks (one per page in Vim,
``<pre class="text">`` per section in HAProxy), which the HTML converter drops as code.

Kept: in each blank-line-separated block of a ``<pre>`` without a class or of class
``text``, the leading run of lines that start at the margin, joined as one paragraph.
Dropped: an indented line and the rest of its block (examples, option lists, tables), a
line with a tab (aligned columns, Vim's headings), rules (``====``), headings at a block's
start (a line ending in `` ~``, Vim's mark), the other ``<pre>`` blocks (code), and
everything outside ``<pre>``. Vim's tag anchors (``*tag*``) go, its links (``|name|``)
keep their name, and its example mark (a line ending in `` >``) goes.
"""

from __future__ import annotations

import re

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.formats import ConvertedDoc
from gmsa_rag.training.corpora.formats.html import page_title, parse_page

_PROSE_PRE_CLASSES = ("", "text")
_BLOCK_SEPARATOR = re.compile(r"\n[ \t]*\n")
_RULE = re.compile(r"^[-=*~_ ]{4,}$")
_VIM_TAG = re.compile(r"\*[^\s*|]+\*")
_VIM_LINK = re.compile(r"\|([^\s|]+)\|")
_EXAMPLE_MARK = re.compile(r"\s>$")


def text_paragraphs(text: str) -> list[str]:
    """The prose paragraphs of wrapped plain text (the rules in the module docstring)."""
    paragraphs = []
    for block in _BLOCK_SEPARATOR.split(text.replace("\r\n", "\n")):
        lines = block.strip("\n").split("\n")
        while lines and lines[0].endswith(" ~"):
            lines.pop(0)
        kept = []
        for line in lines:
            if not line.strip() or line[:1] in (" ", "\t") or "\t" in line or _RULE.match(line):
                break
            kept.append(line)
        if kept:
            kept[-1] = _EXAMPLE_MARK.sub("", kept[-1])
            paragraph = _VIM_LINK.sub(r"\1", _VIM_TAG.sub("", " ".join(kept)))
            paragraph = " ".join(paragraph.split())
            if paragraph:
                paragraphs.append(paragraph)
    return paragraphs


def pre_html_to_doc(markup: str | bytes, path: str = "") -> ConvertedDoc:
    """The title and prose paragraphs of one HTML page whose text is in ``<pre>`` blocks.

    Decoding and broken markup as in :func:`~gmsa_rag.training.corpora.formats.html.html_to_doc`;
    only an argument that is neither str nor bytes raises InputError.
    """
    if not isinstance(markup, (str, bytes)):
        raise InputError(f"pre_html_to_doc needs str or bytes, got {type(markup).__name__} for {path or 'a page'}")
    root = parse_page(markup)
    if root is None:
        return ConvertedDoc("", ())
    paragraphs = []
    for pre in root.iter("pre"):
        if (pre.get("class") or "").strip() in _PROSE_PRE_CLASSES:
            paragraphs.extend(text_paragraphs(pre.text_content()))
    return ConvertedDoc(page_title(root), tuple(paragraphs))
