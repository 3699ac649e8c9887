"""The Ray Data engine of bulk precompression writes exactly what the local engine writes.

One local Ray instance (``ray.init(num_cpus=2)``) serves the whole module. The actors load a
tiny GMSA model saved to disk (with its tiny backbone saved beside it), as a cluster's
workers would load a real one.
"""

from __future__ import annotations

import importlib.util
import os
import random
import sys
from types import SimpleNamespace

import pytest
import torch

from gmsa_rag.config import GMSAConfig
from gmsa_rag.distributed import CompressorActor, RayNotInstalledError, _gmsa_cause, _ray_session, precompress_ray
from gmsa_rag.documents import Chunk
from gmsa_rag.errors import ConfigError, GMSAError, ModelMismatchError
from gmsa_rag.model import GMSAModel
from gmsa_rag.precompress import precompress
from gmsa_rag.store import SoftTokenStore, StoreError
from tiny import WORDS, save_tiny_backbone

HAVE_RAY = importlib.util.find_spec("ray") is not None and importlib.util.find_spec("pyarrow") is not None
needs_ray = pytest.mark.skipif(not HAVE_RAY, reason="Ray Data is not installed (pip install 'gmsa_rag[distributed]')")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray")  # Ray's own, about its own settings
RATES = (4, 8)
BATCH = 4


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    """A local Ray instance for the module; workers inherit a private gmsa_rag cache (set before init)."""
    import ray

    if ray.is_initialized():
        pytest.skip("Ray is already initialised by someone else; this module starts its own")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GMSA_RAG_CACHE", str(tmp_path_factory.mktemp("gmsa-cache")))
        env.setenv("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            yield ray
        finally:
            ray.shutdown()


@pytest.fixture(scope="module")
def saved_model(ray_cluster, tmp_path_factory):
    """(directory of a saved tiny GMSA model, the model loaded back from it)."""
    root = tmp_path_factory.mktemp("model")
    backbone = save_tiny_backbone(root / "backbone")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        config = GMSAConfig(encoder_layers=2, lora_r=4, lora_alpha=8, rates=RATES)
        built = GMSAModel.from_backbone(str(backbone), config).eval()
    built.save_pretrained(root / "gmsa")
    loaded = GMSAModel.from_pretrained(root / "gmsa").eval()  # the backbone comes from the config's path
    assert loaded.config.backbone == str(backbone)
    assert loaded.config.backbone_sha256 == built.config.backbone_sha256
    assert loaded.fingerprint() == built.fingerprint()
    return root / "gmsa", loaded


def make_chunks(model: GMSAModel, n: int = 22, seed: int = 0) -> list[Chunk]:
    """Chunks of 3..40 tokens from a few documents, one text shared by two documents."""
    rng = random.Random(seed)
    texts = [" ".join(rng.choice(WORDS[:70]) for _ in range(rng.randint(3, 40))) for _ in range(n)]
    chunks = [Chunk(f"doc{i % 5}.txt", i // 5, t, len(model.tokenize_chunk(t))) for i, t in enumerate(texts)]
    return chunks + [Chunk("copy.txt", 0, texts[0], chunks[0].num_tokens)]


def entries(store: SoftTokenStore, fingerprint: str, chunks: list[Chunk]) -> dict:
    out = {}
    for chunk in chunks:
        for rate in RATES:
            entry = store.get_entry(fingerprint, chunk.content_hash, rate)
            if entry is not None:
                out[(chunk.content_hash, rate)] = entry
    return out


@needs_ray
def test_ray_writes_exactly_what_the_local_path_writes_and_then_nothing(ray_cluster, saved_model, tmp_path):
    directory, model = saved_model
    fp = model.fingerprint()
    chunks = make_chunks(model)
    unique = {c.content_hash for c in chunks}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each actor (1 CPU): the thread count can move the last bits of real models
    try:
        with SoftTokenStore(tmp_path / "local") as store:
            local = precompress(model, store, chunks, batch_size=BATCH, progress=False)
    finally:
        torch.set_num_threads(threads)
    report = precompress_ray(str(directory), tmp_path / "ray", chunks, batch_size=BATCH, concurrency=2, progress=False)
    assert (report.chunks, report.computed, report.cached) == (len(unique), len(unique), 0)
    assert report.tokens == local.tokens > 0

    with SoftTokenStore(tmp_path / "local") as a, SoftTokenStore(tmp_path / "ray") as b:
        want, got = entries(a, fp, chunks), entries(b, fp, chunks)
        assert len(want) == len(unique) * len(RATES) and want.keys() == got.keys()
        for key, entry in want.items():
            assert got[key].dtype == entry.dtype == "float16"
            assert got[key].num_tokens == entry.num_tokens
            assert torch.equal(got[key].vectors, entry.vectors), key  # bit for bit, after the same fp16 storage
        for doc in {c.doc_id for c in chunks}:
            assert b.document_chunks(doc) == a.document_chunks(doc)
        assert b.chunk_documents(chunks[0].content_hash) == ["copy.txt", "doc0.txt"]

    again = precompress_ray(str(directory), tmp_path / "ray", chunks, batch_size=BATCH, concurrency=2, progress=False)
    assert (again.computed, again.cached, again.tokens) == (0, len(unique), 0)
    assert ray_cluster.is_initialized()  # an instance the caller started is left running


@needs_ray
def test_an_actor_with_another_model_refuses_to_work(saved_model, tmp_path):
    directory, model = saved_model
    other = "0" * 32  # what the driver would expect if the workers saw other model files
    with pytest.raises(ModelMismatchError, match="fingerprint"):
        CompressorActor(str(directory), other, RATES, BATCH)  # the check itself, in-process
    with pytest.raises(ModelMismatchError, match=f"fingerprint {model.fingerprint()}.*driver's model has {other}"):
        precompress_ray(str(directory), tmp_path / "store", make_chunks(model, n=3), fingerprint=other,
                        batch_size=BATCH, concurrency=1, progress=False)
    with SoftTokenStore(tmp_path / "store") as store:
        assert len(store) == 0


@needs_ray
def test_bad_arguments_are_refused_before_ray_runs(saved_model, tmp_path):
    directory, model = saved_model
    chunks = make_chunks(model, n=2)
    with pytest.raises(ConfigError, match="not one"):
        precompress_ray(str(tmp_path), tmp_path / "s", chunks)  # not a saved model directory
    with pytest.raises(ConfigError, match="concurrency"):
        precompress_ray(str(directory), tmp_path / "s", chunks, concurrency=0)
    with pytest.raises(ConfigError, match="batch_size"):
        precompress_ray(str(directory), tmp_path / "s", chunks, batch_size=0)


def test_missing_ray_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(RayNotInstalledError, match=r"pip install 'gmsa_rag\[distributed\]'") as info:
        precompress_ray("default", tmp_path / "s", [])
    assert isinstance(info.value, GMSAError) and isinstance(info.value, ImportError)


def test_a_ray_instance_started_for_the_run_is_shut_down_and_an_existing_one_is_not(monkeypatch):
    monkeypatch.delenv("RAY_USAGE_STATS_ENABLED", raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    calls = []
    fake = SimpleNamespace(is_initialized=lambda: False, init=lambda **kw: calls.append(("init", kw)),
                           shutdown=lambda: calls.append(("shutdown", os.environ.get("RAY_USAGE_STATS_ENABLED"))))
    with _ray_session(fake, None, 2) as started:
        assert started and os.environ["RAY_USAGE_STATS_ENABLED"] == "0"
    assert calls == [("init", {"address": None, "include_dashboard": False, "log_to_driver": False, "num_cpus": 2}),
                     ("shutdown", "0")]
    assert "RAY_USAGE_STATS_ENABLED" not in os.environ
    calls.clear()
    fake.is_initialized = lambda: True
    with _ray_session(fake, None, 2) as started:
        assert not started
    assert calls == []


def test_an_actor_error_is_dug_out_of_rays_wrappers():
    text = ("The actor died because of an error raised in its creation task, ray::MapWorker.__init__()\n"
            "  File \"gmsa_rag/distributed.py\", line 1, in __init__\n"
            "gmsa_rag.errors.ModelMismatchError: the GMSA model ... has fingerprint abc")
    cause = _gmsa_cause(RuntimeError(text))
    assert type(cause) is ModelMismatchError and str(cause) == "the GMSA model ... has fingerprint abc"
    assert type(_gmsa_cause(RuntimeError("gmsa_rag.store.StoreError: disk full"))) is StoreError
    assert type(_gmsa_cause(RuntimeError("gmsa_rag.nowhere.OddError: odd"))) is GMSAError
    assert _gmsa_cause(RuntimeError("nothing of ours")) is None
