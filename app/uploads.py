"""Storing uploaded files safely under the app's upload directory.

An upload arrives as a temporary file (Gradio's cache) whose base name is what the user's
browser called it. We keep a sanitised copy of its name, refuse unsupported types, files over
the size limit and symlinks, and write the copy atomically inside the upload directory, so no
name (``../x``, ``/etc/x``, ``a\\b``, a symlink planted in the directory) can write elsewhere.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gmsa_rag.documents import SUFFIXES

MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w.\- ]+")  # \w is Unicode-aware: "café.txt" keeps its é


class UploadRejected(ValueError):
    """An uploaded file that cannot be stored; the message says why."""


@dataclass(frozen=True)
class Rejected:
    name: str
    reason: str


@dataclass
class StoredUploads:
    """Files written into the upload directory, and the uploads refused with their reasons."""

    stored: list[Path] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def sanitize_filename(name: str) -> str:
    """A safe file name for ``name``: its last path component, NFC, only word characters,
    ``.``, ``-``, ``_`` and spaces, no leading dots, no ``..``, at most 120 characters.

    Raises:
        UploadRejected: nothing usable is left, or the type is not one :func:`load_documents` reads.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", str(name)))[-1]
    base = _UNSAFE.sub("_", base.replace("\x00", ""))
    base = re.sub(r"\.{2,}", ".", base).strip(" .")
    stem, suffix = os.path.splitext(base)
    suffix = suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadRejected(f"unsupported type {suffix or '(none)'}; supported: {', '.join(SUFFIXES)}")
    stem = stem.strip(" .")[: MAX_NAME_CHARS - len(suffix)]
    if not stem:
        raise UploadRejected(f"no usable file name in {name!r}")
    return stem + suffix


def _check_source(source: Path, max_bytes: int) -> None:
    if source.is_symlink():
        raise UploadRejected("symlinks are not accepted")
    if not source.is_file():
        raise UploadRejected("not a regular file")
    size = source.stat().st_size
    if size > max_bytes:
        raise UploadRejected(f"{size:,} bytes is over the upload limit of {max_bytes:,} bytes")
    if size == 0:
        raise UploadRejected("the file is empty")


def _write_inside(directory: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``directory/name`` atomically; the target must stay inside ``directory``."""
    root = directory.resolve()
    target = root / name
    if target.parent != root or target.is_dir():
        raise UploadRejected(f"refusing to write {name!r} outside the upload directory")
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)  # replaces a symlink itself, never the file it points to
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def store_uploads(
    sources: Sequence[str | Path], directory: Path, *, max_bytes: int, names: Sequence[str] | None = None,
    max_files: int = 20,
) -> StoredUploads:
    """Copy uploaded files into ``directory`` under sanitised names.

    ``names`` are the users' file names (default: each source's base name). Every file is
    checked on its own: a bad one is reported in ``rejected`` and the others are stored. Files
    after the first ``max_files`` of a batch are rejected unread.
    """
    directory.mkdir(parents=True, exist_ok=True)
    result = StoredUploads()
    seen: set[str] = set()
    for i, raw in enumerate(sources):
        source = Path(raw)
        shown = names[i] if names is not None else source.name
        try:
            if i >= max_files:
                raise UploadRejected(f"over the limit of {max_files} files per upload; upload it in another batch")
            safe = sanitize_filename(shown)
            if safe in seen:
                raise UploadRejected(f"another upload in this batch is also named {safe!r}")
            _check_source(source, max_bytes)
            result.stored.append(_write_inside(directory, safe, source.read_bytes()))
            seen.add(safe)
        except UploadRejected as exc:
            result.rejected.append(Rejected(shown, str(exc)))
        except OSError as exc:
            result.rejected.append(Rejected(shown, f"cannot read: {exc.strerror or exc}"))
    return result
