"""Bulk precompression on Ray Data: the same store, filled by a pool of actors (``--engine ray``).

    chunks ──plan (missing chunks, sorted by length) + cut into batches (as the local path)──> blocks of B rows
           ──ray.data map_batches(CompressorActor, compute=ActorPoolStrategy(size=N), batch_size=B,
                                  num_gpus=G)──> vectors
           ──the driver streams the results and writes each one into the SoftTokenStore as it arrives

Same result as :func:`gmsa_rag.precompress.precompress`
    The chunks to compute, their order and the batches they are encoded in are exactly the
    local path's (same ``plan``: missing chunks, stable sort by token count, consecutive batches of
    ``batch_size``). That matters: the encoder's float results depend in the last bits on the
    batch a chunk is padded in, and those bits survive fp16 storage often enough to see. Blocks
    hold whole local batches and the actor encodes each batch id in its own ``compress`` call,
    so a Ray batch is exactly a local batch. With the same model, device, batch size
    and number of torch threads per encoder pass (Ray gives an actor ``cpus_per_actor`` threads; the local
    path uses all cores), the store entries are bit-identical (tested). With another thread
    count the default model's entries differ by a few fp16 ulps (1 vs 2 threads: max 0.008), as
    the local path's own do between machines with different core counts.

Who writes: the driver
    Actors send back each chunk's merged vectors (numpy, one ragged column per rate; fp16 when
    the store keeps fp16, which rounds exactly as the store would) and the driver ``put``s them
    as they stream in. The store is SQLite in WAL mode, which SQLite supports only for processes
    on one host ("WAL does not work over a network filesystem"): actors on other machines must
    not open it, even on a shared filesystem. So the store stays on the driver's disk, no
    shared filesystem is needed, and every finished result is stored at once (a killed run
    resumes where it stopped). The cost is one stream of vectors into the driver (110,592 bytes
    per 256-token chunk at rates 4 and 8 in fp16) and one writer: on the 2-core development VM
    the driver stores ~570 such chunks/s (~145k tokens/s; one SQLite transaction per entry),
    ~70x what that machine compresses on its CPU, but a bound that several fast GPUs may reach.
    Past it, batch the writes in the store (one transaction per shard per batch) rather than
    moving the writes to the actors.

Workers load the model themselves
    Each actor runs ``GMSAModel.from_pretrained(model, backbone=...)`` once, on CUDA when its
    process sees a GPU, and refuses to work when its fingerprint differs from the driver's (other
    files on that machine, another package version, another backbone). So the model directory
    and the backbone (a built-in is converted once per machine into its cache) must be readable
    on every worker machine; a local Ray instance, started here, sees this machine's files.

Ray itself
    Optional: ``pip install 'gmsa_rag[distributed]'``. Ray is imported only when this engine is
    used. If Ray is already initialised (your cluster, or ``RAY_ADDRESS``), it is used and left
    running; otherwise a local instance is started for the run (no dashboard, no usage stats,
    worker logs not forwarded) and shut down after it.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
import os
import re
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gmsa_rag.documents import Chunk
from gmsa_rag.errors import ConfigError, GMSAError, ModelMismatchError
from gmsa_rag.precompress import PrecompressReport, plan
from gmsa_rag.store import SoftTokenStore

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'gmsa_rag[distributed]'"
_NUMPY_DTYPES = {"float16": np.float16, "float32": np.float32}  # bf16 has no numpy dtype: sent as fp32

__all__ = ["CompressorActor", "RayNotInstalledError", "precompress_ray"]


class RayNotInstalledError(GMSAError, ImportError):
    """The Ray engine was asked for, but Ray Data is not installed."""


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401  (ray[data] pulls pyarrow and pandas; plain ray lacks them)
    except ImportError as exc:
        raise RayNotInstalledError(
            f"the Ray engine needs Ray Data, which cannot be imported here ({exc}); install it with "
            f"{INSTALL_HINT} (or pip install 'ray[data]>=2.40'), or use the local engine"
        ) from exc
    return ray


def _model_ref(model: str | os.PathLike) -> str:
    """What workers load: 'default' as is, a directory as an absolute path (workers' cwd differs)."""
    if str(model) == "default":
        return "default"
    path = Path(model).expanduser()
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"the Ray engine loads the model from a saved directory in every worker; {str(model)!r} is not one "
            "(no config.json). Pass 'default' or a directory written by GMSAModel.save_pretrained "
            "(an untrained model has random adapters, so workers could not agree on it)"
        )
    return str(path.resolve())


def _model_config(model_ref: str):
    from gmsa_rag.config import GMSAConfig
    from gmsa_rag.model.gmsa import CONFIG_NAME, DEFAULT_MODEL_DIR

    directory = DEFAULT_MODEL_DIR if model_ref == "default" else Path(model_ref)
    return GMSAConfig.load(directory / CONFIG_NAME)


# ---------------------------------------------------------------- the actor


class CompressorActor:
    """A Ray Data callable class: loads the GMSA model once, then compresses batches of chunks.

    Input batch (numpy): ``text``, ``content_hash``, ``doc_id``, ``batch`` (the local path's batch
    index). Output: ``content_hash``, ``doc_id``, ``num_tokens`` and one column ``r<rate>`` per
    rate holding each chunk's ``(ceil(num_tokens / rate), d)`` vectors.
    """

    def __init__(self, model: str, fingerprint: str, rates: Sequence[int], batch_size: int, *,
                 backbone: str | None = None, device: str | None = None,
                 transfer_dtype: str = "float32") -> None:
        import torch

        from gmsa_rag.model import GMSAModel

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.rates = tuple(int(r) for r in rates)
        self.batch_size = int(batch_size)
        self.transfer_dtype = _NUMPY_DTYPES[transfer_dtype]
        self.model = GMSAModel.from_pretrained(model, backbone=backbone, device=self.device).eval()
        got = self.model.fingerprint()
        if got != fingerprint:
            raise ModelMismatchError(
                f"the GMSA model a Ray worker on {socket.gethostname()} loaded from {model!r} has fingerprint {got}, "
                f"but the driver's model has {fingerprint}: the worker sees other model files, another gmsa_rag "
                "version or another backbone. Make the same model directory and backbone available on every "
                "worker machine"
            )

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import torch

        texts, groups = batch["text"], batch["batch"]
        n = len(texts)
        num_tokens = np.zeros(n, dtype=np.int64)
        columns = {r: np.empty(n, dtype=object) for r in self.rates}
        for group in dict.fromkeys(groups.tolist()):  # each local batch in its own encoder pass
            rows = np.flatnonzero(groups == group)
            results = self.model.compress([str(texts[i]) for i in rows], rates=self.rates, batch_size=self.batch_size)
            for row, result in zip(rows, results):
                num_tokens[row] = result.num_tokens
                for rate, vectors in result.vectors.items():
                    columns[rate][row] = vectors.to("cpu", torch.float32).numpy().astype(self.transfer_dtype)
        return {"content_hash": batch["content_hash"], "doc_id": batch["doc_id"], "num_tokens": num_tokens,
                **{f"r{rate}": column for rate, column in columns.items()}}


# ---------------------------------------------------------------- the driver


def _rows_of(column: Any) -> Iterator[np.ndarray]:
    """Rows of a tensor column as Ray hands it back: an object array of arrays, or one stacked array."""
    for item in column:
        yield np.array(item, copy=True)  # Ray's buffers are read-only; torch wants its own


_REMOTE_ERROR = re.compile(r"^(gmsa_rag(?:\.\w+)*)\.(\w+): (.+)$", re.MULTILINE)


def _gmsa_cause(exc: BaseException) -> GMSAError | None:
    """The GMSAError an actor raised, dug out of Ray's wrappers.

    A task's error comes back as an instance of its own class (or with it as ``cause``); an
    actor that failed in ``__init__`` comes back as ``ActorDiedError`` holding only the remote
    traceback as text, whose last ``gmsa_rag...Error: message`` line is rebuilt here.
    """
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, GMSAError) and type(current).__module__.startswith("gmsa_rag"):
            return current  # (not Ray's dynamic subclass of it, whose message is the whole traceback)
        todo += [current.__cause__, current.__context__, getattr(current, "cause", None)]
    found = _REMOTE_ERROR.findall(str(exc))
    if not found:
        return None
    module, name, message = found[-1]
    try:
        cls = getattr(importlib.import_module(module), name, None)
    except ImportError:
        cls = None
    if not (isinstance(cls, type) and issubclass(cls, GMSAError)):
        cls = GMSAError
    return cls(message)


@contextlib.contextmanager
def _ray_session(ray, address: str | None, num_cpus: int | None) -> Iterator[bool]:
    """Use the Ray instance already initialised, or start a local one (or connect to ``address``) and shut it down after."""
    if ray.is_initialized():
        yield False
        return
    saved = os.environ.get("RAY_USAGE_STATS_ENABLED")
    if saved is None:  # unless the user chose: no attempt to report to ray.io (there may be no network)
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    try:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address is None and not os.environ.get("RAY_ADDRESS"):
            kwargs["num_cpus"] = num_cpus  # only a new local instance takes resource settings
        ray.init(address=address, **kwargs)
    except BaseException:
        _restore_env("RAY_USAGE_STATS_ENABLED", saved)
        raise
    try:
        yield True
    finally:
        ray.shutdown()
        _restore_env("RAY_USAGE_STATS_ENABLED", saved)


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _check_resources(ray, started: bool, concurrency: int, cpus: float, gpus: float) -> None:
    """Warn when the cluster has room for fewer actors than asked; refuse when a local one has room for none."""
    resources = ray.cluster_resources()
    have_cpu, have_gpu = resources.get("CPU", 0.0), resources.get("GPU", 0.0)
    fits = min(int(have_cpu // cpus) if cpus else concurrency, int(have_gpu // gpus) if gpus else concurrency)
    if fits >= concurrency:
        return
    message = (f"each compressor actor needs {cpus:g} CPU and {gpus:g} GPU; the Ray cluster has {have_cpu:g} CPU "
               f"and {have_gpu:g} GPU, room for {fits} of the {concurrency} actors asked for")
    if fits < 1 and started:
        raise ConfigError(f"{message}; lower num_gpus or cpus_per_actor, or connect to a cluster that has them")
    logger.warning("%s; %s", message, "the rest start only if an autoscaler adds nodes" if fits < 1
                   else "the run goes on with fewer")


def precompress_ray(
    model: str | os.PathLike,
    store: str | os.PathLike | SoftTokenStore,
    chunks: Sequence[Chunk],
    *,
    rates: Sequence[int] | None = None,
    batch_size: int = 16,
    concurrency: int = 1,
    num_gpus: float | None = None,
    cpus_per_actor: float = 1,
    backbone: str | None = None,
    device: str | None = None,
    fingerprint: str | None = None,
    address: str | None = None,
    num_cpus: int | None = None,
    progress: bool = True,
) -> PrecompressReport:
    """Compress every chunk not yet in ``store`` with a Ray Data actor pool; the store ends up as the local path leaves it.

    model: ``"default"`` or a directory written by ``GMSAModel.save_pretrained`` (every worker
        loads it with ``GMSAModel.from_pretrained(model, backbone=backbone)``).
    store: a :class:`SoftTokenStore` or its directory (opened with the store's defaults). Only
        the driver writes it (see the module docstring), so it need not be on a shared filesystem.
    rates: default the model's ``config.rates``.
    batch_size: chunks per encoder pass (also Ray's batch size); the local path's default, 16.
    concurrency: number of compressor actors (each loads the model once).
    num_gpus: GPUs per actor; default 1 when the Ray cluster has GPUs, else 0.
    cpus_per_actor: CPUs Ray reserves per actor; Ray sets the actor's torch/OpenMP threads to it.
    device: the actors' torch device; default ``cuda`` when the actor sees a GPU, else ``cpu``.
    fingerprint: the model's fingerprint when the caller knows it (the CLI has the model loaded);
        otherwise the driver loads the model once on the CPU to compute it. Actors whose model
        differs refuse to start (:class:`~gmsa_rag.errors.ModelMismatchError`).
    address: a Ray cluster to connect to (default: the one already initialised, ``RAY_ADDRESS``,
        or a new local instance with ``num_cpus`` CPUs, default all).
    progress: Ray Data's progress bars.

    Raises RayNotInstalledError (a GMSAError and ImportError) when Ray Data is missing.
    """
    ray = _import_ray()
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    if num_gpus is not None and (isinstance(num_gpus, bool) or not isinstance(num_gpus, (int, float)) or num_gpus < 0):
        raise ConfigError(f"num_gpus must be a number >= 0, got {num_gpus!r}")
    if isinstance(cpus_per_actor, bool) or not isinstance(cpus_per_actor, (int, float)) or cpus_per_actor <= 0:
        raise ConfigError(f"cpus_per_actor must be a number > 0, got {cpus_per_actor!r}")
    start = time.perf_counter()
    model_ref = _model_ref(model)
    if backbone is not None and Path(backbone).expanduser().is_dir():
        backbone = str(Path(backbone).expanduser().resolve())
    rates = tuple(rates or _model_config(model_ref).rates)
    if fingerprint is None:
        from gmsa_rag.model import GMSAModel

        fingerprint = GMSAModel.from_pretrained(model_ref, backbone=backbone).fingerprint()

    own_store = not isinstance(store, SoftTokenStore)
    store_ = SoftTokenStore(store) if own_store else store
    try:
        todo = plan(store_, fingerprint, chunks, rates)
        unique = len({c.content_hash for c in chunks})
        tokens = 0
        if todo:
            tokens = _run(ray, model_ref, store_, todo, fingerprint, rates, batch_size=batch_size,
                          concurrency=concurrency, num_gpus=num_gpus, cpus_per_actor=cpus_per_actor, backbone=backbone, device=device,
                          address=address, num_cpus=num_cpus, progress=progress)
        return PrecompressReport(chunks=unique, computed=len(todo), cached=unique - len(todo), tokens=tokens,
                                 seconds=time.perf_counter() - start)
    finally:
        if own_store:
            store_.close()


def _run(ray, model_ref: str, store: SoftTokenStore, todo: list[Chunk], fingerprint: str, rates: tuple[int, ...], *,
         batch_size: int, concurrency: int, num_gpus: float | None, cpus_per_actor: float, backbone: str | None, device: str | None,
         address: str | None, num_cpus: int | None, progress: bool) -> int:
    """Compress ``todo`` (sorted) on Ray and write every result into ``store``; returns the tokens compressed."""
    import pyarrow as pa
    import torch
    from ray.data import DataContext

    transfer = store.dtype if store.dtype in _NUMPY_DTYPES else "float32"
    # Blocks of whole local batches (a multiple of batch_size rows; the last may be short), so Ray's
    # batches of batch_size rows are exactly the local batches. A few batches per block cut Ray's
    # per-task overhead while leaving every actor several blocks.
    n_batches = math.ceil(len(todo) / batch_size)
    rows_per_block = batch_size * max(1, min(8, n_batches // (4 * concurrency)))
    blocks = [pa.table({
        "text": [c.text for c in todo[begin : begin + rows_per_block]],
        "content_hash": [c.content_hash for c in todo[begin : begin + rows_per_block]],
        "doc_id": [c.doc_id for c in todo[begin : begin + rows_per_block]],
        "batch": pa.array([i // batch_size for i in range(begin, min(begin + rows_per_block, len(todo)))], pa.int64()),
    }) for begin in range(0, len(todo), rows_per_block)]
    expected = {c.content_hash for c in todo}
    written: set[str] = set()
    tokens = 0
    with _ray_session(ray, address, num_cpus) as started:
        if num_gpus is None:
            num_gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
        _check_resources(ray, started, concurrency, cpus_per_actor, num_gpus)
        context = DataContext.get_current()
        saved_bars = context.enable_progress_bars
        context.enable_progress_bars = progress
        try:
            ds = ray.data.from_arrow(blocks).map_batches(
                CompressorActor,
                fn_constructor_kwargs={"model": model_ref, "fingerprint": fingerprint, "rates": rates,
                                       "batch_size": batch_size, "backbone": backbone, "device": device,
                                       "transfer_dtype": transfer},
                batch_size=batch_size, batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=concurrency),
                num_cpus=cpus_per_actor, **({"num_gpus": num_gpus} if num_gpus else {}),
            )
            for out in ds.iter_batches(batch_size=None, batch_format="numpy"):
                columns = {r: _rows_of(out[f"r{r}"]) for r in rates}
                for h, doc_id, n in zip(out["content_hash"].tolist(), out["doc_id"].tolist(), out["num_tokens"].tolist()):
                    vectors = {r: torch.from_numpy(next(columns[r])) for r in rates}
                    if h not in expected or h in written:
                        raise GMSAError(f"the Ray pipeline returned chunk {h} unexpectedly (not asked for, or twice)")
                    store.put(fingerprint, h, vectors, doc_id=doc_id, num_tokens=int(n))
                    written.add(h)
                    tokens += int(n)
        except Exception as exc:
            cause = _gmsa_cause(exc)
            if cause is not None and cause is not exc:
                raise type(cause)(str(cause)) from exc  # the actor's own error, not Ray's wrapper
            raise
        finally:
            context.enable_progress_bars = saved_bars
    if written != expected:
        raise GMSAError(f"the Ray pipeline returned {len(written)} of {len(expected)} chunks; run again to finish "
                        "(what was returned is stored)")
    logger.info("precompressed %d chunks (%d tokens) on Ray with %d actor(s)", len(written), tokens, concurrency)
    return tokens

