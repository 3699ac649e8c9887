"""Sentence-aware chunking and safe text reading."""

import pytest

from gmsa_rag.documents import chunk_text, read_text, split_sentences
from gmsa_rag.errors import InputError
from tiny import tiny_tokenizer


def test_sentences_are_kept_whole_and_chunks_fit():
    tok = tiny_tokenizer()
    text = " ".join(f"The king of {c} was born in paris." for c in ["france", "italy", "rome"] * 10)
    chunks = chunk_text(text, tok, max_tokens=20)
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(tok(chunk, add_special_tokens=False)["input_ids"]) <= 20
        assert chunk.endswith(".")
    assert " ".join(chunks).split() == text.split()


def test_a_sentence_longer_than_a_chunk_is_cut():
    tok = tiny_tokenizer()
    chunks = chunk_text(" ".join(["city"] * 50), tok, max_tokens=16)
    assert [len(tok(c, add_special_tokens=False)["input_ids"]) for c in chunks] == [16, 16, 16, 2]


def test_split_sentences_on_ends_and_blank_lines():
    assert split_sentences("One. Two! Three?\n\nFour") == ["One.", "Two!", "Three?", "Four"]


def test_bad_text_and_files(tmp_path):
    tok = tiny_tokenizer()
    with pytest.raises(InputError, match="empty"):
        chunk_text("  \n", tok)
    with pytest.raises(InputError, match="max_tokens"):
        chunk_text("a b", tok, max_tokens=0)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        read_text(latin)
    big = tmp_path / "big.txt"
    big.write_text("x" * 100)
    with pytest.raises(InputError, match="limit"):
        read_text(big, max_bytes=10)


def make_pdf(text: str) -> bytes:
    """A minimal one-page PDF with ``text`` in Helvetica (xref offsets computed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_every_supported_type_loads_and_bad_files_are_skipped(tmp_path):
    from gmsa_rag.documents import load_documents

    (tmp_path / "a.txt").write_text("Plain text about Paris.")
    (tmp_path / "b.md").write_text("# Title\n\nMarkdown about Rome.")
    (tmp_path / "c.html").write_text("<html><head><style>x{}</style><script>alert(1)</script></head><body><p>Hello &amp; welcome</p><p>Berlin</p></body></html>")
    (tmp_path / "d.pdf").write_bytes(make_pdf("Portable text about Madrid"))
    (tmp_path / "e.jsonl").write_text('{"doc_id": "x1", "text": "First record.", "source": "s"}\n\n{"doc_id": "x2", "text": "Second."}\n')
    (tmp_path / "empty.txt").write_text("   \n")
    (tmp_path / "bin.txt").write_bytes(b"\x00\xff" * 50)
    (tmp_path / "latin.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (tmp_path / "broken.pdf").write_bytes(make_pdf("truncated")[:60])
    (tmp_path / "bad.jsonl").write_text('{"doc_id": 3}\n')
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "f.txt").write_text("Nested file about Lisbon.")
    result = load_documents([tmp_path, tmp_path / "missing.txt"])
    docs = {d.doc_id: d for d in result.documents}
    assert set(docs) == {"a.txt", "b.md", "c.html", "d.pdf", "x1", "x2", "sub/f.txt"}
    assert docs["c.html"].text == "Hello & welcome\n\nBerlin"
    assert "Madrid" in docs["d.pdf"].text
    assert docs["x1"].metadata == {"source": "s"}
    reasons = {s.source.rsplit("/", 1)[-1]: s.reason for s in result.skipped}
    assert "no text" in reasons["empty.txt"]
    assert "binary" in reasons["bin.txt"]
    assert "UTF-8" in reasons["latin.txt"]
    assert "PDF" in reasons["broken.pdf"]
    assert "doc_id" in reasons["bad.jsonl"]
    assert "no such file" in reasons["missing.txt"]
    assert "image.png" not in reasons  # folders are walked for supported types only


def test_doc_ids_and_hashes_are_stable(tmp_path):
    from gmsa_rag.documents import load_documents

    (tmp_path / "a.txt").write_text("Same text.")
    first = load_documents([tmp_path]).documents[0]
    second = load_documents([tmp_path]).documents[0]
    assert (first.doc_id, first.content_hash) == (second.doc_id, second.content_hash)
    (tmp_path / "a.txt").write_text("Changed text.")
    assert load_documents([tmp_path]).documents[0].content_hash != first.content_hash


def test_overlap_repeats_trailing_sentences():
    tok = tiny_tokenizer()
    text = " ".join(f"The city number {i} is big." for i in range(12))
    plain = chunk_text(text, tok, max_tokens=20)
    overlapped = chunk_text(text, tok, max_tokens=20, overlap=8)
    assert len(overlapped) > len(plain)
    for prev, nxt in zip(overlapped, overlapped[1:]):
        assert nxt.split(".")[0] + "." in prev  # the next chunk starts with the previous one's tail
    for chunk in overlapped:
        assert len(tok(chunk, add_special_tokens=False)["input_ids"]) <= 20
