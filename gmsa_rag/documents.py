"""Documents to chunks: loading files, sentence-aware token chunking, content hashing.

Supported inputs: ``.txt``, ``.md``, ``.html``/``.htm``, ``.pdf`` and ``.jsonl`` (one
``{"doc_id", "text"}`` per line), as files or folders. A file that cannot be read (binary,
empty, wrong encoding, broken PDF, too large) is skipped with its reason; the rest load.
Chunks are what the encoder compresses one at a time, so each fits its token limit.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from gmsa_rag.errors import InputError
from gmsa_rag.io import parse_jsonl

SAMPLE_DIR = Path(__file__).resolve().parent / "data" / "sample"
SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")
ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst")
MAX_FILE_BYTES = 50_000_000  # per file; a larger one is skipped without being read
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n")


@dataclass(frozen=True)
class Document:
    """A loaded document. ``doc_id`` is stable across runs (path relative to its root, or the
    JSONL's own id); ``content_hash`` changes exactly when the text does."""

    doc_id: str
    text: str
    source: str
    metadata: dict = field(default_factory=dict, compare=False)

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    index: int
    text: str
    num_tokens: int

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


@dataclass
class LoadResult:
    documents: list[Document]
    skipped: list[Skipped]


def content_hash(text: str) -> str:
    """sha256 of the NFC-normalised text: the key of a chunk's soft tokens."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- reading files


def read_text(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a UTF-8 text file with clear errors for missing, huge or binary files."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if not path.is_file():
        raise InputError(f"{path} is not a regular file (a folder, pipe or device)")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"{path} is {size} bytes; the limit is {max_bytes}")
    data = path.read_bytes()
    if data.startswith(_UTF16_BOMS):
        raise InputError(f"{path} is UTF-16 text; convert it to UTF-8 first")
    if b"\x00" in data[:8192]:
        raise InputError(f"{path} looks binary (NUL bytes); give a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not valid UTF-8 (byte {exc.start}); convert it to UTF-8 first") from exc


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page: drops script/style, breaks lines at block elements."""

    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "noscript", "template"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "noscript", "template"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.parts))
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r"\n\s*\n(\s*\n)*", "\n\n", text).strip()


def pdf_to_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, OSError, TypeError) as exc:
        raise InputError(f"{path} is not a readable PDF ({type(exc).__name__}: {exc})") from exc


def _documents_from_file(path: Path, doc_id: str, max_bytes: int) -> list[Document]:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        if path.stat().st_size > max_bytes:
            raise InputError(f"{path} is {path.stat().st_size} bytes; the limit is {max_bytes}")
        texts = [(doc_id, pdf_to_text(path), {})]
    elif suffix == ".jsonl":
        texts = list(_jsonl_records(path, max_bytes))
    else:
        raw = read_text(path, max_bytes)
        texts = [(doc_id, html_to_text(raw) if suffix in (".html", ".htm") else raw, {})]
    docs = []
    for rec_id, text, meta in texts:
        text = unicodedata.normalize("NFC", text).strip()
        if not has_visible_text(text):
            raise InputError(f"{path} has no text" + ("" if not text else " (only invisible or control characters)")
                             + (f" (record {rec_id!r})" if suffix == ".jsonl" else ""))
        docs.append(Document(doc_id=rec_id, text=text, source=str(path), metadata=meta))
    return docs


def _jsonl_records(path: Path, max_bytes: int) -> Iterable[tuple[str, str, dict]]:
    for number, record in parse_jsonl(read_text(path, max_bytes).splitlines(), path):
        if not isinstance(record.get("doc_id"), str) or not isinstance(record.get("text"), str):
            raise InputError(f"{path}:{number}: each line needs a string 'doc_id' and 'text'")
        meta = {k: v for k, v in record.items() if k not in ("doc_id", "text")}
        yield record["doc_id"], record["text"], meta


def has_visible_text(text: str) -> bool:
    """Whether ``text`` holds a character that is not whitespace, a control or a format character
    (zero-width spaces, direction marks): a document of only those has nothing to index."""
    return any(not ch.isspace() and unicodedata.category(ch)[0] not in "CZ" for ch in text)


def _files_under(path: Path) -> tuple[list[tuple[Path, Path]], list[Skipped]]:
    """(file, root) pairs to load and the entries skipped on the way.

    A file is its own root's child. A folder is walked without following symbolic links: a link
    inside it (to a file or a folder, inside or outside the folder) is skipped with its reason,
    as is anything whose real path is not under the folder and any archive (never unpacked).
    Other unsupported files in a folder are ignored silently.
    """
    if not path.is_dir():
        return [(path, path.parent)], []
    real_root = path.resolve()
    found: list[tuple[Path, Path]] = []
    skipped: list[Skipped] = []
    for p in sorted(path.rglob("*")):
        if p.is_symlink():
            skipped.append(Skipped(str(p), f"symbolic link (to {os.readlink(p)}) not followed inside a folder; "
                                            "give its target as a path to index it"))
        elif p.suffix.lower() in ARCHIVE_SUFFIXES and p.is_file():
            skipped.append(Skipped(str(p), "archives are not unpacked; extract it and index the folder"))
        elif p.is_file() and p.suffix.lower() in SUFFIXES:
            if not p.resolve().is_relative_to(real_root):  # e.g. under a linked folder on another platform
                skipped.append(Skipped(str(p), f"its real path {p.resolve()} is outside {real_root}"))
            else:
                found.append((p, path))
    return found, skipped


def load_documents(paths: Sequence[str | Path], max_bytes: int = MAX_FILE_BYTES) -> LoadResult:
    """Load files and folders. Unreadable inputs are skipped with a reason, never fatal.

    ``max_bytes`` caps each file's size (checked before reading, so memory stays bounded).
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise InputError(f"max_bytes must be an integer >= 1, got {max_bytes!r}")
    documents: list[Document] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            skipped.append(Skipped(str(path), "no such file or folder"))
            continue
        files, passed_over = _files_under(path)
        skipped.extend(passed_over)
        for file, root in files:
            if file.suffix.lower() not in SUFFIXES:
                hint = "; archives are not unpacked, extract it first" if file.suffix.lower() in ARCHIVE_SUFFIXES else ""
                skipped.append(Skipped(str(file), f"unsupported type {file.suffix or '(none)'}; supported: "
                                                  f"{', '.join(SUFFIXES)}{hint}"))
                continue
            try:
                docs = _documents_from_file(file, file.relative_to(root).as_posix(), max_bytes)
            except InputError as exc:
                skipped.append(Skipped(str(file), str(exc)))
                continue
            except OSError as exc:
                skipped.append(Skipped(str(file), f"cannot read: {exc.strerror or exc}"))
                continue
            for doc in docs:
                if doc.doc_id in seen:
                    skipped.append(Skipped(str(file), f"duplicate document id {doc.doc_id!r}"))
                    continue
                seen.add(doc.doc_id)
                documents.append(doc)
    return LoadResult(documents, skipped)


# ---------------------------------------------------------------- chunking


def split_sentences(text: str) -> list[str]:
    """Split at sentence ends and blank lines; keeps every character of the text except the breaks."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def chunk_text(text: str, tokenizer, max_tokens: int = 256, overlap: int = 0) -> list[str]:
    """Pack whole sentences into chunks of at most ``max_tokens`` tokens.

    A sentence longer than ``max_tokens`` is cut at token boundaries. With ``overlap`` > 0, a
    chunk starts with the previous chunk's last sentences, up to ``overlap`` tokens of them.
    """
    if max_tokens < 1:
        raise InputError(f"max_tokens must be >= 1, got {max_tokens}")
    if not 0 <= overlap < max_tokens:
        raise InputError(f"overlap must be in [0, max_tokens), got {overlap}")
    if not text.strip():
        raise InputError("the text is empty")
    chunks: list[str] = []
    current: list[tuple[str, int]] = []  # (sentence, tokens)
    carried = 0  # how many of ``current`` are overlap already emitted in the previous chunk
    used = 0
    for sentence in split_sentences(text):
        n = len(tokenizer(sentence, add_special_tokens=False)["input_ids"])
        if len(current) > carried and (n > max_tokens or used + 1 + n > max_tokens):
            chunks.append(" ".join(s for s, _ in current))  # a joining space costs about one token
            current = _overlap_tail(current, overlap, max_tokens - n - 1)
            carried = len(current)
            used = sum(t for _, t in current) + max(0, len(current) - 1)
        if n > max_tokens:
            chunks.extend(cut_sentence(sentence, tokenizer, max_tokens))
            current, carried, used = [], 0, 0
            continue
        used = used + 1 + n if current else n
        current.append((sentence, n))
    if len(current) > carried:
        chunks.append(" ".join(s for s, _ in current))
    return chunks


def cut_sentence(sentence: str, tokenizer, max_tokens: int) -> list[str]:
    """Cut a sentence longer than ``max_tokens`` into pieces of at most ``max_tokens`` tokens.

    Cuts fall on token boundaries that are also character boundaries, and each piece is a slice
    of the original text, so a character that the tokenizer splits into several byte tokens
    (emoji, CJK, zero-width marks) is never cut in half or replaced by U+FFFD. Tokenizers
    without offsets (slow ones) fall back to decoding token slices.
    """
    try:
        offsets = tokenizer(sentence, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    except (NotImplementedError, TypeError, ValueError):
        ids = tokenizer(sentence, add_special_tokens=False)["input_ids"]
        return [tokenizer.decode(ids[i : i + max_tokens]) for i in range(0, len(ids), max_tokens)]
    starts = [start for start, _ in offsets]
    cuts = [j for j in range(1, len(starts)) if starts[j] > starts[j - 1]] + [len(starts)]  # token indices
    pieces: list[str] = []
    begin = 0
    while begin < len(starts):
        first, last = bisect.bisect_right(cuts, begin), bisect.bisect_right(cuts, begin + max_tokens)
        fitting = cuts[first:last] or cuts[first : first + 1]  # cuts after begin within reach, else the next one
        for end in reversed(fitting):  # the longest piece whose own tokenization still fits
            piece = sentence[starts[begin] : starts[end] if end < len(starts) else len(sentence)].strip()
            if end == fitting[0] or len(tokenizer(piece, add_special_tokens=False)["input_ids"]) <= max_tokens:
                break
        if piece:
            pieces.append(piece)
        begin = end
    return pieces


def _overlap_tail(sentences: list[tuple[str, int]], overlap: int, room: int) -> list[tuple[str, int]]:
    """The trailing sentences worth at most ``overlap`` tokens (and fitting in ``room``)."""
    tail: list[tuple[str, int]] = []
    total = 0
    for sentence, n in reversed(sentences):
        if total + n > min(overlap, room):
            break
        tail.insert(0, (sentence, n))
        total += n + 1
    return tail


def chunk_document(document: Document, tokenizer, max_tokens: int = 256, overlap: int = 0) -> list[Chunk]:
    """A document's chunks with their token counts (the index and store work per chunk)."""
    texts = chunk_text(document.text, tokenizer, max_tokens, overlap)
    return [
        Chunk(document.doc_id, i, t, len(tokenizer(t, add_special_tokens=False)["input_ids"])) for i, t in enumerate(texts)
    ]
