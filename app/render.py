"""Answers, sources, stats, documents and latencies as UI values.

Everything that came from a user or a document (questions, answers, snippets, names) is
HTML-escaped before it reaches a component, so markup in a document shows as text; the
Chatbot's own sanitiser is a second line of defence, not the first.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from gmsa_rag.collection import CollectionInfo
from gmsa_rag.pipeline import AnswerStats, Source

from app.engine import DocumentRow, UploadResult

Message = dict  # a Chatbot message in the "messages" format: {"role", "content", "metadata"?}
DOCUMENT_COLUMNS = ["document", "chunks", "text tokens", "cached soft tokens", "soft-token bytes (fp16)"]
LATENCY_COLUMNS = ["answer", "bar", "mode", "seconds", "ttft_s"]
SNIPPET_CHARS = 240


def escape(text: str) -> str:
    """``text`` with ``& < >`` as entities: shown literally by the Markdown renderer, never as HTML.

    Markdown's own syntax stays (answers may use it); backslashes are doubled so an entity
    cannot be turned back into markup by a Markdown escape.
    """
    return html.escape(text.replace("\\", "\\\\"), quote=False)


def plain(text: str) -> str:
    """A label safe where escaping is not applied (accordion titles): markup characters dropped."""
    return re.sub(r"[<>&\"'`\\]", "", text)


def user_message(question: str) -> Message:
    return {"role": "user", "content": escape(question)}


def answer_message(text: str, stats: AnswerStats | None) -> Message:
    """The assistant's answer so far; once ``stats`` is known, the stats line under it."""
    body = escape(text) if text.strip() else "…"
    if stats is not None:
        body += f"\n\n<sub>{stats_line(stats)}</sub>"
    return {"role": "assistant", "content": body}


def sources_message(sources: Sequence[Source]) -> Message:
    """A collapsible message (accordion) listing each source's document, chunk, score and snippet."""
    if not sources:
        return {"role": "assistant", "content": "No documents used.", "metadata": {"title": "Sources: none", "status": "done"}}
    names = ", ".join(f"{plain(s.doc_id) or 'text'} #{s.chunk} ({s.score:.2f})" for s in sources)
    parts = []
    for s in sources:
        snippet = " ".join((s.text or s.snippet).split())
        if len(snippet) > SNIPPET_CHARS:
            snippet = snippet[:SNIPPET_CHARS].rstrip() + "…"
        parts.append(f"**{escape(s.doc_id or 'text')}** · chunk {s.chunk} · score {s.score:.3f}\n> {escape(snippet)}")
    return {
        "role": "assistant",
        "content": "\n\n".join(parts),
        "metadata": {"title": f"{len(sources)} source{'s' if len(sources) > 1 else ''}: {names}", "status": "done"},
    }


def stats_line(stats: AnswerStats) -> str:
    """One compact line: mode and rate, soft vs text tokens, cache hits, TTFT and total time."""
    if stats.mode == "gmsa":
        parts = [
            f"GMSA {stats.rate}x",
            f"{stats.soft_tokens} soft tokens for {stats.text_tokens} text tokens",
            f"cache {stats.cache_hits} hit / {stats.cache_misses} miss",
        ]
    elif stats.mode == "full":
        parts = ["full text", f"{stats.text_tokens} text tokens"]
    else:
        parts = ["closed book"]
    parts += [f"top-{stats.top_k}", f"TTFT {stats.time_to_first_token_s:.2f} s", f"total {stats.total_s:.2f} s"]
    return " · ".join(parts)


FULL_LABEL = "full text"


def mode_label(stats: AnswerStats) -> str:
    return f"GMSA {stats.rate}x" if stats.mode == "gmsa" else FULL_LABEL if stats.mode == "full" else stats.mode


@dataclass(frozen=True)
class LatencyRecord:
    """One answer's latency, as the per-session plot keeps it."""

    answer: int  # 1-based number of the question in this session
    mode: str
    seconds: float
    ttft_s: float

    @classmethod
    def of(cls, answer: int, stats: AnswerStats) -> "LatencyRecord":
        return cls(answer, mode_label(stats), stats.total_s, stats.time_to_first_token_s)


def latency_frame(records: Sequence[LatencyRecord]) -> pd.DataFrame:
    """Rows for the bar plot: one bar per answer and mode (``bar`` = "#3 full text")."""
    rows = [[f"#{r.answer}", f"#{r.answer} {r.mode}", r.mode, round(r.seconds, 3), round(r.ttft_s, 3)] for r in records]
    # explicit dtypes: an empty frame must still say "seconds" is a number, or the plot's axis is nominal
    return pd.DataFrame(rows, columns=LATENCY_COLUMNS).astype({"seconds": "float64", "ttft_s": "float64"})


def documents_frame(rows: Sequence[DocumentRow]) -> pd.DataFrame:
    data = [[r.doc_id, r.chunks, r.text_tokens, r.cached_soft_tokens, r.soft_token_bytes] for r in rows]
    return pd.DataFrame(data, columns=DOCUMENT_COLUMNS)


def collection_summary(info: CollectionInfo) -> str:
    """A Markdown line about the whole collection (escaped)."""
    return (
        f"**{escape(info.name)}**: {info.documents} documents, {info.chunks} chunks, {info.text_tokens:,} text tokens; "
        f"soft-token store: {info.store_entries} entries, {info.store_bytes:,} bytes on disk (rates {info.rates})"
    )


def upload_summary(result: UploadResult) -> str:
    """What an upload did, as escaped Markdown."""
    lines = []
    for label, names in (("added", result.added), ("replaced", result.replaced), ("unchanged", result.unchanged)):
        if names:
            lines.append(f"{label}: " + ", ".join(escape(n) for n in names))
    if result.added or result.replaced:
        lines.append(f"{result.chunks_added} new chunks, {result.compressed} compressed into the store")
    lines += [f"rejected {escape(r.name)}: {escape(r.reason)}" for r in result.rejected]
    return "\n\n".join(lines) or "nothing uploaded"
