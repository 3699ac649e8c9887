"""The benchmark report: QA, latency and storage on the bundled evaluation set, in one run.

:func:`run_report` reuses the evaluation functions and adds nothing to what they measure:

1. QA (:func:`~gmsa_rag.evaluation.qa.evaluate_qa`) over the evaluation set in every cell of
   closed-book, full text and GMSA at each of the model's rates, with oracle and retrieved
   contexts (closed-book reads no context, so it runs once);
2. latency (:func:`~gmsa_rag.evaluation.bench.bench_latency`) at the given context sizes;
3. storage (:func:`~gmsa_rag.evaluation.bench.bench_store`) of the evaluation collection;
4. the peer a CPU user would run instead (:func:`~gmsa_rag.evaluation.llama_peer.bench_llama_cpp`):
   llama.cpp serving the backbone's GGUF over the latency part's text, where the ``llama``
   extra is installed (else the report says why it is missing).

Each finished part is kept in ``<out>/cache/<part>.json`` under a key that hashes everything
its figures depend on (model fingerprint, the questions and documents used, the settings, the
machine, the measuring code and library versions); a rerun with the same key reuses it, so an
interrupted run resumes. The QA cells the plain backbone answers (full text, closed-book) are
keyed by the backbone's checksum instead of the fingerprint: a newly trained model on the same
backbone reruns only the GMSA cells and the latency part. The report is written by
:mod:`gmsa_rag.evaluation.report_render`: ``report.md``, ``report.json`` and plots.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from gmsa_rag.errors import InputError
from gmsa_rag.evaluation.bench import LatencyBench, StoreBench, bench_latency, bench_store
from gmsa_rag.evaluation.llama_peer import PeerRow, bench_llama_cpp, peer_unavailable
from gmsa_rag.evaluation.qa import QAResult, eval_collection, evaluate_qa, read_questions
from gmsa_rag.model import GMSAModel
from gmsa_rag.model.gmsa import cpu_bf16_units

DATA_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
DEFAULT_QUESTIONS = DATA_DIR / "qa_eval.jsonl"
DEFAULT_DOCS = DATA_DIR / "qa_eval_docs.jsonl"
LATENCY_QUESTION = "What does ASCII stand for and when was it first published?"  # ASCII is in the eval docs
CACHE_VERSION = 1


@dataclass(frozen=True)
class ReportSettings:
    """What the report runs on and how; every field that changes a figure is in a cache key."""

    questions: Path = DEFAULT_QUESTIONS
    docs: Path = DEFAULT_DOCS
    limit: int | None = None  # the first N questions only
    top_k: int = 4
    max_new_tokens: int = 32
    context_tokens: tuple[int, ...] = (512, 1024, 2048)
    latency_repeats: int = 3
    answer_tokens: int = 32
    latency_question: str = LATENCY_QUESTION
    root: Path | None = None  # where the evaluation index lives (default ./indexes)
    fresh: bool = False  # ignore cached parts
    progress: bool = True


@dataclass(frozen=True)
class QACell:
    """One QA configuration: ``mode`` closed/full/gmsa, ``rate`` for gmsa, ``context``."""

    mode: str
    rate: int | None
    context: str

    @property
    def name(self) -> str:
        if self.mode == "closed":
            return "qa-closed"
        return f"qa-{self.mode}{self.rate or ''}-{self.context}"


def qa_cells(rates: Sequence[int]) -> list[QACell]:
    """Closed-book once, then GMSA at each rate and full text for retrieved and oracle contexts.

    Cheapest and most used first: the full text of whole gold documents (oracle) is the slowest
    cell by far, so it comes last and an interrupted run has everything else cached.
    """
    cells = [QACell("closed", None, "retrieved")]
    for context in ("retrieved", "oracle"):
        cells.extend(QACell("gmsa", rate, context) for rate in rates)
        cells.append(QACell("full", None, context))
    return cells


@dataclass
class MachineInfo:
    cpu: str
    cpu_cores: int
    torch_threads: int
    device: str
    gpu: str | None
    torch: str
    python: str
    platform: str


def machine_info(model: GMSAModel) -> MachineInfo:
    """The hardware and software the figures were measured on."""
    device = model.device
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 0)
    return MachineInfo(
        cpu=_cpu_model(), cpu_cores=cores, torch_threads=torch.get_num_threads(), device=str(device), gpu=gpu,
        torch=torch.__version__, python=platform.python_version(), platform=platform.platform(),
    )


def _cpu_model() -> str:
    """The CPU's model name and its bf16 units: one name ("AMD EPYC") covers CPUs with and
    without them, and the bf16 figures (and what ``auto`` picks) differ between them."""
    return f"{_cpu_name()} (bf16 units: {', '.join(cpu_bf16_units()) or 'none'})"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@dataclass
class RunInfo:
    """Provenance: when, with what command, model and data."""

    date: str
    command: str
    model: str
    fingerprint: str
    backbone: str
    rates: list[int]
    precision: str
    questions: str
    questions_sha256: str
    n_questions: int
    docs: str
    docs_sha256: str
    n_docs: int
    settings: dict[str, Any]


@dataclass
class PartTiming:
    """How long a part took to compute (when it was computed) and whether it came from the cache."""

    part: str
    seconds: float
    cached: bool


@dataclass
class Report:
    run: RunInfo
    machine: MachineInfo
    qa: list[QAResult]
    latency: LatencyBench
    store: list[StoreBench]
    timings: list[PartTiming] = field(default_factory=list)
    peer: list[PeerRow] | str = ""  # llama.cpp over the same text, or why it was skipped

    def to_dict(self) -> dict:
        return {
            "run": asdict(self.run), "machine": asdict(self.machine), "qa": [r.to_dict() for r in self.qa],
            "latency": self.latency.to_dict(), "store": [asdict(s) for s in self.store],
            "timings": [asdict(t) for t in self.timings],
            "llama_cpp": self.peer if isinstance(self.peer, str) else [asdict(r) for r in self.peer],
        }


# ---------------------------------------------------------------- cache


def content_key(fields: dict[str, Any]) -> str:
    """sha256 of the fields as canonical JSON: equal keys mean equal inputs."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


class PartCache:
    """Finished parts as ``<directory>/<part>.json``: ``{"key", "fields", "result"}``."""

    def __init__(self, directory: Path, fresh: bool = False) -> None:
        self.directory, self.fresh = directory, fresh
        directory.mkdir(parents=True, exist_ok=True)

    def get(self, part: str, key: str) -> dict[str, Any] | None:
        """The entry ``{"key", "fields", "seconds", "result"}`` of ``part`` if its key is ``key``."""
        path = self.directory / f"{part}.json"
        if self.fresh or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None  # a damaged entry is recomputed
        return data if isinstance(data, dict) and data.get("key") == key and "result" in data else None

    def put(self, part: str, key: str, fields: dict[str, Any], result: Any, seconds: float = 0.0) -> None:
        path = self.directory / f"{part}.json"
        tmp = path.with_name(path.name + ".tmp")
        entry = {"key": key, "fields": fields, "seconds": seconds, "result": result}
        tmp.write_text(json.dumps(entry, default=str), encoding="utf-8")
        tmp.replace(path)


def _cached(cache: PartCache, part: str, fields: dict[str, Any], compute: Callable[[], Any],
            dump: Callable[[Any], Any], load: Callable[[Any], Any], timings: list[PartTiming]) -> Any:
    """``load(cached)`` when ``part`` was finished with the same ``fields``, else compute and keep it.

    The timing recorded is the part's compute time, also when it comes from the cache.
    """
    key = content_key({"version": CACHE_VERSION, **fields})
    hit = cache.get(part, key)
    if hit is not None:
        timings.append(PartTiming(part, float(hit.get("seconds", 0.0)), True))
        return load(hit["result"])
    start = time.perf_counter()
    result = compute()
    seconds = time.perf_counter() - start
    cache.put(part, key, fields, dump(result), seconds)
    timings.append(PartTiming(part, seconds, False))
    return result


# ---------------------------------------------------------------- the run


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run_info(model: GMSAModel, settings: ReportSettings, questions: list[dict], n_docs: int,
              model_name: str, command: str) -> RunInfo:
    records = json.dumps(questions, sort_keys=True, ensure_ascii=False).encode()
    shown = {k: (list(v) if isinstance(v, tuple) else str(v) if isinstance(v, Path) else v)
             for k, v in asdict(settings).items() if k not in ("questions", "docs", "root", "fresh", "progress")}
    return RunInfo(
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), command=command,
        model=model_name, fingerprint=model.fingerprint(), backbone=model.config.backbone,
        rates=list(model.config.rates), precision=model.resolved_precision(),
        questions=str(settings.questions), questions_sha256=hashlib.sha256(records).hexdigest(),
        n_questions=len(questions), docs=str(settings.docs), docs_sha256=_sha256_file(Path(settings.docs)),
        n_docs=n_docs, settings=shown,
    )


# Package sources that cannot change a measured figure (a change elsewhere invalidates the cache).
_NOT_MEASURING = ("cli.py", "evaluation/report_render.py", "training/", "integrations/")


def code_sha256(package: Path = Path(__file__).resolve().parents[1]) -> str:
    """sha256 over the package's measuring code: the model, retrieval, store and evaluation."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if not relative.startswith(_NOT_MEASURING):
            digest.update(relative.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _base_fields(run: RunInfo, machine: MachineInfo) -> dict[str, Any]:
    """What every part depends on: model, data, precision, the machine, the code and libraries."""
    import transformers

    return {
        "fingerprint": run.fingerprint, "questions_sha256": run.questions_sha256, "docs_sha256": run.docs_sha256,
        "precision": run.precision, "cpu": machine.cpu, "device": machine.device, "gpu": machine.gpu,
        "code_sha256": code_sha256(), "torch": torch.__version__, "transformers": transformers.__version__,
    }


def _base_model_fields(base: dict[str, Any], config) -> dict[str, Any]:
    """``base`` for a cell the plain backbone answers (full text, closed-book): keyed by the
    backbone, not the GMSA fingerprint, so a newly trained model reuses those cells."""
    fields = {k: v for k, v in base.items() if k != "fingerprint"}
    return {**fields, "backbone": config.backbone, "backbone_sha256": config.backbone_sha256}


def run_qa(collection, questions: list[dict], settings: ReportSettings, cache: PartCache,
           base: dict[str, Any], timings: list[PartTiming]) -> list[QAResult]:
    """Every QA cell (:func:`qa_cells`), each cached on its own."""
    results = []
    config = collection.model.config
    for cell in qa_cells(config.rates):
        model_fields = base if cell.mode == "gmsa" else _base_model_fields(base, config)
        fields = {**model_fields, **asdict(cell), "top_k": settings.top_k, "max_new_tokens": settings.max_new_tokens,
                  "chunk_tokens": collection.chunk_tokens}
        results.append(_cached(
            cache, cell.name, fields,
            lambda cell=cell: evaluate_qa(
                collection, questions, mode=cell.mode, rate=cell.rate or collection.model.config.rates[0],
                context=cell.context, top_k=settings.top_k, max_new_tokens=settings.max_new_tokens,
                progress=settings.progress,
            ),
            lambda r: r.to_dict(predictions=True), QAResult.from_dict, timings,
        ))
    return results


def run_latency(collection, settings: ReportSettings, cache: PartCache, base: dict[str, Any],
                timings: list[PartTiming]) -> LatencyBench:
    """The latency bench over the evaluation collection at ``settings.context_tokens``."""
    from gmsa_rag.pipeline import RAGPipeline

    rates = tuple(collection.model.config.rates)
    fields = {
        **{k: v for k, v in base.items() if k != "questions_sha256"},  # one fixed question: not the QA set's
        "context_tokens": list(settings.context_tokens), "repeats": settings.latency_repeats,
        "answer_tokens": settings.answer_tokens, "question": settings.latency_question, "rates": list(rates),
        "chunk_tokens": collection.chunk_tokens,
    }
    return _cached(
        cache, "latency", fields,
        lambda: bench_latency(
            RAGPipeline(collection), settings.latency_question, context_tokens=settings.context_tokens, rates=rates,
            answer_tokens=settings.answer_tokens, repeats=settings.latency_repeats, progress=settings.progress,
        ),
        LatencyBench.to_dict, LatencyBench.from_dict, timings,
    )


def run_peer(collection, settings: ReportSettings, cache: PartCache, base: dict[str, Any],
             timings: list[PartTiming]) -> list[PeerRow] | str:
    """llama.cpp serving the built-in GGUF over the latency bench's text, or why it cannot here."""
    from gmsa_rag.pipeline import RAGPipeline

    unavailable = peer_unavailable(collection.model.config.backbone)
    if unavailable:
        return unavailable
    fields = {
        **{k: v for k, v in base.items() if k != "questions_sha256"}, "llama_cpp": importlib.metadata.version("llama-cpp-python"),
        "context_tokens": list(settings.context_tokens), "repeats": settings.latency_repeats,
        "answer_tokens": settings.answer_tokens, "question": settings.latency_question,
        "chunk_tokens": collection.chunk_tokens,
    }
    return _cached(
        cache, "llama_cpp", fields,
        lambda: bench_llama_cpp(RAGPipeline(collection), settings.latency_question, context_tokens=settings.context_tokens,
                                answer_tokens=settings.answer_tokens, repeats=settings.latency_repeats),
        lambda rows: [asdict(r) for r in rows], lambda rows: [PeerRow(**r) for r in rows], timings,
    )


def run_store(collection, timings: list[PartTiming]) -> list[StoreBench]:
    """Bytes per 1,000 text tokens in the evaluation collection's store (cheap: never cached)."""
    start = time.perf_counter()
    rows = bench_store(collection)
    timings.append(PartTiming("store", time.perf_counter() - start, False))
    return rows


def _check_settings(settings: ReportSettings) -> None:
    if settings.limit is not None and settings.limit < 1:
        raise InputError(f"limit must be >= 1, got {settings.limit}")
    if settings.top_k < 1 or settings.latency_repeats < 1 or settings.max_new_tokens < 1:
        raise InputError("top_k, latency_repeats and max_new_tokens must be >= 1")
    if not settings.context_tokens or min(settings.context_tokens) < 1:
        raise InputError(f"context_tokens must be positive sizes, got {settings.context_tokens}")
    for path in (settings.questions, settings.docs):
        if not Path(path).is_file():
            raise InputError(f"evaluation file not found: {path} (pass --questions/--docs)")


def run_report(model: GMSAModel, out_dir: str | Path, settings: ReportSettings = ReportSettings(), *,
               model_name: str = "", command: str = "") -> Report:
    """Run every part (reusing cached ones), write the report files into ``out_dir``, return it."""
    from gmsa_rag.evaluation.report_render import write_report

    _check_settings(settings)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out exists and is not a directory: {out}")
    questions = read_questions(settings.questions, limit=settings.limit)
    collection = eval_collection(model, settings.docs, root=settings.root)
    run = _run_info(model, settings, questions, len(collection.index.documents()), model_name, command)
    machine = machine_info(model)
    cache = PartCache(out / "cache", fresh=settings.fresh)
    base = _base_fields(run, machine)
    timings: list[PartTiming] = []
    store = run_store(collection, timings)
    latency = run_latency(collection, settings, cache, base, timings)
    peer = run_peer(collection, settings, cache, base, timings)
    qa = run_qa(collection, questions, settings, cache, base, timings)
    report = Report(run=run, machine=machine, qa=qa, latency=latency, store=store, timings=timings, peer=peer)
    write_report(report, out)
    return report
