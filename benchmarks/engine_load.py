"""The app's engine under load without the web server: N threads x M questions, batched and
one answer at a time, in one process, on the same collection and soft-token cache.

    python benchmarks/engine_load.py --model default --clients 8 --questions 5

Separates the engine (retrieval, soft tokens, batched decoding) from Gradio's share of
``benchmarks/load_test.py``. Prints, per server kind, answers/s, the streamed updates and
the scheduler's counts, then the throughput ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine import AppEngine  # noqa: E402
from app.loadgen import SAMPLE_QUESTIONS  # noqa: E402
from gmsa_rag.model import GMSAModel  # noqa: E402


def run(engine: AppEngine, clients: int, questions: int, top_k: int) -> dict:
    """Every client asks its questions in turn, all clients at once; wall time and counts."""
    updates = [0] * clients

    def client(c: int) -> None:
        for n in range(questions):
            question = f"{SAMPLE_QUESTIONS[(c + n) % len(SAMPLE_QUESTIONS)]} (client {c}, question {n + 1})"
            for _ in engine.answer(question, top_k=top_k):
                updates[c] += 1

    list(engine.answer(SAMPLE_QUESTIONS[0], top_k=top_k))  # warm-up
    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    answers = clients * questions
    stats = engine.scheduler.stats if engine.scheduler else None
    return {"max_batch": engine.max_batch, "answers": answers, "wall_s": round(wall, 3),
            "answers_per_s": round(answers / wall, 3), "updates": sum(updates),
            "scheduler": vars(stats) if stats else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--questions", type=int, default=5, help="questions per client")
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--top-k", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    args = parser.parse_args(argv)
    model = GMSAModel.from_pretrained(args.model).eval()
    with tempfile.TemporaryDirectory(prefix="gmsa-engine-load-") as root:
        first = AppEngine.open(model, root=root, max_new_tokens=args.max_new_tokens, progress=False)
        runs = []
        for max_batch in (args.max_batch, 1):
            engine = AppEngine(first.collection, first.upload_dir, max_upload_bytes=first.max_upload_bytes,
                               params=first.params, max_batch=max_batch)
            runs.append(run(engine, args.clients, args.questions, args.top_k))
            engine.close()
    print(json.dumps({"runs": runs, "speedup": round(runs[0]["answers_per_s"] / runs[1]["answers_per_s"], 3)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
