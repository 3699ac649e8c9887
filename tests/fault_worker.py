"""Child processes for tests/test_faults.py: real work that is SIGKILLed, starved of disk, or raced.

Run as ``python tests/fault_worker.py SCENARIO JSON_ARGS``. A kill is a real ``SIGKILL`` that the
process sends itself at a chosen point (the N-th call of a library function), so nothing gets to
clean up: exactly what ``kill -9`` or the OOM killer does. Results go to stdout as one JSON line.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).parent))

from gmsa_rag import retrieval  # noqa: E402
from gmsa_rag.collection import Collection  # noqa: E402
from gmsa_rag.errors import GMSAError  # noqa: E402
from tiny import tiny_model  # noqa: E402

CHUNK_TOKENS = 8


def die() -> None:
    """What kill -9 does: no finally blocks, no atexit, no flushing."""
    os.kill(os.getpid(), signal.SIGKILL)


def kill_on_call(owner: Any, name: str, n: int, before: Callable[..., None] | None = None) -> None:
    """Replace ``owner.name`` so that its ``n``-th call dies (after ``before(*args)``, if given)."""
    real = getattr(owner, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n:
            if before is not None:
                before(*args, **kwargs)
            die()
        return real(*args, **kwargs)

    setattr(owner, name, wrapper)


def half_write(path: Path, data: bytes) -> None:
    """A save killed mid-write: half the bytes in the temp file ``_write_atomic`` would use."""
    tmp = path.with_name(f".{path.name}.killed.tmp")
    tmp.write_bytes(data[: len(data) // 2])


def open_collection(root: str, **kwargs: Any) -> Collection:
    return Collection.open("c", tiny_model(), root=root, create=True, chunk_tokens=CHUNK_TOKENS, **kwargs)


def ingest(args: dict) -> dict:
    """Ingest folder ``first`` whole, then folder ``second`` with a kill at ``kill`` ("embed:N" / "save:N")."""
    collection = open_collection(args["root"])
    collection.ingest([args["first"]], progress=False)
    where, n = args["kill"].split(":")
    if where == "embed":
        kill_on_call(retrieval.VectorIndex, "add_document", int(n))
    else:
        kill_on_call(retrieval, "_write_atomic", int(n), before=half_write)
    collection.ingest([args["second"]], progress=False)
    return {"killed": False}


def precompress(args: dict) -> dict:
    """Precompress an ingested collection, killed at the N-th encoder batch."""
    collection = open_collection(args["root"])
    kill_on_call(collection.model, "compress", int(args["kill"]))
    collection.precompress(batch_size=2, progress=False)
    return {"killed": False}


def train(args: dict) -> dict:
    """A training run killed at a step ("step:N") or in the middle of a checkpoint swap ("swap:N")."""
    from pathlib import Path as P

    from test_training import model, run_config
    from gmsa_rag.training.trainer import Trainer

    trainer = Trainer(model(), run_config(args["data"], args["out"], **args.get("overrides", {})))
    where, n = args["kill"].split(":")
    if where == "step":
        real = trainer.train_step

        def step(*a, **k):
            if trainer.step == int(n):
                die()
            return real(*a, **k)

        trainer.train_step = step
    else:  # die after checkpoint -> checkpoint.old, before checkpoint.tmp -> checkpoint
        real_rename, swaps = P.rename, [0]

        def rename(self, target):
            if P(target).name == "checkpoint":
                swaps[0] += 1
                if swaps[0] == int(n):
                    die()
            return real_rename(self, target)

        P.rename = rename
    trainer.run()
    return {"killed": False}


def disk_full(args: dict) -> dict:
    """Ingest and precompress with files capped at ``limit`` bytes: writes past it fail with EFBIG."""
    collection = open_collection(args["root"])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # so a write past the cap raises instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (args["limit"], resource.RLIM_INFINITY))
    outcome = {}
    for step, run in (("ingest", lambda: collection.ingest([args["big"]], compress=False, progress=False)),
                      ("precompress", lambda: collection.precompress(progress=False))):
        try:
            run()
            outcome[step] = None
        except GMSAError as exc:
            outcome[step] = f"{type(exc).__name__}: {exc}"
    return outcome


def concurrent(args: dict) -> dict:
    """Wait for the start file, then ingest ``folder`` into the shared collection."""
    collection = open_collection(args["root"], lock_timeout=args.get("lock_timeout", 300))
    while not Path(args["start"]).exists():
        time.sleep(0.01)
    try:
        report = collection.ingest([args["folder"]], progress=False)
    except GMSAError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"added": report.added}


SCENARIOS = {"ingest": ingest, "precompress": precompress, "train": train, "disk_full": disk_full,
             "concurrent": concurrent}

if __name__ == "__main__":
    result = SCENARIOS[sys.argv[1]](json.loads(sys.argv[2]))
    print(json.dumps(result), flush=True)
