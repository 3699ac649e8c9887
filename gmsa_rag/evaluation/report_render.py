"""Writing a :class:`~gmsa_rag.evaluation.report.Report`: ``report.md``, ``report.json``, plots.

Plots use matplotlib's Agg backend (no display needed): ``pip install 'gmsa_rag[bench]'``.

* ``accuracy_vs_rate.png``: F1 and accuracy of GMSA against the compression rate, oracle and
  retrieved contexts, with the full-text (per context) and closed-book figures as lines;
* ``latency_vs_context.png``: time to first token and end-to-end time against the context
  length, one line per mode.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from gmsa_rag.errors import InputError
from gmsa_rag.evaluation.bench import LatencyRow

REPORT_MD = "report.md"
REPORT_JSON = "report.json"
ACCURACY_PNG = "accuracy_vs_rate.png"
LATENCY_PNG = "latency_vs_context.png"


def write_report(report, out_dir: str | Path) -> dict[str, Path]:
    """Write every report file into ``out_dir``; returns their paths by name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in (REPORT_JSON, REPORT_MD, ACCURACY_PNG, LATENCY_PNG)}
    _write_text(paths[REPORT_JSON], json.dumps(report.to_dict(), indent=1))
    plot_accuracy_vs_rate(report.qa, paths[ACCURACY_PNG])
    plot_latency_vs_context(report.latency.rows, paths[LATENCY_PNG])
    _write_text(paths[REPORT_MD], render_markdown(report))
    return paths


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# ---------------------------------------------------------------- Markdown


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub Markdown table; cells are written with ``str``."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def mode_label(mode: str, rate: int | None) -> str:
    """``closed-book``, ``full text``, ``GMSA 4x``; latency modes keep their cold/warm suffix."""
    if mode == "closed":
        return "closed-book"
    if mode == "full":
        return "full text"
    return f"GMSA{mode[4:]} {rate}x"


def setup_section(report) -> str:
    run, m = report.run, report.machine
    s = run.settings
    machine = f"{m.cpu}, {m.cpu_cores} cores (torch threads: {m.torch_threads}), device {m.device}"
    if m.gpu:
        machine += f" ({m.gpu})"
    rows = [
        ("date", run.date),
        ("command", f"`{run.command}`" if run.command else "-"),
        ("model", f"{run.model or '-'} (fingerprint `{run.fingerprint}`), backbone {run.backbone}, rates {run.rates}"),
        ("machine", machine),
        ("software", f"torch {m.torch}, Python {m.python}, {m.platform}"),
        ("precision", run.precision),
        ("questions", f"{run.questions}: {run.n_questions} (sha256 `{run.questions_sha256[:16]}`)"),
        ("documents", f"{run.docs}: {run.n_docs} (sha256 `{run.docs_sha256[:16]}`)"),
        ("settings", f"top-k {s['top_k']}, at most {s['max_new_tokens']} answer tokens (QA), "
                     f"{s['answer_tokens']} answer tokens and {s['latency_repeats']} repeats (latency)"),
    ]
    return "## Setup\n\n" + markdown_table(["", ""], rows)


def qa_section(report) -> str:
    top_k = report.run.settings["top_k"]
    rows = [
        (mode_label(r.mode, r.rate), "-" if r.mode == "closed" else r.context, r.n, _f(r.em), _f(r.f1),
         _f(r.accuracy), _f(r.recall_at_k), f"{r.latency_ms['median']:.0f}", f"{r.latency_ms['p90']:.0f}")
        for r in report.qa
    ]
    headers = ["mode", "context", "n", "EM", "F1", "accuracy", f"recall@{top_k}", "latency median ms", "p90 ms"]
    return (
        "## Question answering\n\n"
        "EM and F1 with SQuAD normalisation; accuracy: a gold answer appears in the prediction. "
        f"Context `oracle`: the top-{top_k} chunks of the question's own document; `retrieved`: the top-{top_k} "
        "chunks of the whole collection (recall: the gold document is among them). Latency: one question, "
        "end to end.\n\n" + markdown_table(headers, rows) + f"\n\n![F1 and accuracy vs rate]({ACCURACY_PNG})"
    )


def latency_section(report) -> str:
    bench = report.latency
    rows = [
        (mode_label(r.mode, r.rate), r.context_tokens, r.soft_tokens or "-", _f(r.time_to_first_token_s),
         _f(r.total_s), _f(r.compress_s), _f(r.prefill_s), _f(r.prefill_bound_s) if r.prefill_bound_s else "-",
         _f(r.decode_s), _f(r.ttft_speedup_vs_full, 2), _f(r.total_speedup_vs_full, 2))
        for r in bench.rows
    ]
    headers = ["mode", "text tokens", "soft tokens", "TTFT s", "total s", "compress s", "prefill s",
               "prefill bound s", "decode s", "TTFT x", "e2e x"]
    return (
        "## Latency\n\n"
        f"One question over the top-k chunks worth about the given number of text tokens; {bench.answer_tokens} "
        f"answer tokens (EOS ignored), medians of {bench.repeats} interleaved runs. Cold: the chunks are "
        "compressed now; warm: their soft tokens come from the store. `prefill bound`: a bare decoder "
        "prefill of as many positions as GMSA feeds it (soft tokens, separators and the prompt), the limit "
        "GMSA's time to first token approaches. `x`: speed-up over full text.\n\n"
        + markdown_table(headers, rows) + f"\n\n![latency vs context]({LATENCY_PNG})"
    )


def peer_section(report) -> str:
    """llama.cpp reading the same retrieved text, beside GMSA warm at the same sizes."""
    if isinstance(report.peer, str):
        return "## llama.cpp peer\n\n" + (report.peer or "Not run.")
    gmsa = {(r.rate, r.context_tokens): r for r in report.latency.rows if r.mode == "gmsa warm"}
    rates = sorted({rate for rate, _ in gmsa})
    rows = []
    for p in report.peer:
        warm = [gmsa.get((rate, p.context_tokens)) for rate in rates]
        rows.append((p.context_tokens, p.prompt_tokens, _f(p.time_to_first_token_s), f"{p.decode_tokens_per_s:.1f}",
                     _f(p.total_s), *(_f(w.time_to_first_token_s) if w else "-" for w in warm),
                     *(_f(w.total_s) if w else "-" for w in warm)))
    headers = ["text tokens", "prompt tokens", "TTFT s", "decode tokens/s", "total s",
               *(f"GMSA {r}x warm TTFT s" for r in rates), *(f"GMSA {r}x warm total s" for r in rates)]
    return (
        "## llama.cpp peer\n\n"
        "What a CPU user would run instead: llama.cpp (llama-cpp-python) serving the backbone's GGUF as "
        f"shipped, reading the full-text prompt of the latency part (same chunks, same template), "
        f"{report.latency.answer_tokens} greedy tokens, medians of {report.latency.repeats}, the same threads.\n\n"
        + markdown_table(headers, rows)
    )


def store_section(report) -> str:
    rows = [
        (f"{s.rate}x", s.text_tokens, f"{s.stored_bytes:,}", f"{s.bytes_per_1k_text_tokens:,.0f}",
         f"{s.kv_cache_bytes_per_1k_text_tokens:,.0f}", f"{s.ratio_vs_kv:.0f}x")
        for s in report.store
    ]
    headers = ["rate", "text tokens", "stored bytes", "bytes / 1k tokens", "KV cache bytes / 1k tokens", "less than KV"]
    return "## Storage\n\nSoft tokens as written to the store (fp16 + header) vs. the fp16 KV cache.\n\n" + markdown_table(headers, rows)


def timings_section(report) -> str:
    rows = [(t.part, f"{t.seconds:.1f}", "yes" if t.cached else "no") for t in report.timings]
    return ("## Run\n\nCompute time of each part; parts from the cache were computed by an earlier run.\n\n"
            + markdown_table(["part", "seconds", "from cache"], rows))


def render_markdown(report) -> str:
    """The whole ``report.md``."""
    sections = [setup_section(report), qa_section(report), latency_section(report), peer_section(report),
                store_section(report), timings_section(report)]
    return "# GMSA benchmark report\n\n" + "\n\n".join(sections) + "\n"


# ---------------------------------------------------------------- plots


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise InputError("the report's plots need matplotlib: pip install 'gmsa_rag[bench]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_accuracy_vs_rate(results, path: Path) -> None:
    """F1 and accuracy of GMSA vs. rate per context, with full-text and closed-book lines."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    contexts = [c for c in ("oracle", "retrieved") if any(r.context == c and r.mode != "closed" for r in results)]
    closed = next((r for r in results if r.mode == "closed"), None)
    for ax, metric in zip(axes, ("f1", "accuracy")):
        # oracle and retrieved differ in colour and line style, so equal values stay visible
        for (color, style, full_style), context in zip((("C0", "o-", "--"), ("C1", "s:", "-.")), contexts):
            gmsa = sorted((r for r in results if r.mode == "gmsa" and r.context == context), key=lambda r: r.rate)
            ax.plot([r.rate for r in gmsa], [getattr(r, metric) for r in gmsa], style, color=color, label=f"GMSA, {context}")
            for r in results:
                if r.mode == "full" and r.context == context:
                    ax.axhline(getattr(r, metric), color=color, linestyle=full_style, label=f"full text, {context}")
        if closed is not None:
            ax.axhline(getattr(closed, metric), color="grey", linestyle=":", label="closed-book")
        rates = sorted({r.rate for r in results if r.mode == "gmsa"})
        ax.set_xticks(rates)
        ax.margins(x=0.15)
        ax.set_xlabel("compression rate")
        ax.set_title("F1" if metric == "f1" else "accuracy")
        top = max((getattr(r, m) for r in results for m in ("f1", "accuracy")), default=0.0)
        ax.set_ylim(0, min(1.0, max(0.1, 1.15 * top)))  # scores are fractions; leave room above the best
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_latency_vs_context(rows: Sequence[LatencyRow], path: Path) -> None:
    """Time to first token and end-to-end time vs. context length, one line per mode and rate."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    series: dict[str, list[LatencyRow]] = {}
    for row in rows:
        series.setdefault(mode_label(row.mode, row.rate), []).append(row)
    for ax, attr, title in zip(axes, ("time_to_first_token_s", "total_s"), ("time to first token", "end to end")):
        for label, points in series.items():
            points = sorted(points, key=lambda r: r.context_tokens)
            ax.plot([r.context_tokens for r in points], [getattr(r, attr) for r in points], "o-", label=label)
        ax.set_xlabel("context (text tokens)")
        ax.set_ylabel("seconds")
        ax.set_title(title)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
