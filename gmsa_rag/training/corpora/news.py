"""ABC news articles (Lee et al. 2005 corpus): :func:`load_news` and near-duplicate removal.

Each line of a latin-1 ``.cor`` file is one article. The files hold re-filed versions
of the same stories; :func:`_drop_near_duplicates` keeps the first version of each.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from gmsa_rag.training.corpora.records import Article
from gmsa_rag.training.corpora.sources import (
    NEWS_FILES,
    NEWS_LICENSE,
    _MIN_PARAGRAPH_WORDS,
    _default_paths,
    _require_file,
)
from gmsa_rag.training.corpora.wikitext import _HTML_TAG


def _clean_news_line(line: str) -> str:
    """One line of a ``.cor`` file as plain text: HTML tags removed, whitespace collapsed."""
    return re.sub(r"\s+", " ", _HTML_TAG.sub("", line)).strip()


def _news_article(path: Path, index: int, text: str) -> Article:
    """The article on line ``index`` of ``path``; its own split group, titled by its opening."""
    doc_id = f"news:{path.stem}:{index}"
    return Article(
        doc_id=doc_id,
        title=" ".join(text.split()[:8]) + " ...",
        text=text,
        source=f"abc-news:{path.name}",
        license=NEWS_LICENSE,
        group=doc_id,
    )


def load_news(paths: Sequence[str | Path] | None = None) -> list[Article]:
    """ABC news articles, one per line of a latin-1 ``.cor`` file (Lee et al. corpus).

    ``paths`` defaults to ``lee_background.cor`` (300 lines) and ``lee.cor`` (50 lines).
    Exact duplicate lines are kept once.
    """
    paths = _default_paths(NEWS_FILES) if paths is None else [Path(p) for p in paths]
    articles: list[Article] = []
    seen: set[str] = set()
    for path in paths:
        path = _require_file(path)
        lines = path.read_bytes().decode("latin-1").splitlines()
        for index, line in enumerate(lines):
            text = _clean_news_line(line)
            if len(text.split()) < _MIN_PARAGRAPH_WORDS or text in seen:
                continue
            seen.add(text)
            articles.append(_news_article(path, index, text))
    return articles


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    """The set of lower-cased word ``n``-grams of ``text``."""
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(max(0, len(words) - n + 1))}


def _drop_near_duplicates(docs: list[Article], threshold: float = 0.5) -> list[Article]:
    """Keep the first version of each story, so that no story sits in both splits.

    The news files hold re-filed versions of the same story; a document is a duplicate
    when the containment of its word 5-shingles in a kept one is ``>= threshold``.
    """
    kept: list[Article] = []
    kept_shingles: list[set] = []
    for doc in docs:
        sh = _shingles(doc.text)
        duplicate = any(
            sh and other and len(sh & other) / min(len(sh), len(other)) >= threshold
            for other in kept_shingles
        )
        if not duplicate:
            kept.append(doc)
            kept_shingles.append(sh)
    return kept
