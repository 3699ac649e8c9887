"""Duplicate removal across sources and versions: exact (paragraphs) and near (passages).

:class:`ExactDuplicates` remembers paragraph keys (:func:`~gmsa_rag.training.corpora.clean.paragraph_key`)
so a paragraph that a second page, package or version repeats is kept once.
:class:`NearDuplicates` keeps a passage unless an earlier kept one shares most of its word
5-grams (MinHash with locality-sensitive hashing, from ``datasketch``): the pages of
``u8``/``u16``/``u32``... in the Rust docs, or two versions of one manual page, differ in a
few words. Both are deterministic: the first occurrence in reading order wins.
"""

from __future__ import annotations

from typing import Iterable

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.clean import paragraph_key

NEAR_THRESHOLD = 0.7  # estimated Jaccard similarity of word 5-gram sets above which a passage goes
SHINGLE_WORDS = 5
NUM_PERM = 64
_SEED = 1


class ExactDuplicates:
    """Paragraph-level exact duplicate removal (case, spacing and punctuation ignored)."""

    def __init__(self) -> None:
        self._seen: set[bytes] = set()

    def new(self, paragraphs: Iterable[str]) -> list[str]:
        """The paragraphs not seen before (within this list too), in order; remembers them."""
        out = []
        for paragraph in paragraphs:
            key = paragraph_key(paragraph)
            if key not in self._seen:
                self._seen.add(key)
                out.append(paragraph)
        return out


def shingles(text: str, n: int = SHINGLE_WORDS) -> list[bytes]:
    """The distinct lower-cased word ``n``-grams of ``text`` (the whole text if shorter), sorted."""
    words = text.lower().split()
    grams = {" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}
    return sorted(g.encode("utf-8") for g in grams)


class NearDuplicates:
    """Passage-level near-duplicate removal with MinHash LSH."""

    def __init__(self, threshold: float = NEAR_THRESHOLD, num_perm: int = NUM_PERM) -> None:
        if not 0.0 < threshold < 1.0:
            raise InputError(f"threshold must be in (0, 1), got {threshold!r}")
        try:
            from datasketch import MinHash, MinHashLSH
        except ImportError as exc:
            raise InputError("near-duplicate removal needs datasketch: pip install 'gmsa_rag[train]'") from exc
        self._minhash, self._num_perm = MinHash, num_perm
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._count = 0

    def new(self, text: str) -> bool:
        """True (and remembered) unless a passage kept before is a near duplicate of ``text``."""
        sketch = self._minhash(num_perm=self._num_perm, seed=_SEED)
        sketch.update_batch(shingles(text))
        if self._lsh.query(sketch):
            return False
        self._lsh.insert(str(self._count), sketch, check_duplication=False)
        self._count += 1
        return True
