"""All documents and the document-level train/heldout split.

:func:`load_documents` gathers Wikipedia articles and de-duplicated news (cached);
:func:`split_of` assigns a document, by a stable hash of its split key, to ``"train"``
or ``"heldout"``, so everything made from one document shares its split.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.news import _drop_near_duplicates, load_news
from gmsa_rag.training.corpora.records import Article
from gmsa_rag.training.corpora.wiki import load_articles

SPLITS = ("train", "heldout")
DEFAULT_HELDOUT_FRACTION = 0.2
DEFAULT_SPLIT_SALT = "gmsa-corpora-v1"


@lru_cache(maxsize=4)
def _documents_cached(
    wiki_paths: tuple[str, ...] | None, news_paths: tuple[str, ...] | None
) -> tuple[Article, ...]:
    """Wikipedia articles then de-duplicated news, for hashable path keys (``None``: default)."""
    wiki = load_articles(wiki_paths)
    news = _drop_near_duplicates(load_news(news_paths))
    return tuple(wiki) + tuple(news)


def load_documents(
    wiki_paths: Sequence[str | Path] | None = None,
    news_paths: Sequence[str | Path] | None = None,
) -> list[Article]:
    """All documents: Wikipedia articles, then ABC news with near-duplicates removed.

    Results are cached per set of paths (the Wikipedia dump takes a few seconds to clean).
    """
    key_w = tuple(str(p) for p in wiki_paths) if wiki_paths is not None else None
    key_n = tuple(str(p) for p in news_paths) if news_paths is not None else None
    return list(_documents_cached(key_w, key_n))


def split_of(
    key: str | Article,
    heldout_fraction: float = DEFAULT_HELDOUT_FRACTION,
    salt: str = DEFAULT_SPLIT_SALT,
) -> str:
    """``"heldout"`` or ``"train"`` for a document (or its split key), by a stable hash.

    The same key always gets the same split, on every machine and Python version; a
    document and everything made from it (passages, QA) therefore share one split.
    """
    if not 0.0 <= heldout_fraction < 1.0:
        raise InputError(f"heldout_fraction must be in [0, 1), got {heldout_fraction!r}")
    if isinstance(key, Article):
        key = key.split_key
    digest = hashlib.sha256(f"{salt}:{key}".encode("utf-8")).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0**64
    return "heldout" if u < heldout_fraction else "train"


def _check_split(split: str) -> None:
    """Raise InputError unless ``split`` is one of :data:`SPLITS`."""
    if split not in SPLITS:
        raise InputError(f"split must be one of {SPLITS}, got {split!r}")


def _documents_of_split(split: str, heldout_fraction: float, salt: str) -> list[Article]:
    """The default documents that :func:`split_of` puts in ``split``, in source order."""
    _check_split(split)
    return [d for d in load_documents() if split_of(d, heldout_fraction, salt) == split]

