"""Documents to chunks: sentence-aware, token-counted chunking with the backbone tokenizer.

Chunks are what the encoder compresses one at a time, so each must fit the encoder's limit.
"""

from __future__ import annotations

import re
from pathlib import Path

from gmsa_rag.errors import InputError

SAMPLE_DIR = Path(__file__).resolve().parent / "data" / "sample"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n")


def split_sentences(text: str) -> list[str]:
    """Split at sentence ends and blank lines; keeps every character of the text except the breaks."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def chunk_text(text: str, tokenizer, max_tokens: int = 256) -> list[str]:
    """Pack whole sentences into chunks of at most ``max_tokens`` tokens.

    A sentence longer than ``max_tokens`` is cut at token boundaries.
    """
    if max_tokens < 1:
        raise InputError(f"max_tokens must be >= 1, got {max_tokens}")
    if not text.strip():
        raise InputError("the text is empty")
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for sentence in split_sentences(text):
        ids = tokenizer(sentence, add_special_tokens=False)["input_ids"]
        if current and (len(ids) > max_tokens or used + 1 + len(ids) > max_tokens):
            chunks.append(" ".join(current))  # a joining space costs about one token
            current, used = [], 0
        if len(ids) > max_tokens:
            chunks.extend(tokenizer.decode(ids[i : i + max_tokens]) for i in range(0, len(ids), max_tokens))
            continue
        used = used + 1 + len(ids) if current else len(ids)
        current.append(sentence)
    if current:
        chunks.append(" ".join(current))
    return chunks


def read_text(path: str | Path, max_bytes: int = 50_000_000) -> str:
    """Read a UTF-8 text file with clear errors for missing, huge or binary files."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"{path} is {size} bytes; the limit is {max_bytes}")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise InputError(f"{path} looks binary (NUL bytes); give a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not valid UTF-8 (byte {exc.start}); convert it to UTF-8 first") from exc
