"""The documentation corpus: Debian's documentation packages as train/held-out passages.

:func:`build_doc_corpus` reads every :class:`~gmsa_rag.training.corpora.doc_sources.DocSource`
in five stages:

1. **fetch**: the packages into the user cache (:func:`~gmsa_rag.training.corpora.debian.fetch_deb`,
   once; later runs reuse them);
2. **convert**: each wanted file through its format's converter and the prose filter
   (:mod:`~gmsa_rag.training.corpora.clean`). The result is cached per source under a key
   made of the package files and the converter and filter code, so a re-run, or a run
   interrupted and started again, only converts what changed;
3. **dedup and pack**: exact duplicate paragraphs go (the first in reading order stays),
   documents become passages of whole sentences, near-duplicate passages go;
4. **split and write**: each document goes to ``train`` or ``heldout`` by a hash of its
   id (:func:`~gmsa_rag.training.corpora.documents.split_of`), passages are counted in
   backbone tokens and written as JSONL;
5. **questions**: extractive KEFT questions on the passages of each split
   (:func:`~gmsa_rag.training.corpora.doc_qa.doc_qa_examples`).

A source whose package cannot be fetched or read is reported with its error; the others
still build. The same cached packages give byte-identical files.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import inspect
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from tqdm.auto import tqdm

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora import clean, debian, dedup, formats
from gmsa_rag.training.corpora.build import _prepare_out_dir, _qa_record, _template_counts, write_jsonl
from gmsa_rag.training.corpora.debian import DebError, DebInfo, deb_info, fetch_deb, read_deb
from gmsa_rag.training.corpora.doc_qa import doc_qa_examples, drop_seen
from gmsa_rag.training.corpora.doc_sources import DOC_SOURCES, DocSource, alternatives
from gmsa_rag.training.corpora.documents import split_of
from gmsa_rag.training.corpora.passages import DOC_JUNK, make_passages
from gmsa_rag.training.corpora.records import Article, QAExample

DOCS_HELDOUT_FRACTION = 0.05
DOCS_SPLIT_SALT = "gmsa-docs-v1"
_CACHE_VERSION = "1"


@dataclass
class SourceReport:
    """What one source gave: its packages, and counts after each stage."""

    name: str
    packages: list[dict] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    passages: dict[str, int] = field(default_factory=dict)
    words: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    cached: bool = False
    seconds: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class DocCorpusSummary:
    """The files :func:`build_doc_corpus` wrote, per-source reports and totals."""

    out_dir: Path
    files: dict[str, Path]
    sources: list[SourceReport]
    totals: dict[str, int]
    seconds: float

    def to_dict(self) -> dict:
        """A JSON-ready dict (paths as strings)."""
        return {
            "out_dir": str(self.out_dir), "files": {k: str(v) for k, v in self.files.items()},
            "sources": [asdict(r) for r in self.sources], "totals": self.totals, "seconds": round(self.seconds, 1),
        }


# ------------------------------------------------------------------ convert


def _converter(fmt: str) -> Callable[[bytes, str], list[formats.ConvertedDoc]]:
    """bytes of one file (gzipped or not) and its path -> the documents in it."""
    if fmt == "html":
        from gmsa_rag.training.corpora.formats.html import html_to_doc

        return lambda data, path: [html_to_doc(data, path=path)]
    if fmt == "html-pre":
        from gmsa_rag.training.corpora.formats.pretext import pre_html_to_doc

        return lambda data, path: [pre_html_to_doc(data, path=path)]

    def text(data: bytes, path: str) -> str:
        if path.endswith((".gz", ".dz")):  # dictzip (.dict.dz) is gzip
            data = gzip.decompress(data)
        return data.decode("utf-8", "replace")

    if fmt == "dictd":
        from gmsa_rag.training.corpora.formats.dictd import dictd_to_docs

        return lambda data, path: dictd_to_docs(text(data, path), name=path)
    if fmt == "info":
        from gmsa_rag.training.corpora.formats.info import info_to_docs

        return lambda data, path: info_to_docs(text(data, path), name=path)
    if fmt == "markdown":
        from gmsa_rag.training.corpora.formats.markdown import markdown_to_doc

        return lambda data, path: [markdown_to_doc(text(data, path), name=path)]
    if fmt == "man":
        from gmsa_rag.training.corpora.formats.roff import man_to_doc

        return lambda data, path: [man_to_doc(text(data, path), name=path)]
    from gmsa_rag.training.corpora.formats.pod import pod_to_doc

    return lambda data, path: [pod_to_doc(text(data, path), name=path)]


# the format modules each format's conversion runs (beside the shared code in _code_digest)
_FORMAT_MODULES = {
    "html": ("html",), "html-pre": ("pretext", "html"), "markdown": ("markdown", "html"),
    "info": ("info",), "man": ("roff", "mdoc"), "pod": ("pod",), "dictd": ("dictd",),
}


def _code_digest(fmt: str) -> str:
    """A digest of the code that decides a conversion's output in format ``fmt``: its
    converter modules, the shared document type, prose filter and package reader, and the
    dispatch here. Editing one converter re-converts only the sources in its format."""
    modules = [importlib.import_module(f"{formats.__name__}.{m}") for m in _FORMAT_MODULES[fmt]]
    h = hashlib.blake2b(f"{_CACHE_VERSION}:{fmt}".encode(), digest_size=8)
    for code in (formats, *modules, clean, debian, _converter, _convert):
        h.update(inspect.getsource(code).encode("utf-8"))
    return h.hexdigest()


def _convert(source: DocSource, debs: Sequence[Path], bar: tqdm) -> tuple[list[dict], int]:
    """The source's documents with their prose paragraphs (package then archive order), and
    how many files were read."""
    convert = _converter(source.format)
    out, files = [], 0
    for deb in debs:
        for path, data in read_deb(deb, source.wants):
            files += 1
            bar.update(1)
            docs = [d for d in convert(data, path) if d.paragraphs]
            for i, doc in enumerate(docs):
                paragraphs = clean.prose_paragraphs(doc.paragraphs)
                if paragraphs:
                    doc_id = f"{source.name}:{path}" + (f"#{i}" if len(docs) > 1 else "")
                    out.append({"doc_id": doc_id, "title": clean.normalize(doc.title), "paragraphs": paragraphs})
    return out, files


def _write_gz_jsonl(records: Iterable[dict], path: Path) -> int:
    """Write gzipped JSONL atomically (no timestamp in the header: same records, same bytes)."""
    tmp = path.with_name(path.name + ".tmp")
    n = 0
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        for record in records:
            f.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
            n += 1
    tmp.replace(path)
    return n


def _read_gz_jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _cache_file(cache_dir: Path, source: DocSource, infos: Sequence[DebInfo], code: str) -> Path:
    """Where a source's conversion is cached: keyed by its definition, package files and code."""
    key = hashlib.blake2b(
        json.dumps([asdict(source), [i.filename for i in infos], code]).encode(), digest_size=10
    ).hexdigest()
    return cache_dir / "converted" / f"{source.name}-{key}.jsonl.gz"


def _source_documents(
    source: DocSource, cache_dir: Path, refresh: bool, report: SourceReport, code: str, progress: bool
) -> list[dict]:
    """Fetch the source's packages and return its converted documents (cached).

    The cache file's first record is ``{"files": N}``, the number of files converted.
    """
    debs = [_fetch_first(entry, cache_dir, refresh) for entry in source.packages]
    infos = [deb_info(d) for d in debs]
    report.packages = [_package_record(i) for i in infos]
    cached = _cache_file(cache_dir, source, infos, code)
    if cached.is_file():
        try:
            head, *docs = _read_gz_jsonl(cached)
            report.files, report.cached = int(head["files"]), True
            return docs
        except (OSError, EOFError, ValueError, KeyError, TypeError):
            cached.unlink(missing_ok=True)  # a damaged cache file is rebuilt, never trusted
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tqdm(desc=f"convert {source.name}", unit="file", leave=False, disable=not progress) as bar:
        docs, report.files = _convert(source, debs, bar)
    _write_gz_jsonl([{"files": report.files}, *docs], cached)
    return docs


def _fetch_first(entry: str, cache_dir: Path, refresh: bool) -> Path:
    """The first of the entry's alternative package names that can be fetched."""
    errors = []
    for name in alternatives(entry):
        try:
            return fetch_deb(name, cache_dir, refresh=refresh)
        except DebError as exc:
            errors.append(str(exc))
    raise DebError("; ".join(errors))


def _package_record(info: DebInfo) -> dict:
    return {"package": info.package, "version": info.version, "file": info.filename,
            "licenses": list(info.licenses), "copyright": info.copyright_path}


# ------------------------------------------------------------------ dedup, pack, split


def _article(doc: dict, paragraphs: Sequence[str], source: str) -> tuple[Article, str]:
    """A converted document (its kept ``paragraphs``) as an Article, and the split it goes to."""
    article = Article(doc_id=doc["doc_id"], title=doc["title"], text="\n\n".join(paragraphs),
                      source=source, license="")
    return article, split_of(article, DOCS_HELDOUT_FRACTION, DOCS_SPLIT_SALT)


def _passages(
    source: DocSource, docs: list[dict], exact: dedup.ExactDuplicates, near: dedup.NearDuplicates,
    lengths: dict[str, int],
) -> Iterator[tuple[str, dict]]:
    """(split, record) for each passage the source keeps after duplicate removal."""
    for doc in docs:
        paragraphs = exact.new(doc["paragraphs"])
        if not paragraphs:
            continue
        article, split = _article(doc, paragraphs, source.name)
        for passage in make_passages(article, **lengths, junk=DOC_JUNK):
            if near.new(passage.text):
                yield split, {"text": passage.text, "source": source.name, "doc_id": passage.doc_id}


def cached_passages(cache_dir: str | Path) -> dict[str, list[str]]:
    """Passage texts of every conversion in ``cache_dir`` (a build's ``--cache``), by split.

    Packed and split as the build packs and splits them (same split rule, default passage
    lengths) but without duplicate removal, and in file-name order: quick training mixes
    from what the cache already holds, without a full build. Stale conversions (of older
    package or converter versions) left in the cache are read too.
    """
    out: dict[str, list[str]] = {"train": [], "heldout": []}
    for path in sorted((Path(cache_dir) / "converted").glob("*.jsonl.gz")):
        source = path.name.rsplit("-", 1)[0]  # the name of _cache_file's "{source}-{key}.jsonl.gz"
        _head, *docs = _read_gz_jsonl(path)
        for doc in docs:
            article, split = _article(doc, doc["paragraphs"], source)
            out[split].extend(p.text for p in make_passages(article, junk=DOC_JUNK))
    return out


def _count_tokens(texts: list[str], tokenizer, batch: int = 1024) -> int:
    return sum(
        len(ids) for i in range(0, len(texts), batch)
        for ids in tokenizer(texts[i : i + batch], add_special_tokens=False)["input_ids"]
    )


def _select(sources: Sequence[str | DocSource] | None) -> tuple[DocSource, ...]:
    """Sources by name (from :data:`DOC_SOURCES`) or as given; all of them for ``None``."""
    if sources is None:
        return DOC_SOURCES
    known = {s.name: s for s in DOC_SOURCES}
    unknown = [s for s in sources if not isinstance(s, DocSource) and s not in known]
    if unknown:
        raise InputError(f"unknown source(s) {unknown}; known: {sorted(known)}")
    return tuple(s if isinstance(s, DocSource) else known[s] for s in sources)


def build_doc_corpus(
    out_dir: str | Path,
    sources: Sequence[str | DocSource] | None = None,
    cache_dir: str | Path | None = None,
    refresh: bool = False,
    backbone: str = "smollm2-135m-instruct",
    min_words: int = 60,
    target_words: int = 100,
    max_words: int = 200,
    seed: int = 0,
    progress: bool = True,
) -> DocCorpusSummary:
    """Write ``docs_train.jsonl`` and ``docs_heldout.jsonl`` (``{"text","source","doc_id"}``)
    ``docs_qa_train.jsonl`` and ``docs_qa_heldout.jsonl`` (extractive questions on those
    passages, with distractors from the same source; :mod:`~gmsa_rag.training.corpora.doc_qa`,
    seeded by ``seed``) and ``docs_card.json`` (each source's packages, versions, licences
    and counts, and the questions per template).

    ``sources`` are entries of :data:`~gmsa_rag.training.corpora.doc_sources.DOC_SOURCES`
    by name, or your own :class:`DocSource` objects (default: all of the list); ``cache_dir`` holds the packages and conversions (default: the user
    cache, ``$GMSA_RAG_CACHE/debian-docs``); ``refresh`` downloads packages again.
    Token counts use ``backbone``'s tokenizer.
    """
    from gmsa_rag.backbones import default_cache_dir, load_tokenizer

    start = time.perf_counter()
    chosen = _select(sources)
    out = _prepare_out_dir(out_dir)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "debian-docs"
    lengths = dict(min_words=min_words, target_words=target_words, max_words=max_words)
    tokenizer = load_tokenizer(backbone)
    codes = {fmt: _code_digest(fmt) for fmt in {s.format for s in chosen}}
    exact, near = dedup.ExactDuplicates(), dedup.NearDuplicates()
    split_records: dict[str, list[dict]] = {"train": [], "heldout": []}
    reports = []
    for source in tqdm(chosen, desc="sources", unit="source", disable=not progress):
        report = SourceReport(name=source.name)
        t0 = time.perf_counter()
        try:
            docs = _source_documents(source, cache, refresh, report, codes[source.format], progress)
        except DebError as exc:
            report.error = str(exc)
            reports.append(report)
            continue
        kept: dict[str, list[dict]] = {"train": [], "heldout": []}
        for split, record in _passages(source, docs, exact, near, lengths):
            kept[split].append(record)
        report.documents = len({r["doc_id"] for rs in kept.values() for r in rs})
        for split, records in kept.items():
            texts = [r["text"] for r in records]
            report.passages[split] = len(records)
            report.words[split] = sum(len(t.split()) for t in texts)
            report.tokens[split] = _count_tokens(texts, tokenizer)
            split_records[split].extend(records)
        report.seconds = round(time.perf_counter() - t0, 1)
        reports.append(report)
    files = {split: out / f"docs_{split}.jsonl" for split in split_records}
    for split, records in split_records.items():
        write_jsonl(records, files[split])
    totals = {
        f"{what}_{split}": sum(getattr(r, what).get(split, 0) for r in reports)
        for what in ("passages", "words", "tokens") for split in split_records
    }
    totals["documents"] = sum(r.documents for r in reports)
    questions = _questions(split_records, seed, progress)
    for split, examples in questions.items():
        files[f"qa_{split}"] = out / f"docs_qa_{split}.jsonl"
        totals[f"qa_{split}"] = write_jsonl((_qa_record(ex) for ex in examples), files[f"qa_{split}"])
    templates = {split: _template_counts(examples) for split, examples in questions.items()}
    files["card"] = _write_card(out / "docs_card.json", reports, totals, templates)
    return DocCorpusSummary(out, files, reports, totals, time.perf_counter() - start)


def _questions(split_records: dict[str, list[dict]], seed: int, progress: bool) -> dict[str, list[QAExample]]:
    """KEFT questions per split; held-out ones whose fact a training passage states are dropped."""
    train, heldout = split_records["train"], split_records["heldout"]
    return {
        "train": doc_qa_examples(train, seed=seed, progress=progress) if train else [],
        "heldout": drop_seen(doc_qa_examples(heldout, seed=seed, progress=progress), train) if heldout else [],
    }


def _write_card(
    path: Path, reports: list[SourceReport], totals: dict[str, int], templates: dict[str, dict[str, int]]
) -> Path:
    """The provenance and counts of every source (no timings: the same inputs, the same bytes)."""
    sources = [{k: v for k, v in asdict(r).items() if k not in ("seconds", "cached")} for r in reports]
    card = {"sources": sources, "totals": totals, "qa_templates": templates}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
