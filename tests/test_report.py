"""`gmsa-rag bench report` end to end on tiny data with the tiny model: files, rows, the cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from safetensors.torch import save_file

import gmsa_rag
from gmsa_rag.cli import main
from gmsa_rag.errors import InputError
from gmsa_rag.evaluation import report as report_module
from gmsa_rag.evaluation.report import (
    PartCache, ReportSettings, code_sha256, content_key, qa_cells, run_report,
)
from gmsa_rag.evaluation.report_render import markdown_table
from tiny import DOCS, tiny_model

QUESTIONS = [
    {"id": "q1", "question": "What is the capital of Germany?", "answers": ["Berlin"], "doc_id": "berlin"},
    {"id": "q2", "question": "Which river is in Paris?", "answers": ["the Seine", "Seine"], "doc_id": "paris"},
    {"id": "q3", "question": "What is the capital of Italy?", "answers": ["Rome"], "doc_id": "rome"},
]
QA_PARTS = ["qa-closed", "qa-gmsa4-retrieved", "qa-gmsa8-retrieved", "qa-full-retrieved",
            "qa-gmsa4-oracle", "qa-gmsa8-oracle", "qa-full-oracle"]


@pytest.fixture
def data(tmp_path):
    questions, docs = tmp_path / "q.jsonl", tmp_path / "docs.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    docs.write_text("".join(json.dumps({"doc_id": name.removesuffix(".txt"), "text": text}) + "\n" for name, text in DOCS.items()))
    return questions, docs


@pytest.fixture
def cli(tmp_path, data, embedder, monkeypatch, capsys):
    """Run `gmsa-rag bench report` on the tiny data and model; returns (exit code, stdout)."""
    monkeypatch.setattr("gmsa_rag.retrieval.Embedder.load", classmethod(lambda cls, name="x", device=None: embedder))
    monkeypatch.setattr("gmsa_rag.cli._load_model", lambda args: tiny_model())
    questions, docs = data

    def run(*extra: str) -> tuple[int, str]:
        argv = ["bench", "report", "--out", str(tmp_path / "out"), "--root", str(tmp_path / "indexes"),
                "--questions", str(questions), "--docs", str(docs), "--context-tokens", "8,16",
                "--latency-repeats", "1", "--answer-tokens", "2", "--max-new-tokens", "2", "--top-k", "1", "--quiet", *extra]
        code = main(argv)
        return code, capsys.readouterr().out

    return run


def test_qa_cells_cover_every_mode_rate_and_context():
    assert [c.name for c in qa_cells((4, 8))] == QA_PARTS


def test_report_writes_every_file_with_the_expected_rows(cli, tmp_path):
    code, out = cli()
    assert code == 0 and "0 of 9 parts from cache" in out
    folder = tmp_path / "out"
    for name in ("report.md", "report.json", "accuracy_vs_rate.png", "latency_vs_context.png"):
        assert (folder / name).stat().st_size > 0
    for png in ("accuracy_vs_rate.png", "latency_vs_context.png"):
        assert (folder / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    data = json.loads((folder / "report.json").read_text())
    qa = {(r["mode"], r["rate"], r["context"]): r for r in data["qa"]}
    assert set(qa) == {("closed", None, "retrieved"), *((m, r, c) for c in ("oracle", "retrieved")
                       for m, r in (("full", None), ("gmsa", 4), ("gmsa", 8)))}
    assert all(r["n"] == 3 and 0 <= r["em"] <= r["accuracy"] <= 1 for r in data["qa"])
    assert qa[("gmsa", 4, "retrieved")]["recall_at_k"] is not None and qa[("gmsa", 4, "oracle")]["recall_at_k"] is None
    assert [(r["mode"], r["rate"]) for r in data["latency"]["rows"]] == 2 * [
        ("full", None), ("gmsa cold", 4), ("gmsa warm", 4), ("gmsa cold", 8), ("gmsa warm", 8)]
    assert [s["rate"] for s in data["store"]] == [4, 8] and data["store"][0]["stored_bytes"] > 0
    run = data["run"]
    assert run["n_questions"] == 3 and run["n_docs"] == 3 and len(run["fingerprint"]) == 32
    assert run["command"].startswith("gmsa-rag bench report --out") and run["precision"] == "fp32"
    assert data["machine"]["cpu_cores"] >= 1 and data["machine"]["torch"]
    assert "(bf16 units: " in data["machine"]["cpu"]  # part of every cell's key: "AMD EPYC" comes with and without

    md = (folder / "report.md").read_text()
    for row in ("| closed-book | - | 3 |", "| GMSA 4x | oracle | 3 |", "| GMSA 8x | retrieved | 3 |",
                "| full text | retrieved | 3 |", "| GMSA warm 8x |", "| 4x |", "![F1 and accuracy vs rate](accuracy_vs_rate.png)"):
        assert row in md, row
    assert run["fingerprint"] in md and "torch " in md
    assert "llama.cpp peer skipped" in data["llama_cpp"]  # the tiny backbone has no GGUF (or the extra is missing)
    assert "## llama.cpp peer\n\nllama.cpp peer skipped" in md
    lines = md.splitlines()
    bound = next(line for line in lines if "prefill bound s" in line).split("|").index(" prefill bound s ")
    gmsa_rows = [line.split("|") for line in lines if line.startswith(("| GMSA warm", "| GMSA cold"))]
    assert gmsa_rows and all(float(cells[bound]) > 0 for cells in gmsa_rows)  # the compressed-prefill limit


def test_rerun_reuses_cached_parts_and_recomputes_what_changed(cli, tmp_path, monkeypatch):
    assert cli()[0] == 0
    first = json.loads((tmp_path / "out" / "report.json").read_text())

    evaluate_qa = report_module.evaluate_qa

    def refuse(*args, **kwargs):
        raise AssertionError("a cached part was recomputed")

    monkeypatch.setattr(report_module, "evaluate_qa", refuse)
    monkeypatch.setattr(report_module, "bench_latency", refuse)
    code, out = cli()
    assert code == 0 and "8 of 9 parts from cache" in out  # the store bench is always measured
    second = json.loads((tmp_path / "out" / "report.json").read_text())
    assert second["qa"] == first["qa"] and second["latency"] == first["latency"]
    assert [t["cached"] for t in second["timings"]] == [False] + [True] * 8  # store, latency, 7 QA cells
    assert [t["seconds"] for t in second["timings"][1:]] == [t["seconds"] for t in first["timings"][1:]]  # compute times kept

    # other questions (--limit) change the data hash: QA runs again, latency does not
    with pytest.raises(AssertionError, match="recomputed"):
        cli("--limit", "2")
    monkeypatch.setattr(report_module, "evaluate_qa", evaluate_qa)
    code, out = cli("--limit", "2")
    assert code == 0 and "1 of 9 parts from cache" in out  # the latency bench
    assert all(r["n"] == 2 for r in json.loads((tmp_path / "out" / "report.json").read_text())["qa"])
    with pytest.raises(AssertionError, match="recomputed"):  # --fresh ignores the cache
        cli("--limit", "2", "--fresh")


def test_a_newly_trained_model_reruns_only_what_its_weights_change(cli, tmp_path, monkeypatch):
    """Full text and closed-book are answered by the plain backbone: a model with other trained
    weights on the same backbone reuses them and reruns the GMSA cells and the latency part."""
    assert cli()[0] == 0
    first = json.loads((tmp_path / "out" / "report.json").read_text())
    retrained = tiny_model()
    weights = {k: v.clone() for k, v in retrained.trained_state_dict().items()}
    name = next(k for k in weights if k.startswith("aligner."))
    weights[name] += 0.05
    save_file(weights, str(tmp_path / "retrained.safetensors"))
    retrained.load_trained(tmp_path / "retrained.safetensors")
    assert retrained.fingerprint() != tiny_model().fingerprint()
    monkeypatch.setattr("gmsa_rag.cli._load_model", lambda args: retrained)

    code, out = cli()
    assert code == 0 and "3 of 9 parts from cache" in out
    second = json.loads((tmp_path / "out" / "report.json").read_text())
    cached = {t["part"]: t["cached"] for t in second["timings"]}
    assert [p for p in QA_PARTS if cached[p]] == ["qa-closed", "qa-full-retrieved", "qa-full-oracle"]
    assert not cached["latency"] and second["run"]["fingerprint"] == retrained.fingerprint()
    base = [r for r in first["qa"] if r["mode"] != "gmsa"]
    assert [r for r in second["qa"] if r["mode"] != "gmsa"] == base

    base_fields = {"fingerprint": "f", "precision": "fp32"}  # ... but follow the backbone's checksum
    keys = {content_key(report_module._base_model_fields(base_fields, m.config)) for m in (tiny_model(), retrained)}
    assert len(keys) == 1 and keys != {content_key(report_module._base_model_fields(base_fields, tiny_model(seed=1).config))}


def test_part_cache_keys_on_content(tmp_path):
    cache = PartCache(tmp_path)
    key = content_key({"fingerprint": "a", "rate": 4})
    assert key == content_key({"rate": 4, "fingerprint": "a"}) != content_key({"fingerprint": "b", "rate": 4})
    cache.put("part", key, {"rate": 4}, {"f1": 0.5})
    assert cache.get("part", key)["result"] == {"f1": 0.5}
    assert cache.get("part", content_key({"fingerprint": "b"})) is None
    assert PartCache(tmp_path, fresh=True).get("part", key) is None
    (tmp_path / "part.json").write_text("{not json")
    assert cache.get("part", key) is None


def test_cache_key_follows_the_measuring_code(tmp_path):
    package = Path(gmsa_rag.__file__).parent
    copy = tmp_path / "gmsa_rag"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("default_model", "data", "__pycache__"))
    before = code_sha256(copy)
    assert before == code_sha256(package)
    (copy / "evaluation" / "report_render.py").write_text("# rendering only\n")
    (copy / "cli.py").write_text("# a thin CLI\n")
    assert code_sha256(copy) == before
    with (copy / "evaluation" / "metrics.py").open("a") as handle:
        handle.write("\n# changed\n")
    assert code_sha256(copy) != before


def test_bad_settings_are_refused(tmp_path, data):
    questions, docs = data
    with pytest.raises(InputError, match="not found"):
        run_report(tiny_model(), tmp_path / "out", ReportSettings(questions=tmp_path / "nope.jsonl", docs=docs))
    with pytest.raises(InputError, match="limit"):
        run_report(tiny_model(), tmp_path / "out", ReportSettings(questions=questions, docs=docs, limit=0))


def test_markdown_table():
    assert markdown_table(["a", "b"], [(1, "x"), (2.5, None)]) == "| a | b |\n|---|---|\n| 1 | x |\n| 2.5 | None |"


def test_peer_section_puts_llama_cpp_beside_gmsa_warm_at_the_same_size():
    from types import SimpleNamespace

    from gmsa_rag.evaluation.bench import LatencyBench, LatencyRow
    from gmsa_rag.evaluation.llama_peer import PeerRow
    from gmsa_rag.evaluation.report_render import peer_section

    warm = [LatencyRow(mode="gmsa warm", rate=r, context_tokens=2048, soft_tokens=512 // r,
                       time_to_first_token_s=0.1 * r, total_s=r) for r in (4, 8)]
    latency = LatencyBench(answer_tokens=32, repeats=3, rows=[LatencyRow(mode="full", rate=None, context_tokens=2048,
                                                                         soft_tokens=0, total_s=9.0), *warm])
    peer = [PeerRow(context_tokens=2048, prompt_tokens=2080, time_to_first_token_s=1.25, decode_tokens_per_s=99.0, total_s=1.6),
            PeerRow(context_tokens=512, prompt_tokens=540, time_to_first_token_s=0.25, decode_tokens_per_s=120.0, total_s=0.5)]
    md = peer_section(SimpleNamespace(peer=peer, latency=latency))
    assert "| GMSA 4x warm TTFT s | GMSA 8x warm TTFT s | GMSA 4x warm total s | GMSA 8x warm total s |" in md
    assert "| 2048 | 2080 | 1.250 | 99.0 | 1.600 | 0.400 | 0.800 | 4.000 | 8.000 |" in md
    assert "| 512 | 540 | 0.250 | 120.0 | 0.500 | - | - | - | - |" in md  # no GMSA row at that size
    assert "not importable" in peer_section(SimpleNamespace(peer="llama.cpp peer skipped: not importable", latency=latency))
