"""Load generation for the app: N concurrent ``gradio_client`` clients asking M questions each.

Used by the CI load test (``tests/test_app_load.py``) and the benchmark
(``benchmarks/load_test.py``). Each client is its own Gradio session; it sends its chat
history back with every question, exactly like the browser does, and checks what comes back:

* an answer has sources and a non-empty, finished answer (with its stats line);
* the history holds this client's questions only, in order (no cross-session leakage);
* the latency plot (kept server-side in the session's ``gr.State``) has one bar per answer of
  this client only.

A request ends as ``answered``, ``refused`` (Gradio's "queue full": a clean 503), ``error``
(anything else, including a failed check) or ``timeout`` (the global deadline passed). Nothing
waits past the deadline: threads are daemons and each wait is bounded by the time left.

:class:`ServerProcess` runs a server command in a child process, waits until it answers HTTP,
and reads its resident memory (``/proc``, through psutil).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.render import escape

# Questions about the bundled sample collection (gmsa_rag/data/sample).
SAMPLE_QUESTIONS = (
    "What are ray-finned fishes named after?",
    "When was Alain Connes born?",
    "What does ASCII stand for?",
    "Where is the Brahui language spoken?",
    "Which encoding surpassed ASCII on the web in 2007?",
    "What did Alain Connes study?",
    "What supports the fins of ray-finned fishes?",
    "What language family does Brahui belong to?",
    "Where is Alain Connes a professor?",
    "What are ASCII codes used for?",
)
ANSWERED, REFUSED, ERROR, TIMEOUT = "answered", "refused", "error", "timeout"


@dataclass
class RequestResult:
    """One question of one client."""

    client: int
    number: int  # 0-based within the client
    question: str
    outcome: str  # ANSWERED / REFUSED / ERROR / TIMEOUT
    latency_s: float
    error: str = ""
    answer: str = ""  # the answer's text (answered requests), to compare servers


@dataclass
class LoadReport:
    """Every request's result, the wall time and (when known) the server's memory."""

    clients: int
    per_client: int
    wall_s: float
    results: list[RequestResult] = field(default_factory=list)
    unfinished_clients: int = 0  # threads still running at the deadline
    rss_before_bytes: int | None = None
    rss_after_bytes: int | None = None

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.results)

    def errors(self) -> list[RequestResult]:
        return [r for r in self.results if r.outcome in (ERROR, TIMEOUT)]

    def latencies(self) -> list[float]:
        """Latencies of answered requests (submit to final output), sorted."""
        return sorted(r.latency_s for r in self.results if r.outcome == ANSWERED)

    def summary(self) -> dict[str, Any]:
        """Throughput, latency percentiles, outcome counts and memory, as plain numbers."""
        lat = self.latencies()
        rss = (self.rss_before_bytes, self.rss_after_bytes)
        return {
            "clients": self.clients, "questions_per_client": self.per_client, "requests": len(self.results),
            "answered": self.count(ANSWERED), "refused": self.count(REFUSED), "errors": self.count(ERROR),
            "timeouts": self.count(TIMEOUT), "unfinished_clients": self.unfinished_clients,
            "wall_s": round(self.wall_s, 3),
            "throughput_answers_per_s": round(len(lat) / self.wall_s, 4) if self.wall_s > 0 else 0.0,
            "latency_median_s": _round(percentile(lat, 50)), "latency_p90_s": _round(percentile(lat, 90)),
            "latency_p99_s": _round(percentile(lat, 99)), "latency_max_s": _round(max(lat) if lat else None),
            "server_rss_before_mb": _mb(rss[0]), "server_rss_after_mb": _mb(rss[1]),
            "server_rss_growth_mb": _mb(rss[1] - rss[0]) if None not in rss else None,
        }

    def table(self) -> str:
        """The summary as an aligned two-column text table."""
        rows = [(k, "-" if v is None else str(v)) for k, v in self.summary().items()]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)

    def to_json(self, with_requests: bool = False) -> str:
        data: dict[str, Any] = {"summary": self.summary()}
        if with_requests:
            data["requests"] = [asdict(r) for r in self.results]
        return json.dumps(data, indent=2)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100), linear between closest ranks; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * min(max(q, 0.0), 100.0) / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _mb(value: int | None) -> float | None:
    return None if value is None else round(value / 1e6, 1)


# ---------------------------------------------------------------- checking one answer


def message_text(message: dict) -> str:
    """A Chatbot message's text, whether its content comes back as a string or as parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def answer_body(message: dict) -> str:
    """An answer message's text without its stats line."""
    return message_text(message).partition("<sub>")[0].strip()


def check_answer(chat: list[dict], plot: Any, asked: Sequence[str]) -> str:
    """Why the returned chat and plot are wrong for a client that asked ``asked`` ("" when right).

    ``asked`` is every question this client got answered, this one last.
    """
    users = [message_text(m) for m in chat if m.get("role") == "user"]
    if users != [escape(q) for q in asked]:
        return f"history holds other questions: expected {len(asked)} own questions, got {users!r}"
    if len(chat) < 3 or chat[-3].get("role") != "user":
        return f"no sources + answer after the question: {[m.get('role') for m in chat[-3:]]}"
    title = (chat[-2].get("metadata") or {}).get("title", "")
    if not re.match(r"\d+ sources?: ", title):
        return f"no sources in the answer: {title!r}"
    answer = message_text(chat[-1])
    body, _, stats = answer.partition("<sub>")
    if not body.strip() or body.strip() == "…" or "TTFT" not in stats:
        return f"empty or unfinished answer: {answer!r}"
    numbers = [row[0] for row in (plot or {}).get("data", [])]
    if numbers != [f"#{i}" for i in range(1, len(asked) + 1)]:
        return f"latency plot is not this session's: {numbers!r}"
    return ""


# ---------------------------------------------------------------- the clients


@dataclass(frozen=True)
class LoadPlan:
    """What to send: who asks what, how long the whole run may take, the answer settings."""

    url: str
    clients: int
    per_client: int
    questions: Sequence[str] = SAMPLE_QUESTIONS
    deadline_s: float = 180.0
    rate: int = 4
    top_k: int = 2

    def question(self, client: int, number: int) -> str:
        """Each client walks the questions from its own offset, so clients ask different things at once."""
        base = self.questions[(client + number) % len(self.questions)]
        return f"{base} (client {client}, question {number + 1})"


def _is_queue_full(exc: BaseException) -> bool:
    from gradio_client.utils import QueueError

    return isinstance(exc, QueueError) and "queue is full" in str(exc).lower()


def run_client(plan: LoadPlan, client_id: int, deadline: float, start: threading.Barrier,
               out: list[RequestResult]) -> None:
    """One session: connect, wait for the others, then ask ``plan.per_client`` questions in turn."""
    from gradio_client import Client

    try:
        client = Client(plan.url, verbose=False, download_files=False)
    finally:
        start.wait(timeout=max(0.0, deadline - time.monotonic()))
    try:
        _ask_all(client, plan, client_id, deadline, out)
    finally:
        client.close()


def _ask_all(client: Any, plan: LoadPlan, client_id: int, deadline: float, out: list[RequestResult]) -> None:
    """Ask this client's questions in turn, carrying its chat history from answer to answer."""
    chat: list[dict] = []
    asked: list[str] = []
    for number in range(plan.per_client):
        question = plan.question(client_id, number)
        if time.monotonic() >= deadline:
            out.append(RequestResult(client_id, number, question, TIMEOUT, 0.0, "deadline passed before sending"))
            continue
        result, reply = _ask(client, plan, client_id, number, question, chat, deadline)
        if result.outcome == ANSWERED:
            problem = check_answer(reply[0], reply[2], [*asked, question])
            if problem:
                result.outcome, result.error = ERROR, problem
            else:
                chat, asked = reply[0], [*asked, question]
                result.answer = answer_body(chat[-1])
        out.append(result)


def _ask(client: Any, plan: LoadPlan, client_id: int, number: int, question: str, chat: list[dict],
         deadline: float) -> tuple[RequestResult, Any]:
    """Send one question with this session's history; the result and the raw reply (None unless answered)."""
    t0 = time.monotonic()
    job = None
    try:
        job = client.submit(question=question, gmsa_history=chat, full_history=[], rate=plan.rate,
                            top_k=plan.top_k, compare=False, api_name="/ask")
        reply = job.result(timeout=max(0.001, deadline - time.monotonic()))
        return RequestResult(client_id, number, question, ANSWERED, time.monotonic() - t0), reply
    except TimeoutError:
        if job is not None:
            job.cancel()
        return RequestResult(client_id, number, question, TIMEOUT, time.monotonic() - t0, "global deadline"), None
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, the run goes on
        outcome = REFUSED if _is_queue_full(exc) else ERROR
        return RequestResult(client_id, number, question, outcome, time.monotonic() - t0,
                             f"{type(exc).__name__}: {exc}"), None


def run_load(plan: LoadPlan) -> LoadReport:
    """Run every client in its own thread; return when all are done or the deadline passed."""
    deadline = time.monotonic() + plan.deadline_s
    start = threading.Barrier(plan.clients + 1)
    per_client: list[list[RequestResult]] = [[] for _ in range(plan.clients)]
    threads = [
        threading.Thread(target=_guarded, args=(plan, i, deadline, start, per_client[i]), daemon=True,
                         name=f"load-client-{i}")
        for i in range(plan.clients)
    ]
    for thread in threads:
        thread.start()
    try:
        start.wait(timeout=max(0.0, deadline - time.monotonic()))  # every client connected: go
    except threading.BrokenBarrierError:
        pass
    t0 = time.monotonic()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    report = LoadReport(plan.clients, plan.per_client, time.monotonic() - t0)
    report.unfinished_clients = sum(t.is_alive() for t in threads)
    report.results = [r for results in per_client for r in list(results)]
    return report


def _guarded(plan: LoadPlan, client_id: int, deadline: float, start: threading.Barrier,
             out: list[RequestResult]) -> None:
    """:func:`run_client`, with a failure to connect recorded instead of lost in a thread."""
    try:
        run_client(plan, client_id, deadline, start, out)
    except Exception as exc:  # noqa: BLE001
        out.append(RequestResult(client_id, -1, "", ERROR, 0.0, f"client failed: {type(exc).__name__}: {exc}"))


def ask_once(url: str, question: str, timeout_s: float = 60.0) -> RequestResult:
    """A fresh session asks one question (checked like every load request); its result."""
    report = run_load(LoadPlan(url, 1, 1, (question,), deadline_s=timeout_s))
    if not report.results:
        return RequestResult(0, 0, question, TIMEOUT, timeout_s, "no result before the deadline")
    return report.results[0]


# ---------------------------------------------------------------- the server process


class ServerProcess:
    """A server command in a child process (its own process group), with its log in a file."""

    def __init__(self, argv: Sequence[str], url: str, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.argv, self.url, self.log_path = list(argv), url, Path(log_path)
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 300.0) -> "ServerProcess":
        """Start the command and wait until its URL answers (raises with the log's tail if it never does)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
            if _answers_http(self.url):
                return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"server did not answer {self.url} within {timeout_s:.0f} s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def rss_bytes(self) -> int:
        """The server's resident memory now."""
        return process_rss(self.pid)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited in ``timeout_s``."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout_s)

    def __enter__(self) -> "ServerProcess":
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_rss(pid: int) -> int:
    """Resident set size of process ``pid`` in bytes."""
    import psutil

    return psutil.Process(pid).memory_info().rss


def _answers_http(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment plus ``extra``; PYTHONPATH keeps this checkout importable by the child."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    env.update(extra)
    return env
