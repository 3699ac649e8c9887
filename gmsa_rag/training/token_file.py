"""Pre-tokenized training text: token ids and text offsets in one compressed, checksummed file.

A token file lets the trainer skip tokenization (minutes for tens of millions of tokens)
and hold the corpus as two numpy arrays instead of Python lists (about 2 bytes a token
instead of 36), and it is small enough to travel with the repository to a device machine.

Layout (no pickle anywhere)::

    b"GMSATOK1" | header length (4 bytes, little-endian) | header (UTF-8 JSON) | payload

The header records the format version, the tokenizer (its name and a digest of its
vocabulary), the counts, the id dtype and the SHA-256 of the payload; the payload is the
xz-compressed bytes of ``offsets`` (int64, ``n_texts + 1``) followed by ``ids``
(uint16 when the vocabulary fits, else uint32). :func:`read_token_file` checks all of it.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from gmsa_rag.errors import CheckpointError, InputError

MAGIC = b"GMSATOK1"
VERSION = 1
_BATCH = 1024


@dataclass(frozen=True)
class TokenFile:
    """Texts as token ids: text ``i`` is ``ids[offsets[i]:offsets[i + 1]]``."""

    ids: np.ndarray  # (n_tokens,) uint16 or uint32
    offsets: np.ndarray  # (n_texts + 1,) int64, offsets[0] == 0
    tokenizer: str

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_tokens(self) -> int:
        return int(self.offsets[-1])

    def text_ids(self, i: int) -> np.ndarray:
        """The token ids of text ``i`` (a view, no copy)."""
        return self.ids[self.offsets[i] : self.offsets[i + 1]]

    def lengths(self) -> np.ndarray:
        """(n_texts,) tokens per text."""
        return np.diff(self.offsets)


def tokenizer_id(tokenizer) -> str:
    """``name:digest`` naming a tokenizer by its vocabulary, so a file is read with the tokenizer that wrote it."""
    vocab = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    digest = hashlib.sha256(json.dumps(vocab, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
    name = Path(str(getattr(tokenizer, "name_or_path", "") or "tokenizer")).name
    return f"{name}:{digest}"


def _batches(texts: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _token_arrays(texts: Iterable[str], tokenizer, min_tokens: int, max_tokens: int | None) -> list[np.ndarray]:
    """Each text's ids (texts under ``min_tokens`` left out), stopping before ``max_tokens`` in all."""
    arrays, total = [], 0
    for batch in _batches(texts):
        for ids in tokenizer(batch, add_special_tokens=False)["input_ids"]:
            if len(ids) < min_tokens:
                continue
            if max_tokens is not None and total + len(ids) > max_tokens:
                return arrays
            total += len(ids)
            arrays.append(np.asarray(ids, dtype=np.int64))
    return arrays


def write_token_file(
    path: str | Path, texts: Iterable[str], tokenizer, *, min_tokens: int = 16, max_tokens: int | None = None
) -> TokenFile:
    """Tokenize ``texts`` (no special tokens) and write them to ``path``; returns what was written.

    Texts under ``min_tokens`` are left out; ``max_tokens`` stops before the total would
    pass it (a run-sized file). Written to a temporary file and renamed: an interrupted
    write leaves no file behind.
    """
    tokens = tokenize_texts(texts, tokenizer, min_tokens=min_tokens, max_tokens=max_tokens)
    payload = lzma.compress(tokens.offsets.tobytes() + tokens.ids.tobytes(), preset=6)
    header = json.dumps({
        "version": VERSION, "tokenizer": tokens.tokenizer, "dtype": tokens.ids.dtype.name,
        "n_texts": len(tokens), "n_tokens": tokens.n_tokens, "compression": "xz",
        "sha256": hashlib.sha256(payload).hexdigest(),
    }, sort_keys=True).encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(MAGIC + struct.pack("<I", len(header)) + header + payload)
    tmp.replace(path)
    return tokens


def tokenize_texts(
    texts: Iterable[str], tokenizer, *, min_tokens: int = 16, max_tokens: int | None = None
) -> TokenFile:
    """``texts`` tokenized into a :class:`TokenFile` in memory (the rules of :func:`write_token_file`)."""
    if min_tokens < 1 or (max_tokens is not None and max_tokens < 1):
        raise InputError(f"min_tokens and max_tokens must be >= 1, got {min_tokens}, {max_tokens}")
    arrays = _token_arrays(texts, tokenizer, min_tokens, max_tokens)
    if not arrays:
        raise InputError(f"no text has at least {min_tokens} tokens")
    dtype = np.uint16 if len(tokenizer) <= 1 << 16 else np.uint32
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in arrays], out=offsets[1:])
    return TokenFile(ids=np.concatenate(arrays).astype(dtype), offsets=offsets, tokenizer=tokenizer_id(tokenizer))


def is_token_file(path: str | Path) -> bool:
    """Whether ``path`` is a file that starts like a token file."""
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def _parts(data: bytes, path: Path) -> tuple[dict, bytes]:
    """(header, payload) of a token file's bytes."""
    start = len(MAGIC) + 4
    if len(data) < start or data[: len(MAGIC)] != MAGIC:
        raise CheckpointError(f"{path} is not a gmsa_rag token file")
    (n,) = struct.unpack("<I", data[len(MAGIC) : start])
    try:
        header = json.loads(data[start : start + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(f"{path}: damaged header ({exc})") from None
    if not isinstance(header, dict) or header.get("version") != VERSION:
        found = header.get("version") if isinstance(header, dict) else header
        raise CheckpointError(f"{path}: unsupported token file version {found!r}")
    return header, data[start + n :]


def read_header(path: str | Path) -> dict:
    """The JSON header of a token file (its first few hundred bytes: the payload is not read)."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(len(MAGIC) + 4)
        n = struct.unpack("<I", head[len(MAGIC) :])[0] if len(head) == len(MAGIC) + 4 else 0
        return _parts(head + f.read(n), path)[0]


def read_token_file(path: str | Path, tokenizer=None) -> TokenFile:
    """Load a token file, checking its checksum, counts and (given ``tokenizer``) its tokenizer.

    Raises:
        CheckpointError: not a token file, damaged, or written by another tokenizer.
    """
    path = Path(path)
    header, payload = _parts(path.read_bytes(), path)
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise CheckpointError(f"{path}: checksum mismatch (the file is damaged or incomplete)")
    if tokenizer is not None and header["tokenizer"] != tokenizer_id(tokenizer):
        raise CheckpointError(
            f"{path} was tokenized by {header['tokenizer']}, not by this model's tokenizer {tokenizer_id(tokenizer)}")
    raw = lzma.decompress(payload)
    n_off = (header["n_texts"] + 1) * 8
    offsets = np.frombuffer(raw[:n_off], dtype=np.int64)
    ids = np.frombuffer(raw[n_off:], dtype=np.dtype(header["dtype"]))
    if len(offsets) < 2 or offsets[0] != 0 or offsets[-1] != len(ids) or len(ids) != header["n_tokens"] \
            or np.any(np.diff(offsets) < 0):
        raise CheckpointError(f"{path}: inconsistent offsets")
    return TokenFile(ids=ids, offsets=offsets, tokenizer=header["tokenizer"])
