"""Markdown manuals -> prose: :func:`markdown_to_doc`.

The page is rendered to HTML with ``markdown-it-py`` (CommonMark plus tables, the parser
``rich`` already brings) and read by :func:`~gmsa_rag.training.corpora.formats.html.html_to_doc`,
so the same rules hold as for HTML: paragraphs, list items and block quotes kept; fenced and
indented code, tables, headings and raw HTML blocks of navigation dropped. The title is the
first heading of the page.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.formats import ConvertedDoc
from gmsa_rag.training.corpora.formats.html import html_to_doc


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def markdown_to_doc(text: str, name: str = "") -> ConvertedDoc:
    """The title (first heading, else ``name``) and prose paragraphs of one Markdown page;
    raises InputError only if ``text`` is not a str."""
    if not isinstance(text, str):
        raise InputError(f"markdown_to_doc needs str, got {type(text).__name__} for {name or 'a page'}")
    doc = html_to_doc("<html><body>" + _renderer().render(text) + "</body></html>", path=name)
    return ConvertedDoc(doc.title or name, doc.paragraphs)
