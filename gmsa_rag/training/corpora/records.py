"""The records the corpus builder makes: documents, passages, QA examples, a build summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Article:
    """One source document as clean plain text (paragraphs separated by a blank line).

    ``group`` is the key of the train/heldout split; documents that share a group (e.g.
    "Economy of Angola" and "Angola") always land in the same split.
    """

    doc_id: str
    title: str
    text: str
    source: str
    license: str
    group: str = ""

    @property
    def split_key(self) -> str:
        """The key :func:`~gmsa_rag.training.corpora.documents.split_of` hashes."""
        return self.group or self.doc_id


@dataclass(frozen=True)
class Passage:
    """A run of whole sentences from one document, ``min_words..max_words`` words long."""

    passage_id: str
    doc_id: str
    text: str
    source: str

    @property
    def n_words(self) -> int:
        """Whitespace-separated words in the passage."""
        return len(self.text.split())


@dataclass(frozen=True)
class QAExample:
    """An extractive QA example: every answer is an exact substring of ``context``.

    ``distractors`` are other passages (from other documents of the same split) for
    multi-chunk training; ``template`` names the rule that made the question.
    """

    id: str
    question: str
    answers: list[str]
    context: str
    doc_id: str
    distractors: list[str] = field(default_factory=list)
    template: str = ""


@dataclass(frozen=True)
class BuildSummary:
    """What :func:`build_all` wrote, with measured counts."""

    out_dir: Path
    files: dict[str, Path]
    counts: dict[str, int]
    template_counts: dict[str, dict[str, int]]
    seconds: float
