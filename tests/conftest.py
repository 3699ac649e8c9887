"""Shared fixtures: the real embedder (once per module) and a small collection on a tiny model."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests import their helpers (tiny.py) by name

from gmsa_rag.collection import Collection  # noqa: E402
from gmsa_rag.retrieval import Embedder  # noqa: E402
from tiny import DOCS, tiny_model  # noqa: E402


@pytest.fixture(scope="module")
def embedder():
    return Embedder.load("all-minilm-l6-v2")


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def collection(tmp_path, docs, embedder, monkeypatch):
    monkeypatch.setattr("gmsa_rag.retrieval.Embedder.load", classmethod(lambda cls, name="x", device=None: embedder))
    c = Collection.open("test", tiny_model(), root=tmp_path / "indexes", create=True, chunk_tokens=16)
    c.ingest([docs], progress=False)
    return c
