"""Answers decoded in batches: questions asked at the same time share the decode loop.

On a small CPU a decode step of one row costs nearly as much as a step of eight (it is bound
by overheads and reading the weights, not by arithmetic), so concurrent users are served
faster together than one after another. :class:`BatchScheduler` runs one worker thread:

    stream() ──> pending ──(wait <= max_wait_s for up to max_batch rows of one kind)──> batch
    batch: prefill ──> step ──> step ──> ...   a row leaves when it ends;
           rows queued meanwhile are prefilled and join between two steps
           each row's tokens ──> its own text pieces ──> its caller's iterator

Rows joining a running batch (continuous batching) keep a long answer from holding the
questions behind it: the batch stays full instead of draining to its slowest row. A batch
holds rows of one kind (decoder role and sampling settings): GMSA answers and full-text
answers use different decoders, so they run as separate batches, oldest kind first. Greedy
answers are the same tokens as unbatched ones (left padding, masked, per-row positions; on a
CPU each row is prefilled alone and joins, so a bf16 prefill's rounding is its own too). A
row that fails before decoding (over the context) fails alone, in its caller's thread; a
caller that stops iterating frees its row at the next step.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from queue import SimpleQueue

import torch

from gmsa_rag.errors import GMSAError, InputError
from gmsa_rag.model import GMSAModel, SamplingParams
from gmsa_rag.model.decoding import DecodeBatch, Decoder, IncrementalText
from gmsa_rag.model.gmsa import pad_sequences

_END = object()  # the end of a row's pieces


class SchedulerClosed(GMSAError):
    """The scheduler was closed before this answer finished."""


@dataclass(eq=False)
class _Row:
    """One answer waiting for, or in, a batch."""

    embeds: torch.Tensor  # (T, d) decoder input: [soft tokens ; prompt]
    role: str
    params: SamplingParams
    on_token: Callable[[], None] | None
    out: SimpleQueue = field(default_factory=SimpleQueue)  # text pieces, then an error or _END
    cancelled: threading.Event = field(default_factory=threading.Event)
    finished: bool = False
    steps: int = 0  # tokens decoded for it

    @property
    def kind(self) -> tuple[str, SamplingParams]:
        return self.role, self.params

    def finish(self, last: str = "", error: BaseException | None = None) -> None:
        if self.finished:
            return
        if last:
            self.out.put(last)
        if error is not None:
            self.out.put(error)
        self.out.put(_END)
        self.finished = True


class _Pieces:
    """The caller's side of a row: iterate for its text pieces; ``close()`` (or dropping it)
    takes the row out of its batch at the next step, whether or not iteration began."""

    def __init__(self, row: _Row) -> None:
        self._row = row
        self._ended = False

    def __iter__(self) -> "_Pieces":
        return self

    def __next__(self) -> str:
        if self._ended:
            raise StopIteration
        item = self._row.out.get()
        if item is _END or isinstance(item, BaseException):
            self._ended = True
            self.close()
            if item is _END:
                raise StopIteration
            raise item
        return item

    def close(self) -> None:
        self._row.cancelled.set()

    def __del__(self) -> None:
        self.close()


@dataclass
class SchedulerStats:
    """What the scheduler has run: decode loops started, rows served (``joined`` of them by
    joining a running loop, ``left`` of them taken out early because their caller stopped)
    and the most rows decoded at once."""

    batches: int = 0
    rows: int = 0
    joined: int = 0
    left: int = 0
    largest: int = 0


class BatchScheduler:
    """Decode concurrent answers of one :class:`GMSAModel` in batches (see the module docstring).

    ``stream`` has :meth:`GMSAModel.stream`'s keywords, so a pipeline can use either. The
    worker thread starts with the first answer; :meth:`close` stops it.
    """

    def __init__(self, model: GMSAModel, *, max_batch: int = 8, max_wait_s: float = 0.005) -> None:
        if max_batch < 1:
            raise InputError(f"max_batch must be >= 1, got {max_batch}")
        if not 0 <= max_wait_s <= 1:
            raise InputError(f"max_wait_s must be in [0, 1] seconds, got {max_wait_s}")
        self.model, self.max_batch, self.max_wait_s = model, max_batch, max_wait_s
        self.stats = SchedulerStats()
        self._pending: deque[_Row] = deque()
        self._wake = threading.Condition()
        self._closed = False
        self._worker: threading.Thread | None = None

    # ---------------------------------------------------------------- callers

    def stream(
        self,
        prompt: str,
        *,
        params: SamplingParams | None = None,
        role: str = "answer",
        soft_tokens: torch.Tensor | None = None,
        on_token: Callable[[], None] | None = None,
    ) -> Iterator[str]:
        """Queue one answer now and return an iterator of its text pieces.

        Input errors (over the backbone's context) are raised here, before it is queued.
        ``on_token`` is called (on the worker thread) after each of this row's tokens.
        """
        model = self.model
        with torch.inference_mode(), model.autocast():
            embeds = model.prompt_embeds(prompt, soft_tokens, role)
        row = _Row(embeds, role, params or SamplingParams(), on_token)
        with self._wake:
            if self._closed:
                raise SchedulerClosed("the batch scheduler is closed")
            self._pending.append(row)
            if self._worker is None:
                self._worker = threading.Thread(target=self._serve, name="gmsa-batch", daemon=True)
                self._worker.start()
            self._wake.notify()
        return _Pieces(row)

    def close(self, timeout_s: float = 30.0) -> None:
        """Finish the batch in progress, fail the answers still queued, stop the worker."""
        with self._wake:
            self._closed = True
            waiting = list(self._pending)
            self._pending.clear()
            self._wake.notify_all()
        for row in waiting:
            row.finish(error=SchedulerClosed("the batch scheduler was closed before this answer started"))
        if self._worker is not None:
            self._worker.join(timeout_s)

    def __enter__(self) -> "BatchScheduler":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- worker

    def _serve(self) -> None:
        while (rows := self._next_batch()) is not None:
            try:
                self._decode(rows)
            except BaseException as exc:  # handed to every row still running; the worker goes on
                for row in rows:
                    row.finish(error=exc)

    def _next_batch(self) -> list[_Row] | None:
        """Block for the first row, wait up to ``max_wait_s`` for more; the rows of the oldest
        row's kind, oldest first (None when closed)."""
        with self._wake:
            while not self._pending and not self._closed:
                self._wake.wait()
            if self._closed:
                return None
            deadline = time.monotonic() + self.max_wait_s
            while len(self._pending) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                self._wake.wait(left)
            return self._take(self._pending[0].kind, self.max_batch)

    def _joining(self, kind: tuple, running: int) -> list[_Row]:
        """Rows of the running batch's kind that arrived meanwhile, up to the free places; none
        while an older row of another kind waits (the batch then drains and that kind goes next)."""
        with self._wake:
            if not self._pending or self._pending[0].kind != kind:
                return []
            return self._take(kind, self.max_batch - running)

    def _take(self, kind: tuple, limit: int) -> list[_Row]:
        """Remove and return up to ``limit`` pending rows of ``kind``, oldest first (lock held)."""
        rows = [r for r in self._pending if r.kind == kind][:limit]
        for row in rows:
            self._pending.remove(row)
        return rows

    def _prefill(self, runner: Decoder, rows: list[_Row]) -> DecodeBatch:
        """One batch of ``rows``, prefilled. On a CPU each row is prefilled alone and the rows
        join: the prefill is bound by arithmetic there, so padding rows together saves little,
        and a row prefilled alone has the same KV cache whatever rows arrive with it (a padded
        bf16 prefill rounds differently from one row's). Elsewhere the rows prefill together."""
        model = self.model
        alone = model.device.type == "cpu" and runner.batches_join
        groups = [[row] for row in rows] if alone else [rows]

        def prefilled(group: list[_Row]) -> DecodeBatch:
            embeds, mask = pad_sequences([r.embeds for r in group], left=True)  # (b, T, d), (b, T)
            return DecodeBatch(runner, embeds, mask, rows[0].params)

        with torch.inference_mode(), model.autocast():
            batch, *rest = [prefilled(group) for group in groups]
            if rest:
                batch.join(*rest)
        return batch

    def _decode(self, rows: list[_Row]) -> None:
        """Prefill the rows together, then step until every row has ended. Between steps, rows of
        the same kind that arrived meanwhile are prefilled and join (continuous batching), so a
        long answer does not hold the rows behind it. ``rows`` is kept current in place."""
        model = self.model
        kind = rows[0].kind
        runner = model.runner(kind[0])
        batch = self._prefill(runner, rows)
        self._count(len(rows), len(rows), new_batch=True)
        texts = [model.incremental_text() for _ in rows]
        while True:
            with torch.inference_mode():
                tokens = batch.next_tokens()  # (b,)
            kept = [i for i, token in enumerate(tokens.tolist()) if self._emit(rows[i], texts[i], token, runner)]
            rows[:], texts[:] = [rows[i] for i in kept], [texts[i] for i in kept]
            if kept:
                with torch.inference_mode(), model.autocast():
                    batch.keep(kept)
                    batch.advance(tokens[kept])
            joining = self._joining(kind, len(rows)) if not rows or batch.joinable else []
            if joining:
                rows += joining  # first, so that a failing prefill fails them too
                texts += [model.incremental_text() for _ in joining]
                new = self._prefill(runner, joining)
                if kept:
                    with torch.inference_mode():
                        batch.join(new)
                else:
                    batch = new
                self._count(len(joining), len(rows), new_batch=False)
            if not rows:
                return

    def _count(self, added: int, running: int, new_batch: bool) -> None:
        stats = self.stats
        stats.batches += new_batch
        stats.rows += added
        stats.joined += 0 if new_batch else added
        stats.largest = max(stats.largest, running)

    def _emit(self, row: _Row, text: IncrementalText, token: int, runner: Decoder) -> bool:
        """Hand one token to its row; whether the row goes on."""
        row.steps += 1
        try:
            if row.on_token is not None:
                row.on_token()
        except BaseException as exc:  # the caller's callback fails its own row only
            row.finish(error=exc)
            return False
        if row.cancelled.is_set():
            row.finish()
            self.stats.left += 1
            return False
        if token in runner.eos_token_ids and not row.params.ignore_eos:
            row.finish(text.finish())
            return False
        if piece := text.add(token):
            row.out.put(piece)
        if row.steps >= row.params.max_new_tokens:
            row.finish(text.finish())
            return False
        return True
