"""Token files: the round trip, the checksum and tokenizer checks, and training samples read from one."""

from __future__ import annotations

import random

import numpy as np
import pytest

from gmsa_rag.errors import CheckpointError, InputError
from gmsa_rag.training.token_file import (
    is_token_file, read_header, read_token_file, tokenize_texts, tokenizer_id, write_token_file,
)


class WordTokenizer:
    """A tiny whitespace tokenizer with the slice of the Hugging Face interface token files use."""

    name_or_path = "words"

    def __init__(self, vocab_size: int = 300):
        self.vocab = {f"w{i}": i for i in range(vocab_size)}

    def __len__(self) -> int:
        return len(self.vocab)

    def get_vocab(self) -> dict[str, int]:
        return dict(self.vocab)

    def __call__(self, texts, add_special_tokens=False):
        return {"input_ids": [[self.vocab[w] for w in t.split()] for t in texts]}


def _texts(n: int, rng: random.Random) -> list[str]:
    return [" ".join(f"w{rng.randrange(300)}" for _ in range(rng.randint(1, 60))) for _ in range(n)]


def test_round_trip(tmp_path):
    tok = WordTokenizer()
    texts = _texts(2500, random.Random(0))  # more than one tokenizer batch
    written = write_token_file(tmp_path / "a.tok", texts, tok, min_tokens=5)
    kept = [t for t in texts if len(t.split()) >= 5]
    assert len(written) == len(kept) and is_token_file(tmp_path / "a.tok")
    back = read_token_file(tmp_path / "a.tok", tok)
    assert back.ids.dtype == np.uint16 and back.tokenizer == tokenizer_id(tok)
    for i in (0, 17, len(kept) - 1):
        assert back.text_ids(i).tolist() == tok([kept[i]])["input_ids"][0]
    assert read_header(tmp_path / "a.tok")["n_tokens"] == back.n_tokens == sum(len(t.split()) for t in kept)
    write_token_file(tmp_path / "b.tok", texts, tok, min_tokens=5)
    assert (tmp_path / "a.tok").read_bytes() == (tmp_path / "b.tok").read_bytes()


def test_max_tokens_cuts_before_the_limit(tmp_path):
    tok = WordTokenizer()
    texts = _texts(200, random.Random(1))
    tokens = write_token_file(tmp_path / "a.tok", texts, tok, min_tokens=1, max_tokens=1000)
    assert 940 < tokens.n_tokens <= 1000


def test_a_wide_vocabulary_uses_uint32():
    tok = WordTokenizer(70000)
    assert tokenize_texts(["w69999 w1 w2"], tok, min_tokens=1).ids.dtype == np.uint32


def test_damage_and_mismatch_are_refused(tmp_path):
    tok = WordTokenizer()
    path = tmp_path / "a.tok"
    write_token_file(path, _texts(50, random.Random(2)), tok, min_tokens=1)
    with pytest.raises(CheckpointError, match="tokenized by"):
        read_token_file(path, WordTokenizer(301))
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        read_token_file(path)
    path.write_bytes(bytes(data[:20]))
    with pytest.raises(CheckpointError):
        read_token_file(path)
    (tmp_path / "x.tok").write_text("{}")
    with pytest.raises(CheckpointError, match="not a gmsa_rag token file"):
        read_token_file(tmp_path / "x.tok")
    assert not is_token_file(tmp_path / "x.tok") and not is_token_file(tmp_path / "missing")


def test_nothing_to_write(tmp_path):
    with pytest.raises(InputError, match="at least 16 tokens"):
        write_token_file(tmp_path / "a.tok", ["w1 w2"], WordTokenizer())
    assert not (tmp_path / "a.tok").exists()
