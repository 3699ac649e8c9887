"""Wikipedia articles from MediaWiki XML dumps: :func:`iter_wiki_pages`, :func:`load_articles`.

Pages are streamed from the ``.xml.bz2`` dump, filtered to prose articles, cleaned by
:func:`~gmsa_rag.training.corpora.wikitext.clean_wikitext`, and given a split group so
that related articles ("Economy of Angola", "Angola") share one train/heldout split.
"""

from __future__ import annotations

import bz2
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Sequence

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.records import Article
from gmsa_rag.training.corpora.sources import (
    WIKI_DUMPS,
    WIKI_LICENSE,
    _MIN_PARAGRAPH_WORDS,
    _default_paths,
    _require_file,
)
from gmsa_rag.training.corpora.wikitext import clean_wikitext

_ASPECT_TITLE = re.compile(
    r"^(?:Demographics|Politics|Economy|Transport|Foreign relations|History|Geography|"
    r"Culture|Military|Communications|Government|Languages|Religion) (?:of|in) (?P<topic>.+)$"
)
_DEMONYM_SUFFIXES = ("n", "an", "ian", "ese", "i", "s")


def _local(tag: str) -> str:
    """An XML tag without its namespace: ``{http://...}page`` -> ``page``."""
    return tag.rsplit("}", 1)[-1]


def iter_wiki_pages(path: str | Path) -> Iterator[tuple[int, str, int, bool, str]]:
    """Yield ``(page_id, title, namespace, is_redirect, markup)`` from a .xml.bz2 dump."""
    path = _require_file(path)
    try:
        with bz2.open(path, "rb") as stream:
            for _, elem in ET.iterparse(stream, events=("end",)):
                if _local(elem.tag) != "page":
                    continue
                values = {_local(child.tag): child for child in elem}
                text_elem = elem.find("./{*}revision/{*}text")
                yield (
                    int(values["id"].text),
                    values["title"].text or "",
                    int(values["ns"].text),
                    "redirect" in values,
                    (text_elem.text if text_elem is not None else None) or "",
                )
                elem.clear()
    except (OSError, EOFError, ET.ParseError) as exc:
        raise InputError(f"cannot read MediaWiki XML dump {str(path)!r}: {exc}") from exc


def _title_base(title: str) -> str:
    """The topic a title is about: "Economy of Angola" -> "angola", "List of X" -> "x"."""
    title = re.sub(r"^List of |\s*\(.*\)$", "", title)
    m = _ASPECT_TITLE.match(title)
    return (m.group("topic") if m else title).lower()


def _topic_head(base: str, single: set[str]) -> str:
    """The group head of a multi-word base: a one-word topic it starts with (or its
    demonym: "angolan armed forces" -> "angola"), else its first two words, singular."""
    words = base.split()
    if len(words) > 1:
        first = words[0]
        for root in single:
            if first == root or (first.startswith(root) and first[len(root):] in _DEMONYM_SUFFIXES):
                return root
        return " ".join([words[0], words[1].rstrip("s")])
    return base


def _wiki_groups(titles: Sequence[str]) -> dict[str, str]:
    """Split keys for related Wikipedia articles, so related pages share one split.

    "Economy of Angola", "Transport in Angola" and "Angolan Armed Forces" join "Angola";
    "Apollo 11" joins "Apollo"; "Academy Awards" and "Academy Award for Best Production
    Design" share "academy award".
    """
    bases = {t: _title_base(t) for t in titles}
    single = {b for b in bases.values() if " " not in b and len(b) >= 5}
    heads = {t: _topic_head(b, single) for t, b in bases.items()}
    shared = {h for h in heads.values() if list(heads.values()).count(h) > 1}
    return {
        t: "wiki-topic:" + (heads[t] if heads[t] in shared or heads[t] in single else bases[t])
        for t in titles
    }


def _is_prose_page(title: str, namespace: int, is_redirect: bool, markup: str) -> bool:
    """An article page with text: namespace 0, not a redirect, not a disambiguation page."""
    if namespace != 0 or is_redirect or not markup.strip():
        return False
    if markup.lstrip().upper().startswith("#REDIRECT"):
        return False
    return not ("(disambiguation)" in title or re.search(r"\{\{\s*disambig", markup, re.I))


def _prose_paragraphs(markup: str) -> list[str]:
    """The cleaned paragraphs of a page that have at least ``_MIN_PARAGRAPH_WORDS`` words."""
    text = clean_wikitext(markup)
    return [p for p in text.split("\n\n") if len(p.split()) >= _MIN_PARAGRAPH_WORDS]


def load_articles(paths: Sequence[str | Path] | None = None) -> list[Article]:
    """Wikipedia articles (namespace 0, no redirects, no disambiguation pages) as prose.

    ``paths`` defaults to the two English dumps in gensim's test data. A page that appears
    in several dumps is kept once (first occurrence wins).
    """
    paths = _default_paths(WIKI_DUMPS) if paths is None else [Path(p) for p in paths]
    articles: list[Article] = []
    seen: set[int] = set()
    for path in paths:
        for page_id, title, namespace, is_redirect, markup in iter_wiki_pages(path):
            if page_id in seen or not _is_prose_page(title, namespace, is_redirect, markup):
                continue
            seen.add(page_id)
            paragraphs = _prose_paragraphs(markup)
            if not paragraphs:
                continue
            articles.append(Article(
                doc_id=f"enwiki:{page_id}",
                title=title,
                text="\n\n".join(paragraphs),
                source=f"wikipedia:{Path(path).name}",
                license=WIKI_LICENSE,
            ))
    groups = _wiki_groups([a.title for a in articles])
    return [replace(a, group=groups[a.title]) for a in articles]
