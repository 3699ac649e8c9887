"""The app under load (issue #7): concurrent sessions against a real `gmsa-rag app` server process.

The server is the real CLI path with the tiny model (tests/app_server.py) on 127.0.0.1, in its
own process so its memory can be read. Clients are real ``gradio_client`` sessions in threads
(app/loadgen.py, shared with benchmarks/load_test.py). Everything is bounded by a global
deadline: a stuck server fails the test instead of hanging it. No assertion is on time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.loadgen import ANSWERED, REFUSED, LoadPlan, LoadReport, ServerProcess, ask_once, child_env, run_load
from app_server import free_port

pytest.importorskip("gradio_client")
pytest.importorskip("psutil")

DEADLINE_S = 180.0  # for one whole load run
MAX_RSS_GROWTH = 300_000_000  # bytes; generous: a leak per request or per session shows far above it
SERVER_SCRIPT = Path(__file__).with_name("app_server.py")


def start_server(tmp_path: Path, queue_size: int, max_batch: int = 8) -> ServerProcess:
    """The tiny-model app on a free port with its own collection (the sample, indexed at start)."""
    port = free_port()
    argv = [sys.executable, str(SERVER_SCRIPT), "--port", str(port), "--root", str(tmp_path / "indexes"),
            "--queue-size", str(queue_size), "--max-new-tokens", "6", "--max-batch", str(max_batch)]
    return ServerProcess(argv, f"http://127.0.0.1:{port}/", tmp_path / "server.log",
                         child_env(OMP_NUM_THREADS="1")).start(timeout_s=DEADLINE_S)


def assert_clean(report: LoadReport, server: ServerProcess) -> None:
    """Every request answered or refused with Gradio's queue-full error; every client finished."""
    problems = [f"{r.client}/{r.number} {r.outcome}: {r.error}" for r in report.errors()]
    assert not problems, f"{len(problems)} bad requests:\n" + "\n".join(problems[:10]) + "\n" + server.log_tail()
    assert report.unfinished_clients == 0
    assert len(report.results) == report.clients * report.per_client
    assert all(r.outcome in (ANSWERED, REFUSED) for r in report.results)
    assert all("Queue is full" in r.error for r in report.results if r.outcome == REFUSED)


def assert_still_answers(server: ServerProcess) -> None:
    """No crash: the process lives and a new session gets a proper answer."""
    assert server.alive(), server.log_tail()
    final = ask_once(server.url, "What does ASCII stand for?")
    assert final.outcome == ANSWERED, f"{final}\n{server.log_tail()}"


def test_eight_sessions_ten_questions_each(tmp_path):
    """8 clients x 10 questions with room in the queue: all answered, no leakage, bounded memory."""
    server = start_server(tmp_path, queue_size=16)
    try:
        assert ask_once(server.url, "warm up: what is ascii ?").outcome == ANSWERED
        rss_before = server.rss_bytes()
        report = run_load(LoadPlan(server.url, clients=8, per_client=10, deadline_s=DEADLINE_S))
        report.rss_before_bytes, report.rss_after_bytes = rss_before, server.rss_bytes()
        print("\n" + report.table())

        assert_clean(report, server)
        # at most 8 requests wait at once (one per client), under the queue's 16: none refused;
        # check_answer in each client saw its own questions only, sources and a finished answer
        assert report.count(ANSWERED) == 80 and report.count(REFUSED) == 0
        growth = report.rss_after_bytes - report.rss_before_bytes
        assert growth < MAX_RSS_GROWTH, f"server RSS grew {growth / 1e6:.0f} MB over 80 answers"
        assert_still_answers(server)
    finally:
        server.stop()


def test_a_full_queue_refuses_cleanly_and_keeps_serving(tmp_path):
    """Queue of 1, 8 clients firing at once at a one-at-a-time server: some refused with 'queue
    full', the rest answered. (A batched server runs up to --max-batch answers at once, so
    its queue only fills beyond that.)"""
    server = start_server(tmp_path, queue_size=1, max_batch=1)
    try:
        assert ask_once(server.url, "warm up: what is ascii ?").outcome == ANSWERED
        report = run_load(LoadPlan(server.url, clients=8, per_client=3, deadline_s=DEADLINE_S))
        print("\n" + report.table())

        assert_clean(report, server)
        assert report.count(REFUSED) > 0, "8 simultaneous requests into a queue of 1: some must be refused"
        assert report.count(ANSWERED) > 0
        assert_still_answers(server)
    finally:
        server.stop()


# ---------------------------------------------------------------- the checks themselves, and a race they found


def _reply(questions: list[str], numbers: int | None = None) -> tuple[list[dict], dict]:
    """A chat and latency plot as the server returns them after answering ``questions``."""
    chat: list[dict] = []
    for q in questions:
        chat += [{"role": "user", "content": q},
                 {"role": "assistant", "content": "…", "metadata": {"title": "2 sources: a.txt #0 (0.50)"}},
                 {"role": "assistant", "content": [{"type": "text", "text": "Paris\n\n<sub>GMSA 4x · TTFT 0.1 s</sub>"}]}]
    count = len(questions) if numbers is None else numbers
    return chat, {"data": [[f"#{i}", f"#{i} GMSA 4x", "GMSA 4x", 0.1, 0.05] for i in range(1, count + 1)]}


def test_check_answer_catches_leaks_and_empty_answers():
    from app.loadgen import check_answer

    chat, plot = _reply(["q1", "q2"])
    assert check_answer(chat, plot, ["q1", "q2"]) == ""
    assert "other questions" in check_answer(chat, plot, ["q2"])  # another session's question in the history
    assert "other questions" in check_answer(*_reply(["q1", "x", "q2"]), ["q1", "q2"])
    assert "latency plot" in check_answer(*_reply(["q1", "q2"], numbers=3), ["q1", "q2"])  # another session's bar
    chat[-1] = {"role": "assistant", "content": "…"}
    assert "unfinished" in check_answer(chat, plot, ["q1", "q2"])
    chat, plot = _reply(["q1"])
    chat[1]["metadata"] = {"title": "Sources: none"}
    assert "no sources" in check_answer(chat, plot, ["q1"])


def test_percentile():
    from app.loadgen import percentile

    assert percentile([], 50) is None and percentile([3.0], 99) == 3.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5 and percentile(list(range(101)), 90) == 90
    assert percentile([1.0, 2.0], 100) == 2.0


def test_index_reads_are_consistent_while_documents_change(collection):
    """The collection view (page load, no model lock) lists chunks while an upload or delete runs.

    Before the index's readers took its lock, ``records()`` raised KeyError (a chunk deleted
    between listing the ids and reading them) or "dictionary changed size during iteration".
    """
    import threading
    import time

    import numpy as np

    from gmsa_rag.retrieval import ChunkInput

    index = collection.index
    rng = np.random.default_rng(0)
    dim = index.embedder.dim
    stop, errors = time.monotonic() + 3.0, []

    def churn() -> None:
        n = 0
        while time.monotonic() < stop:
            chunks = [ChunkInput(f"tmp{n}.txt", i, f"text {i}", 2, None, {}) for i in range(50)]
            index.add_vectors(chunks, rng.standard_normal((50, dim)).astype("float32"))
            index.remove_document(f"tmp{n}.txt")
            n += 1

    def read() -> None:
        while time.monotonic() < stop:
            try:
                index.records()
                index.documents()
            except Exception as exc:  # noqa: BLE001 - counted, then asserted
                errors.append(repr(exc))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=churn), threading.Thread(target=read)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        sys.setswitchinterval(interval)
    assert not errors, f"{len(errors)} failed reads, e.g. {errors[:3]}"
    assert sorted(index.documents()) == ["berlin.txt", "paris.txt", "rome.txt"]
