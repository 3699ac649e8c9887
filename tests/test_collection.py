"""Documents to answers: ingest, re-ingest, delete, precompress (resumable), the RAG pipeline.

A tiny random GMSA model keeps these fast; the embedder, faiss index and store are real.
"""

from __future__ import annotations

import pytest
import torch

from gmsa_rag.collection import Collection
from gmsa_rag.errors import InputError, ModelMismatchError
from gmsa_rag.model import SamplingParams
from gmsa_rag.pipeline import RAGPipeline
from tiny import DOCS, tiny_model

def stored(collection: Collection) -> dict:
    """Every stored vector of the collection, by (chunk hash, rate)."""
    fp = collection.model.fingerprint()
    out = {}
    for chunk in collection.chunks():
        for rate in (4, 8):
            value = collection.store.get(fp, chunk.content_hash, rate)
            if value is not None:
                out[(chunk.content_hash, rate)] = value
    return out


def test_ingest_indexes_and_precompresses_everything(collection):
    info = collection.info()
    assert info.documents == 3 and info.chunks >= 3
    assert len(stored(collection)) == 2 * len({c.content_hash for c in collection.chunks()})


def test_reingesting_unchanged_files_is_a_no_op(collection, docs):
    report = collection.ingest([docs], progress=False)
    assert sorted(report.unchanged) == sorted(DOCS) and not report.added and not report.replaced
    assert report.precompress.computed == 0


def test_a_changed_file_replaces_its_chunks(collection, docs):
    old_hashes = {c.content_hash for c in collection.chunks() if c.doc_id == "rome.txt"}
    (docs / "rome.txt").write_text("Rome is old. The river of Rome is the Tiber.")
    report = collection.ingest([docs], progress=False)
    assert report.replaced == ["rome.txt"] and report.precompress.computed >= 1
    texts = " ".join(c.text for c in collection.chunks() if c.doc_id == "rome.txt")
    assert "Tiber" in texts and "Italy" not in texts
    fp = collection.model.fingerprint()
    assert all(collection.store.get(fp, h, 4) is None for h in old_hashes)


def test_delete_removes_from_index_and_store(collection):
    hashes = {c.content_hash for c in collection.chunks() if c.doc_id == "berlin.txt"}
    assert collection.delete("berlin.txt") >= 1
    assert "berlin.txt" not in collection.index.documents()
    assert all(h.record.doc_id != "berlin.txt" for h in collection.retrieve("capital of Germany", 5))
    fp = collection.model.fingerprint()
    assert all(collection.store.get(fp, h, r) is None for h in hashes for r in (4, 8))


def test_pipeline_answers_with_sources_and_stats(collection):
    pipeline = RAGPipeline(collection)
    params = SamplingParams(max_new_tokens=4)
    answer = pipeline.ask("What is the capital of Germany?", rate=4, top_k=2, params=params)
    assert answer.sources[0].doc_id == "berlin.txt"
    s = answer.stats
    assert s.cache_hits == 2 and s.cache_misses == 0
    assert 0 < s.soft_tokens < s.text_tokens
    assert s.time_to_first_token_s > 0 and s.total_s >= s.time_to_first_token_s and s.text_pieces >= 1
    full = pipeline.ask("What is the capital of Germany?", mode="full", top_k=2, params=params)
    assert full.stats.soft_tokens == 0 and full.sources
    closed = pipeline.ask("What is the capital of Germany?", mode="closed", params=params)
    assert closed.sources == [] and closed.stats.text_tokens == 0


def test_streaming_pieces_join_to_the_answer(collection):
    stream = RAGPipeline(collection).stream("Which river is in Paris?", top_k=1, params=SamplingParams(max_new_tokens=5))
    pieces = list(stream)
    assert stream.answer is not None and "".join(pieces).strip() == stream.answer.text


def test_a_cold_store_computes_and_stores_misses(collection):
    collection.store.delete_document("paris.txt")
    answer = RAGPipeline(collection).ask("Which river is in Paris?", top_k=1, params=SamplingParams(max_new_tokens=2))
    assert answer.stats.cache_misses == 1 and answer.stats.compress_s > 0
    again = RAGPipeline(collection).ask("Which river is in Paris?", top_k=1, params=SamplingParams(max_new_tokens=2))
    assert again.stats.cache_hits == 1 and again.stats.cache_misses == 0


def test_killed_precompression_resumes_to_the_same_store(tmp_path, docs, embedder, monkeypatch):
    monkeypatch.setattr("gmsa_rag.retrieval.Embedder.load", classmethod(lambda cls, name="x", device=None: embedder))
    whole = Collection.open("whole", tiny_model(), root=tmp_path / "a", create=True, chunk_tokens=8)
    whole.ingest([docs], progress=False)
    part = Collection.open("part", tiny_model(), root=tmp_path / "b", create=True, chunk_tokens=8)
    part.ingest([docs], compress=False, progress=False)
    real = part.model.compress
    calls = []

    def dies_on_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(part.model, "compress", dies_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        part.precompress(batch_size=2, progress=False)
    done_before = len(stored(part))
    assert 0 < done_before < len(stored(whole))
    monkeypatch.setattr(part.model, "compress", real)
    report = part.precompress(batch_size=2, progress=False)
    assert report.cached == done_before // 2  # nothing computed twice
    a, b = stored(whole), stored(part)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_bad_use_is_refused(collection, tmp_path):
    with pytest.raises(InputError, match="no index named"):
        Collection.open("missing", collection.model, root=tmp_path / "indexes")
    with pytest.raises(InputError, match="rate 3"):
        RAGPipeline(collection).ask("who?", rate=3)
    with pytest.raises(InputError, match="question is empty"):
        RAGPipeline(collection).ask("  ")
    with pytest.raises(ModelMismatchError, match="chunked for backbone"):
        Collection.open("test", tiny_model(seed=1), root=tmp_path / "indexes")


def test_first_token_is_timed_even_when_it_yields_no_text():
    """An answer whose first tokens decode to no text (EOS under ignore_eos, a partial
    character) still has its time to first token: it is timed at the first decoded token."""
    import time

    from gmsa_rag.pipeline import AnswerStats, AnswerStream

    def decode(on_token):
        for _ in range(3):  # three tokens without text
            time.sleep(0.01)
            on_token()
        time.sleep(0.05)
        on_token()
        yield "late"

    stream = AnswerStream(decode, [], AnswerStats(mode="gmsa", rate=4, top_k=1), time.perf_counter())
    answer = stream.result()
    s = answer.stats
    assert answer.text == "late" and s.generated_tokens == 4 and s.text_pieces == 1
    assert 0 < s.time_to_first_token_s < 0.05 and s.decode_s >= 0.05
