"""The documentation corpus: reading .deb files, the prose filter, duplicate removal and the
whole build on small packages made by the tests (no network: they sit in the cache)."""

from __future__ import annotations

import gzip
import io
import json
import random
import tarfile
from pathlib import Path

import pytest

from gmsa_rag.training.corpora import doc_corpus
from gmsa_rag.training.corpora.clean import is_prose, normalize, paragraph_key, prose_paragraphs
from gmsa_rag.training.corpora.debian import DebError, check_not_reserved, deb_info, fetch_deb, read_deb
from gmsa_rag.training.corpora.dedup import ExactDuplicates, NearDuplicates
from gmsa_rag.training.corpora.doc_sources import DOC_SOURCES, DocSource, alternatives

# ------------------------------------------------------------------ a .deb made in the test


def _tar_xz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo("./" + name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _ar_member(name: str, data: bytes) -> bytes:
    header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode("ascii")
    return header + data + (b"\n" if len(data) % 2 else b"")


def make_deb(path: Path, package: str, version: str, files: dict[str, bytes]) -> Path:
    """A minimal Debian package: debian-binary, control.tar.xz, data.tar.xz."""
    control = f"Package: {package}\nVersion: {version}\nArchitecture: all\n".encode()
    copyright_text = b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n" \
                     b"Files: *\nLicense: GPL-2+\n\nFiles: doc/*\nLicense: CC-BY-4.0\n"
    data = {**files, f"usr/share/doc/{package}/copyright": copyright_text}
    path.write_bytes(b"!<arch>\n" + _ar_member("debian-binary", b"2.0\n")
                     + _ar_member("control.tar.xz", _tar_xz({"control": control}))
                     + _ar_member("data.tar.xz", _tar_xz(data)))
    return path


def put_in_cache(cache: Path, package: str, deb: Path) -> None:
    """Register a .deb as the cached download of ``package`` (what fetch_deb looks up)."""
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    deb.replace(debs / deb.name)
    index_file = debs / "index.json"
    index = json.loads(index_file.read_text()) if index_file.exists() else {}
    index[package] = deb.name
    index_file.write_text(json.dumps(index))


_NOUNS = ("file", "buffer", "socket", "device", "process", "kernel", "driver", "table", "record",
          "channel", "signal", "module", "server", "client", "queue", "thread", "option", "format",
          "archive", "partition", "directory", "terminal", "packet", "register", "cache", "timer")
_VERBS = ("open", "close", "flush", "read", "write", "lock", "map", "copy", "check", "mount")


def prose(rng: random.Random, sentences: int) -> str:
    """Made-up English prose: varied enough that two calls are never near duplicates."""
    out = []
    for _ in range(sentences):
        a, b, c = rng.sample(_NOUNS, 3)
        out.append(f"When the {a} has to {rng.choice(_VERBS)} the {b}, it asks the {c} for "
                   f"a lock and waits until that {c} is free again.")
    return " ".join(out)


def html_page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title></head><body><nav><a href='x'>Home</a></nav>"
            f"<main><h1>{title}</h1>{body}<pre>int main(void) {{ return 0; }}</pre></main></body></html>").encode()


# ------------------------------------------------------------------ debian.py


def test_read_deb_yields_wanted_files_and_info(tmp_path):
    deb = make_deb(tmp_path / "demo_1.0_all.deb", "demo", "1:1.0-2", {
        "usr/share/doc/demo/html/a.html": b"<p>a</p>", "usr/share/doc/demo/html/b.txt": b"b"})
    got = dict(read_deb(deb, lambda p: p.endswith(".html")))
    assert got == {"usr/share/doc/demo/html/a.html": b"<p>a</p>"}
    info = deb_info(deb)
    assert (info.package, info.version, info.licenses) == ("demo", "1:1.0-2", ("GPL-2+", "CC-BY-4.0"))


@pytest.mark.parametrize("content", [b"not a deb at all", b"!<arch>\ndebian-binary   0  "])
def test_read_deb_refuses_broken_files(tmp_path, content):
    bad = tmp_path / "bad.deb"
    bad.write_bytes(content)
    with pytest.raises(DebError):
        list(read_deb(bad, lambda p: True))


def test_read_deb_refuses_a_truncated_package(tmp_path):
    deb = make_deb(tmp_path / "demo.deb", "demo", "1", {"usr/share/doc/demo/a.html": b"x" * 5000})
    deb.write_bytes(deb.read_bytes()[:-200])
    with pytest.raises(DebError):
        list(read_deb(deb, lambda p: True))


def test_fetch_deb_uses_the_cache_without_apt(tmp_path, monkeypatch):
    put_in_cache(tmp_path, "demo", make_deb(tmp_path / "demo_1_all.deb", "demo", "1", {}))
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert fetch_deb("demo", tmp_path).name == "demo_1_all.deb"
    with pytest.raises(DebError, match="apt-get not found"):
        fetch_deb("other", tmp_path)


@pytest.mark.parametrize("name", ["debian-handbook", "debian-reference-en", "debian-reference-fr"])
def test_reserved_packages_are_refused(name, tmp_path):
    with pytest.raises(DebError, match="reserved"):
        check_not_reserved(name)
    with pytest.raises(DebError, match="reserved"):
        fetch_deb(name, tmp_path)
    with pytest.raises(DebError, match="reserved"):
        DocSource("x", (f"manpages|{name}",), "html", ("*.html",))


def test_default_sources_avoid_the_reserved_packages():
    names = [p for s in DOC_SOURCES for entry in s.packages for p in alternatives(entry)]
    assert names and not any(n.startswith(("debian-handbook", "debian-reference")) for n in names)


def test_source_patterns():
    src = DOC_SOURCES[[s.name for s in DOC_SOURCES].index("rust-doc")]
    assert src.wants("usr/share/doc/rust-doc/html/book/ch01-00-getting-started.html")
    assert not src.wants("usr/share/doc/rust-doc/html/core/core_arch/x86/fn._mm_add_ps.html")
    assert not src.wants("usr/share/doc/rust-doc/html/src/core/lib.rs.html")


# ------------------------------------------------------------------ clean.py, dedup.py


@pytest.mark.parametrize("text,keep", [
    ("The open() function returns a file object, which you can read from and write to.", True),
    ("This option tells grep to print the line number of each match it finds.", True),
    ("int fd = open(path, O_RDONLY); if (fd < 0) { return -1; }", False),
    ("Le système de fichiers est monté au démarrage et il est utilisé par le noyau.", False),
    ("Если файл не существует, то команда вернёт ошибку и завершится сразу.", False),
    ("O servidor usa a diretiva para definir o endereço e a porta em que vai escutar as conexões.", False),
    ("Die Datei wird beim Start gelesen und ist danach nicht mehr zu ändern, wenn der Server läuft.", False),
    ("The de facto standard is a file that the server reads at start, as the manual explains.", True),
    ("See also the manual page for more.", False),  # boilerplate
    ("Too short.", False),
    ("The value of the option that is set by the user when it has been read", False),  # no sentence end
    ("foo_bar baz_qux a.b.c x_y then_this get_value() set_value() for the end.", False),
])
def test_is_prose(text, keep):
    assert is_prose(normalize(text)) is keep


def test_prose_paragraphs_normalizes():
    assert prose_paragraphs(["  The  device\u00a0driver is loaded when the\tkernel boots up again.  ", "x"]) == [
        "The device driver is loaded when the kernel boots up again."]


def test_exact_duplicates_ignore_case_and_spacing():
    exact = ExactDuplicates()
    assert exact.new(["One paragraph here.", "one  paragraph here!", "Another one."]) == [
        "One paragraph here.", "Another one."]
    assert exact.new(["Another one.", "New."]) == ["New."]
    assert paragraph_key("A b.") == paragraph_key("a B") != paragraph_key("a c")


def test_near_duplicates():
    rng = random.Random(0)
    text = prose(rng, 8)
    near = NearDuplicates()
    assert near.new(text)
    assert not near.new(text.replace("lock", "latch", 1))  # one word changed
    assert near.new(prose(rng, 8))


# ------------------------------------------------------------------ the whole build


def _demo_sources(cache: Path, tmp_path: Path) -> list[DocSource]:
    rng = random.Random(7)
    pages = {f"usr/share/doc/demo-doc/html/page{i}.html": html_page(f"Page {i}", [prose(rng, 3), prose(rng, 3)])
             for i in range(40)}
    pages["usr/share/doc/demo-doc/html/copy.html"] = pages["usr/share/doc/demo-doc/html/page0.html"]
    pages["usr/share/doc/demo-doc/html/skip/x.html"] = html_page("Skip", [prose(rng, 6)])
    put_in_cache(cache, "demo-doc", make_deb(tmp_path / "demo-doc_1_all.deb", "demo-doc", "1", pages))
    return [DocSource("demo", ("demo-doc",), "html", ("usr/share/doc/demo-doc/html/*.html",), ("*/skip/*",)),
            DocSource("missing", ("no-such-doc-package",), "html", ("*.html",))]


def _build(out, sources, cache):
    return doc_corpus.build_doc_corpus(out, sources=sources, cache_dir=cache, progress=False)


def test_build_doc_corpus_end_to_end(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    sources = _demo_sources(cache, tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no apt-get: the missing package fails alone
    first = _build(tmp_path / "a", sources, cache)
    demo, missing = first.sources
    assert "no-such-doc-package" in missing.error and not demo.error
    assert demo.files == 41 and demo.packages[0]["version"] == "1" and not demo.cached
    records = {split: [json.loads(l) for l in open(first.files[split], encoding="utf-8")]
               for split in ("train", "heldout")}
    train_docs = {r["doc_id"] for r in records["train"]}
    heldout_docs = {r["doc_id"] for r in records["heldout"]}
    assert train_docs and not train_docs & heldout_docs
    texts = [r["text"] for rs in records.values() for r in rs]
    assert len(texts) == len(set(texts)) and not any("int main" in t or "Page" in t for t in texts)
    assert all(60 <= len(t.split()) <= 200 for t in texts)
    docs = {d.rsplit("/", 1)[-1].split("#")[0] for d in train_docs | heldout_docs}
    assert "x.html" not in docs  # excluded by the source's pattern
    assert len({"copy.html", "page0.html"} & docs) == 1  # the same page twice: the first read stays
    assert first.totals["tokens_train"] > first.totals["words_train"] > 0
    cached = doc_corpus.cached_passages(cache)  # same packing and split, duplicates kept
    for split in ("train", "heldout"):
        assert {r["text"] for r in records[split]} <= set(cached[split])
    assert sum(map(len, cached.values())) > len(texts)  # copy.html's passages are still there

    second = _build(tmp_path / "b", sources, cache)  # from the cached conversion: same bytes
    assert second.sources[0].cached and second.sources[0].files == 41
    for name in first.files:
        assert first.files[name].read_bytes() == second.files[name].read_bytes()
    assert first.totals["qa_train"] == len(first.files["qa_train"].read_text().splitlines())
    card = json.loads(first.files["card"].read_text())
    assert card["sources"][0]["packages"][0]["licenses"] == ["GPL-2+", "CC-BY-4.0"]
    assert card["totals"] == first.totals


def test_build_doc_corpus_rebuilds_a_damaged_cache(tmp_path):
    cache = tmp_path / "cache"
    sources = _demo_sources(cache, tmp_path)[:1]
    first = _build(tmp_path / "a", sources, cache)
    (cached,) = (cache / "converted").glob("demo-*.jsonl.gz")
    cached.write_bytes(gzip.compress(b'{"files": 41}\n{"doc_id": "x", "par')[:-5])
    again = _build(tmp_path / "b", sources, cache)
    assert not again.sources[0].cached
    assert again.files["train"].read_bytes() == first.files["train"].read_bytes()


def test_cache_digest_follows_only_the_formats_own_converters(monkeypatch):
    from gmsa_rag.training.corpora.doc_spec import FORMATS

    assert set(doc_corpus._FORMAT_MODULES) == set(FORMATS)
    before = {fmt: doc_corpus._code_digest(fmt) for fmt in FORMATS}
    assert len(set(before.values())) == len(FORMATS)
    real = doc_corpus.inspect.getsource

    def edited(obj):  # as if formats/dictd.py had been edited
        return real(obj) + ("# edit" if getattr(obj, "__name__", "").endswith(".dictd") else "")

    monkeypatch.setattr(doc_corpus.inspect, "getsource", edited)
    after = {fmt: doc_corpus._code_digest(fmt) for fmt in FORMATS}
    assert [fmt for fmt in FORMATS if after[fmt] != before[fmt]] == ["dictd"]


def test_unknown_source_name(tmp_path):
    from gmsa_rag.errors import InputError

    with pytest.raises(InputError, match="unknown source"):
        _build(tmp_path, ["no-such-source"], tmp_path)


# ------------------------------------------------------------------ the CLI


def test_cli_data_build_and_tokenize(tmp_path, monkeypatch, capsys):
    from gmsa_rag.cli import main
    from gmsa_rag.training.token_file import read_token_file

    rng = random.Random(3)
    pages = {f"usr/share/doc/gnu-standards/p{i}.html": html_page(f"P{i}", [prose(rng, 4), prose(rng, 4)])
             for i in range(30)}
    cache = tmp_path / "cache"
    put_in_cache(cache, "gnu-standards", make_deb(tmp_path / "gnu-standards_1_all.deb", "gnu-standards", "1", pages))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # bash-doc is not cached and cannot be fetched
    out = tmp_path / "data"
    code = main(["data", "build", "--out", str(out), "--sources", "gnu-standards,bash-doc", "--no-wiki-news",
                 "--cache", str(cache), "--quiet", "--json"])
    captured = capsys.readouterr()
    assert code == 1 and "error: source bash-doc" in captured.err  # the other source still built
    result = json.loads(captured.out)
    assert result["totals"]["passages_train"] > 0 and result["sources"][1]["error"]
    assert main(["data", "tokenize", str(out / "docs_train.jsonl"), "--out", str(out / "t.tok"), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["texts"] == result["totals"]["passages_train"]
    assert stats["tokens"] == result["totals"]["tokens_train"] == read_token_file(out / "t.tok").n_tokens
