"""Small file helpers shared by the modules: JSON Lines reading, durable writes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from gmsa_rag.errors import InputError


def parse_jsonl(lines: Iterable[str], source: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; bad JSON or a non-object is an InputError."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise InputError(f"{source}:{number}: expected a JSON object, got {type(record).__name__}")
        yield number, record


def read_jsonl(
    path: str | Path, required: Sequence[str] = (), limit: int | None = None, texts: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Read a JSONL file whose records have the ``required`` keys (the first ``limit`` records).

    The values of the ``texts`` keys must be non-empty strings. InputError names the file and
    line of the first bad record.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"data file not found: {path}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InputError(f"limit must be an integer >= 1, got {limit!r}")
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, record in parse_jsonl(handle, path):
            missing = [k for k in (*required, *texts) if k not in record]
            if missing:
                raise InputError(f"{path}:{number}: missing keys {missing} (keys: {sorted(record)[:8]})")
            for key in texts:
                if not isinstance(record[key], str) or not record[key].strip():
                    raise InputError(f"{path}:{number}: {key!r} must be a non-empty string, got {record[key]!r:.80}")
            records.append(record)
            if limit is not None and len(records) >= limit:
                break
    if not records:
        raise InputError(f"{path} holds no records")
    return records


def fsync_dir(directory: Path) -> None:
    """Flush a directory entry (after a rename) to disk, where the platform allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
