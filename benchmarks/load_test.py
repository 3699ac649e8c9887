"""Load benchmark of the chat app: N concurrent sessions x M questions about the sample collection.

Against a running server (``--url``; give ``--pid`` to read its memory)::

    python benchmarks/load_test.py --url http://127.0.0.1:7860/ --pid 12345

or starting one (``gmsa-rag app`` in a child process, the bundled sample collection under
``--root``; the first start indexes it)::

    python benchmarks/load_test.py --model default --clients 8 --questions 10 --json

A started server is measured twice in one run: batched (``--max-batch``, the app's default)
and one answer at a time (``--baseline-batch 1``; 0 skips it), on the same index and
soft-token cache. Prints, for each: throughput (answers/s over the run's wall time), latency
median/p90/p99/max (submit to final streamed output, answered requests only), refused (queue
full), errors, the server's RSS before/after; then ``speedup`` (throughput ratio),
``p90_ratio`` (batched p90 over one-at-a-time p90) and how many answers were the same text in
both runs (greedy decoding: all of them should be). The client code is :mod:`app.loadgen`,
the same as the CI test.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.loadgen import (  # noqa: E402
    ANSWERED, LoadPlan, LoadReport, ServerProcess, ask_once, child_env, free_port, process_rss, run_load,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running app (default: start one)")
    parser.add_argument("--pid", type=int, help="the running app's process id, to read its memory")
    parser.add_argument("--model", default="default", help="model of the started server (gmsa-rag app --model)")
    parser.add_argument("--root", help="indexes folder of the started server (default: a temporary one)")
    parser.add_argument("--precision", default="auto", help="the started server's precision (gmsa-rag app --precision)")
    parser.add_argument("--queue-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--questions", type=int, default=10, help="questions per client")
    parser.add_argument("--rate", type=int, default=4)
    parser.add_argument("--top-k", type=int, default=2)
    parser.add_argument("--deadline", type=float, default=1800.0, help="seconds for the whole run")
    parser.add_argument("--max-batch", type=int, default=8, help="the started server's batch (gmsa-rag app --max-batch)")
    parser.add_argument("--baseline-batch", type=int, default=1,
                        help="then measure a server with this batch (1: one at a time; 0: skip)")
    parser.add_argument("--json", action="store_true", help="print JSON (summary and every request)")
    return parser.parse_args(argv)


def start_server(args: argparse.Namespace, root: Path, max_batch: int) -> ServerProcess:
    """``gmsa-rag app`` on a free loopback port, its log next to the indexes."""
    port = free_port()
    argv = [sys.executable, "-m", "gmsa_rag.cli", "app", "--model", args.model, "--port", str(port),
            "--root", str(root), "--queue-size", str(args.queue_size), "--max-new-tokens", str(args.max_new_tokens),
            "--max-batch", str(max_batch), "--precision", args.precision]
    print(f"starting: {' '.join(argv[1:])}", file=sys.stderr, flush=True)
    log = root / f"server-batch{max_batch}.log"
    return ServerProcess(argv, f"http://127.0.0.1:{port}/", log, child_env()).start(timeout_s=1800)


def measure(args: argparse.Namespace, url: str, pid: int | None) -> LoadReport:
    """Warm up with one question, then the load run, reading the server's RSS around it."""
    warm = ask_once(url, "What does ASCII stand for?", timeout_s=600)
    if warm.outcome != ANSWERED:
        raise SystemExit(f"warm-up question failed: {warm}")
    before = process_rss(pid) if pid else None
    plan = LoadPlan(url, args.clients, args.questions, deadline_s=args.deadline, rate=args.rate, top_k=args.top_k)
    report = run_load(plan)
    report.rss_before_bytes, report.rss_after_bytes = before, process_rss(pid) if pid else None
    return report


def _ratio(x: float | None, y: float | None) -> float | None:
    return round(x / y, 3) if x and y else None


def compare(batched: LoadReport, single: LoadReport) -> dict:
    """Throughput and p90 ratios of the two runs, and how many answers were the same text."""
    b, o = batched.summary(), single.summary()
    answers = {(r.client, r.number): r.answer for r in single.results if r.outcome == ANSWERED}
    pairs = [(r.answer, answers[(r.client, r.number)]) for r in batched.results
             if r.outcome == ANSWERED and (r.client, r.number) in answers]
    return {
        "speedup": _ratio(b["throughput_answers_per_s"], o["throughput_answers_per_s"]),
        "p90_ratio": _ratio(b["latency_p90_s"], o["latency_p90_s"]),
        "answers_compared": len(pairs), "answers_same": sum(x == y for x, y in pairs),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs: dict[str, LoadReport] = {}
    if args.url:
        runs["server"] = measure(args, args.url, args.pid)
    else:
        batches = {"batched": args.max_batch} | ({"one_at_a_time": args.baseline_batch} if args.baseline_batch else {})
        with tempfile.TemporaryDirectory(prefix="gmsa-load-") as tmp:
            root = Path(args.root) if args.root else Path(tmp)
            for name, max_batch in batches.items():
                with start_server(args, root, max_batch) as server:
                    runs[name] = measure(args, server.url, server.pid)
    ratios = compare(runs["batched"], runs["one_at_a_time"]) if len(runs) == 2 else {}
    if args.json:
        print(json.dumps({"runs": {k: json.loads(r.to_json(with_requests=True)) for k, r in runs.items()}, **ratios},
                         indent=2))
    else:
        for name, report in runs.items():
            print(f"# {name}\n{report.table()}\n")
        for key, value in ratios.items():
            print(f"{key}  {value}")
    bad = [(name, r) for name, report in runs.items() for r in report.errors()]
    for name, r in bad[:10]:
        print(f"{name}: client {r.client} question {r.number + 1}: {r.outcome}: {r.error}", file=sys.stderr)
    return 0 if not bad and not any(r.unfinished_clients for r in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
