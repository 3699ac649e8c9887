"""Load benchmark of the chat app: N concurrent sessions x M questions about the sample collection.

Against a running server (``--url``; give ``--pid`` to read its memory)::

    python benchmarks/load_test.py --url http://127.0.0.1:7860/ --pid 12345

or starting one (``gmsa-rag app`` in a child process, the bundled sample collection under
``--root``; the first start indexes it)::

    python benchmarks/load_test.py --model default --clients 8 --questions 10 --json

Prints throughput (answers/s over the run's wall time), latency median/p90/p99/max (submit to
final streamed output, answered requests only), refused (queue full), errors, and the server's
RSS before/after the run. The client code is :mod:`app.loadgen`, the same as the CI test.
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--queue-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--questions", type=int, default=10, help="questions per client")
    parser.add_argument("--rate", type=int, default=4)
    parser.add_argument("--top-k", type=int, default=2)
    parser.add_argument("--deadline", type=float, default=1800.0, help="seconds for the whole run")
    parser.add_argument("--json", action="store_true", help="print JSON (summary and every request)")
    return parser.parse_args(argv)


def start_server(args: argparse.Namespace, root: Path) -> ServerProcess:
    """``gmsa-rag app`` on a free loopback port, its log next to the indexes."""
    port = free_port()
    argv = [sys.executable, "-m", "gmsa_rag.cli", "app", "--model", args.model, "--port", str(port),
            "--root", str(root), "--queue-size", str(args.queue_size), "--max-new-tokens", str(args.max_new_tokens)]
    print(f"starting: {' '.join(argv[1:])}", file=sys.stderr, flush=True)
    return ServerProcess(argv, f"http://127.0.0.1:{port}/", root / "server.log", child_env()).start(timeout_s=1800)


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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.url:
        report = measure(args, args.url, args.pid)
    else:
        with tempfile.TemporaryDirectory(prefix="gmsa-load-") as tmp:
            root = Path(args.root) if args.root else Path(tmp)
            with start_server(args, root) as server:
                report = measure(args, server.url, server.pid)
    print(report.to_json(with_requests=True) if args.json else report.table())
    for bad in report.errors()[:10]:
        print(f"client {bad.client} question {bad.number + 1}: {bad.outcome}: {bad.error}", file=sys.stderr)
    return 0 if not report.errors() and not report.unfinished_clients else 1


if __name__ == "__main__":
    sys.exit(main())
