"""Where the source text lives: data files inside the installed ``gensim`` wheel.

gensim's ``test/test_data`` folder holds an English Wikipedia excerpt (MediaWiki XML,
bz2) and ABC news articles from the Lee et al. (2005) corpus. gensim is located, not
imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Sequence

from gmsa_rag.errors import InputError

WIKI_LICENSE = "CC BY-SA 3.0 (Wikipedia text; attribution: Wikipedia contributors)"
NEWS_LICENSE = (
    "ABC (Australian Broadcasting Corporation) news text; redistributed by gensim as test "
    "data from the Lee, Pincombe & Welsh (2005) document-similarity corpus; no explicit "
    "licence: research use"
)

WIKI_DUMPS = (
    "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
    "enwiki-table-markup.xml.bz2",
)
NEWS_FILES = ("lee_background.cor", "lee.cor")

# a paragraph (or news article) shorter than this many words is not kept
_MIN_PARAGRAPH_WORDS = 5


def gensim_test_data_dir() -> Path:
    """The ``gensim/test/test_data`` folder of the installed gensim (gensim is not imported)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "gensim is not installed; its test data holds the training corpora. "
            "Install it with `pip install --no-deps gensim==4.4.0`."
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "test" / "test_data"
    if not path.is_dir():
        raise InputError(f"gensim's test data folder is missing: {path}")
    return path


def _require_file(path: str | Path) -> Path:
    """``path`` as a Path; InputError unless it is an existing file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"data file not found: {str(path)!r}")
    return path


def _default_paths(names: Sequence[str]) -> list[Path]:
    """The named files in gensim's test data folder."""
    root = gensim_test_data_dir()
    return [root / name for name in names]

