"""A corpus of bad inputs, ingested into a real collection (tiny model, real embedder, faiss, store).

Every file is generated here in a temporary folder. Each one is either indexed or skipped with a
reason that names the problem; the rest of the batch is indexed; nothing is written outside
the collection's root. See docs/FAILURES.md.
"""

from __future__ import annotations

import io
import os
import tarfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from gmsa_rag.documents import MAX_FILE_BYTES, chunk_text, load_documents
from gmsa_rag.errors import InputError
from test_documents import make_pdf
from tiny import DOCS, tiny_tokenizer

RTL_TEXT = "The city of \u05e4\u05e8\u05d9\u05d6 \u200f is in \u0641\u0631\u0646\u0633\u0627 \u202eelbat\u202c. The king was born in paris."
ZW_TEXT = "The\u200b river\u200d of\u2060 rome\ufeff is old . The war was in the north."
LONG_LINE = "paris,london,rome," * 120  # no whitespace at all: 720 tokens of the tiny vocabulary
ODD_NAMES = ["a..b.txt", "..dots.txt", "spaces & ünïcödé;$(rm -rf).txt", "new\nline.md", "-dash.txt"]


def snapshot(folder: Path, skip: Path) -> dict[str, tuple[int, int]]:
    """{path: (size, mtime_ns)} of everything under ``folder`` except under ``skip``."""
    out = {}
    for path in folder.rglob("*"):
        if skip in path.parents or path == skip:
            continue
        stat = path.lstat()
        out[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return out


def make_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inside.txt", "Text inside a zip archive about Paris.")
        archive.writestr("../escape.txt", "A zip-slip member that must never be written.")
    return buffer.getvalue()


def make_tar(path: Path) -> None:
    with tarfile.open(path, "w:gz") as archive:
        data = b"Text inside a tar archive."
        info = tarfile.TarInfo("../../tar-escape.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))


@pytest.fixture
def bad_corpus(tmp_path) -> Path:
    """A folder of bad, odd and good files, plus a folder outside it that symlinks point at."""
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "secret.txt").write_text("The secret outside the root is gold.")
    (outside / "sub" / "deep.txt").write_text("A file in a linked folder outside the root.")

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "blank.md").write_text(" \n\t\n")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (bad / "truncated.pdf").write_bytes(make_pdf("A truncated document")[:200])
    (bad / "latin1.txt").write_bytes("Caf\xe9 in paris, na\xefve.".encode("latin-1"))
    (bad / "mixed.txt").write_bytes("The city of paris. ".encode() + "Caf\xe9".encode("latin-1") + " and rome.".encode())
    (bad / "utf16.txt").write_bytes("The city of paris.".encode("utf-16"))
    (bad / "zero_width_only.txt").write_text("\u200b\u200c\u200d\ufeff\u2060\u200e\u200f \n")
    (bad / "long_line.txt").write_text(LONG_LINE)
    (bad / "rtl.txt").write_text(RTL_TEXT)
    (bad / "zero_width.txt").write_text(ZW_TEXT)
    for name in ODD_NAMES:
        (bad / name).write_text(f"A file named oddly: {name!r}. The river is blue.")
    (bad / "records.jsonl").write_text(
        '{"doc_id": "../../escaped-id", "text": "A record whose id looks like a path."}\n'
        '{"doc_id": "/etc/passwd", "text": "Another record with an absolute-path id."}\n'
    )
    (bad / "docs.zip").write_bytes(make_zip())
    make_tar(bad / "docs.tar.gz")
    (bad / "link_out.txt").symlink_to(outside / "secret.txt")
    (bad / "link_dir").symlink_to(outside / "sub")
    (bad / "link_in.txt").symlink_to(bad / "rtl.txt")
    os.mkfifo(bad / "pipe.txt")  # never opened: reading a FIFO would hang
    return bad


def test_bad_corpus_is_indexed_or_skipped_with_reasons(collection, bad_corpus, tmp_path):
    before = snapshot(tmp_path, skip=collection.directory)
    started = time.monotonic()
    report = collection.ingest([bad_corpus, tmp_path / "missing.txt"], progress=False)
    assert time.monotonic() - started < 60

    reasons = {Path(s.source).name: s.reason for s in report.skipped}
    expected_reasons = {
        "empty.txt": "no text",
        "blank.md": "no text",
        "binary.txt": "binary",
        "truncated.pdf": "not a readable PDF",
        "latin1.txt": "not valid UTF-8",
        "mixed.txt": "not valid UTF-8 (byte 22)",
        "utf16.txt": "UTF-16",
        "zero_width_only.txt": "only invisible",
        "docs.zip": "archives are not unpacked",
        "docs.tar.gz": "archives are not unpacked",
        "link_out.txt": "symbolic link",
        "link_dir": "symbolic link",
        "link_in.txt": "symbolic link",
        "missing.txt": "no such file",
    }
    for name, reason in expected_reasons.items():
        assert reason in reasons.get(name, ""), (name, reasons.get(name))
    assert set(reasons) == set(expected_reasons)  # the FIFO is not a regular file: ignored, never opened

    indexed = {"long_line.txt", "rtl.txt", "zero_width.txt", "../../escaped-id", "/etc/passwd", *ODD_NAMES}
    assert sorted(report.added) == sorted(indexed)
    assert set(collection.index.documents()) == indexed | set(DOCS)  # the earlier documents are intact

    texts = {r.doc_id: " ".join(c.text for c in collection.index.records(r.doc_id)) for r in collection.index.records()}
    assert "\u05e4\u05e8\u05d9\u05d6" in texts["rtl.txt"] and "\u202e" in texts["rtl.txt"]  # kept as written
    assert "\u200b" in texts["zero_width.txt"]
    assert texts["long_line.txt"].replace(" ", "") == LONG_LINE  # cut into chunks, nothing lost
    assert all(r.num_tokens <= collection.chunk_tokens for r in collection.index.records("long_line.txt"))
    assert "gold" not in " ".join(texts.values())  # the linked file outside the root was not read

    fp = collection.model.fingerprint()
    for chunk in collection.chunks():  # every indexed chunk has its soft tokens
        assert all(collection.store.has(fp, chunk.content_hash, r) for r in (4, 8)), chunk.doc_id
    hit = collection.retrieve("A record whose id looks like a path", 1)[0]
    assert hit.record.doc_id == "../../escaped-id"

    assert snapshot(tmp_path, skip=collection.directory) == before  # nothing written outside the root
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path.parent / "tar-escape.txt").exists()
    assert sorted(p.name for p in collection.directory.parent.iterdir()) == [collection.name]


def test_a_symlink_given_by_name_is_the_users_choice(collection, bad_corpus, tmp_path):
    report = collection.ingest([bad_corpus / "link_out.txt"], progress=False)
    assert report.added == ["link_out.txt"] and not report.skipped


def test_an_oversized_file_is_skipped_unread_and_the_limit_is_configurable(collection, tmp_path):
    big = tmp_path / "big" / "huge.txt"
    big.parent.mkdir()
    line = b"The city of paris is the capital of france. " * 1000 + b"\n"
    with big.open("wb") as handle:  # 50 MiB of real text (over the 50 MB default limit)
        for _ in range(50 * 2**20 // len(line) + 1):
            handle.write(line)
    (big.parent / "small.txt").write_text("A small file about rome.")
    tracemalloc.start()
    started = time.monotonic()
    report = collection.ingest([big.parent], progress=False)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert big.stat().st_size > MAX_FILE_BYTES
    assert [Path(s.source).name for s in report.skipped] == ["huge.txt"]
    assert f"the limit is {MAX_FILE_BYTES}" in report.skipped[0].reason
    assert report.added == ["small.txt"]
    assert peak < 20 * 2**20 and elapsed < 30  # never read into memory

    limited = collection.ingest([tmp_path / "big" / "small.txt"], progress=False, max_file_bytes=10)
    assert "the limit is 10" in limited.skipped[0].reason
    with pytest.raises(InputError, match="max_bytes"):
        load_documents([big.parent], max_bytes=0)


def test_long_lines_are_cut_on_character_boundaries():
    """A multi-byte character is never cut in half (no U+FFFD) and every piece fits."""
    tok = tiny_tokenizer()
    text = "paris," * 400  # no whitespace
    chunks = chunk_text(text, tok, max_tokens=16)
    assert "".join(chunks) == text
    assert all(len(tok(c, add_special_tokens=False)["input_ids"]) <= 16 for c in chunks)
    unknown = "\u6f22\u5b57\U0001f600" * 200  # out-of-vocabulary characters: each an <unk>
    pieces = chunk_text(unknown, tok, max_tokens=16)
    assert "".join(pieces) == unknown and "\ufffd" not in "".join(pieces) and "<unk>" not in "".join(pieces)


def test_cli_index_reports_each_skipped_file_and_indexes_the_rest(bad_corpus, tmp_path, capsys):
    from gmsa_rag.cli import main

    code = main(["index", str(bad_corpus), "--index", "bad", "--root", str(tmp_path / "idx"), "--quiet",
                 "--no-precompress", "--max-file-bytes", "5000"])
    captured = capsys.readouterr()
    assert code == 0
    skipped = [line for line in captured.err.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 13
    assert any("docs.zip: archives are not unpacked" in line for line in skipped)
    assert any("link_out.txt: symbolic link" in line for line in skipped)
    assert "long_line.txt" not in captured.err  # 2,160 bytes: fits the default limit
    assert "index 'bad': 10 added, 0 replaced, 0 unchanged, 13 skipped" in captured.out
