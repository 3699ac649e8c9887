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
