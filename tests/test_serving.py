"""Batched decoding: the same greedy answers as one at a time, rows that leave, rows that fail alone."""

import threading

import pytest
import torch

from gmsa_rag.errors import InputError
from gmsa_rag.model import SamplingParams
from gmsa_rag.model.decoding import DecodeBatch
from gmsa_rag.model.gmsa import pad_sequences
from gmsa_rag.pipeline import RAGPipeline
from gmsa_rag.serving import BatchScheduler, SchedulerClosed
from tiny import tiny_model

CHUNKS = [
    "the king of france was born in paris in the first year",
    "rome is the capital of italy . the king of rome was old",
    "berlin is a large city in germany on a river",
    "the queen of england was born in london",
]
QUESTIONS = ["who was born in paris ?", "what is the capital ?", "where is berlin ?", "who was the queen of england ?"]
GREEDY = SamplingParams(max_new_tokens=12)


@pytest.fixture(scope="module")
def model():
    return tiny_model()


def soft_tokens(model, n_chunks: int, rate: int = 4) -> torch.Tensor:
    """Soft tokens of the first n chunks: a different length per n, so rows need padding."""
    return model.soft_tokens([c.vectors[rate] for c in model.compress(CHUNKS[:n_chunks], rates=(rate,))])


def test_batched_greedy_answers_equal_unbatched(model):
    contexts = [soft_tokens(model, n) for n in (1, 2, 3, 4)]
    alone = ["".join(model.stream(q, params=GREEDY, soft_tokens=s)) for q, s in zip(QUESTIONS, contexts)]
    with BatchScheduler(model, max_batch=4, max_wait_s=0.5) as scheduler:
        streams = [scheduler.stream(q, params=GREEDY, soft_tokens=s) for q, s in zip(QUESTIONS, contexts)]
        together = ["".join(s) for s in streams]
    assert together == alone
    assert all(a.strip() for a in alone)
    assert scheduler.stats.batches == 1 and scheduler.stats.largest == 4


def test_rows_that_end_early_leave_and_the_rest_go_on(model):
    """With an end-of-answer token the rows finish at different steps; each still equals its
    unbatched answer."""
    contexts = [soft_tokens(model, n) for n in (1, 2, 3, 4)]
    first = model.generate([QUESTIONS[0]], [[c.vectors[4] for c in model.compress(CHUNKS[:1], rates=(4,))]], GREEDY)[0]
    eos_token = model.tokenizer.convert_tokens_to_ids(first.split()[4])  # row 0 ends at its 5th word or before
    saved, model._eos = model._eos, {eos_token}
    try:
        alone = ["".join(model.stream(q, params=GREEDY, soft_tokens=s)) for q, s in zip(QUESTIONS, contexts)]
        with BatchScheduler(model, max_batch=4, max_wait_s=0.5) as scheduler:
            streams = [scheduler.stream(q, params=GREEDY, soft_tokens=s) for q, s in zip(QUESTIONS, contexts)]
            together = ["".join(s) for s in streams]
    finally:
        model._eos = saved
    assert together == alone
    assert len({len(a.split()) for a in alone}) > 1, alone  # the rows did end at different steps


def test_rows_of_different_kinds_run_as_separate_batches(model):
    """A GMSA answer (adapted decoder) and a full-text answer (base backbone) never share a batch."""
    soft = soft_tokens(model, 2)
    gmsa_alone = "".join(model.stream(QUESTIONS[0], params=GREEDY, soft_tokens=soft))
    base_alone = "".join(model.stream(CHUNKS[0] + " " + QUESTIONS[0], params=GREEDY, role="base"))
    with BatchScheduler(model, max_batch=4, max_wait_s=0.2) as scheduler:
        gmsa = scheduler.stream(QUESTIONS[0], params=GREEDY, soft_tokens=soft)
        base = scheduler.stream(CHUNKS[0] + " " + QUESTIONS[0], params=GREEDY, role="base")
        assert ("".join(gmsa), "".join(base)) == (gmsa_alone, base_alone)
    assert scheduler.stats.batches == 2


def test_a_row_that_leaves_does_not_change_the_others(model):
    """DecodeBatch.keep drops rows from the cache; the rows kept decode as if alone."""
    runner = model.runner("answer")
    inputs = [model.prompt_embeds(q, soft_tokens(model, n)) for q, n in zip(QUESTIONS[:3], (1, 2, 3))]
    with torch.inference_mode():
        alone = []
        for embeds in inputs:
            batch = DecodeBatch(runner, embeds[None], torch.ones(1, embeds.shape[0], dtype=torch.long), GREEDY)
            tokens = []
            for _ in range(GREEDY.max_new_tokens):
                tokens.append(int(batch.next_tokens()[0]))
                batch.advance(torch.tensor(tokens[-1:]))
            alone.append(tokens)
        embeds, mask = pad_sequences(inputs, left=True)
        batch = DecodeBatch(runner, embeds, mask, GREEDY)
        rows, got = [0, 1, 2], [[], [], []]
        for step in range(GREEDY.max_new_tokens):
            tokens = batch.next_tokens()
            for i, row in enumerate(rows):
                got[row].append(int(tokens[i]))
            if step == 3:  # the middle row leaves
                keep = [0, 2]
                rows, tokens = [rows[i] for i in keep], tokens[keep]
                batch.keep(keep)
            batch.advance(tokens)
    assert got[0] == alone[0] and got[2] == alone[2]
    assert got[1] == alone[1][:4]


def test_a_row_over_the_context_fails_alone(model):
    soft = soft_tokens(model, 1)
    alone = "".join(model.stream(QUESTIONS[0], params=GREEDY, soft_tokens=soft))
    with BatchScheduler(model, max_batch=4, max_wait_s=0.2) as scheduler:
        good = scheduler.stream(QUESTIONS[0], params=GREEDY, soft_tokens=soft)
        with pytest.raises(InputError, match="exceeds the backbone's context"):
            scheduler.stream("the " * 600, params=GREEDY, role="base")
        assert "".join(good) == alone


def test_a_caller_that_stops_frees_its_row(model):
    """Closing a row's iterator takes it out of the batch at its next token; the other row goes on."""
    long = SamplingParams(max_new_tokens=40)
    soft = soft_tokens(model, 2)
    other_alone = "".join(model.stream(QUESTIONS[1], params=long, soft_tokens=soft))
    reached, resume, count = threading.Event(), threading.Event(), []

    def on_token():  # runs on the worker: hold the batch at the leaving row's 2nd token
        count.append(1)
        if len(count) == 2:
            reached.set()
            resume.wait(10)

    with BatchScheduler(model, max_batch=2, max_wait_s=0.5) as scheduler:
        leaving = scheduler.stream(QUESTIONS[0], params=long, soft_tokens=soft, on_token=on_token)
        other = scheduler.stream(QUESTIONS[1], params=long, soft_tokens=soft)
        assert reached.wait(10)
        leaving.close()
        resume.set()
        assert "".join(other) == other_alone
    assert len(count) == 2  # no token decoded for it after it left
    assert scheduler.stats.left == 1 and scheduler.stats.rows == 2


def test_a_failing_callback_fails_its_own_row_only(model):
    soft = soft_tokens(model, 1)
    alone = "".join(model.stream(QUESTIONS[2], params=GREEDY, soft_tokens=soft))

    def broken():
        raise RuntimeError("callback broke")

    with BatchScheduler(model, max_batch=2, max_wait_s=0.5) as scheduler:
        bad = scheduler.stream(QUESTIONS[0], params=GREEDY, soft_tokens=soft, on_token=broken)
        good = scheduler.stream(QUESTIONS[2], params=GREEDY, soft_tokens=soft)
        with pytest.raises(RuntimeError, match="callback broke"):
            "".join(bad)
        assert "".join(good) == alone


def test_closed_scheduler_refuses_new_answers(model):
    scheduler = BatchScheduler(model, max_batch=2)
    scheduler.close()
    with pytest.raises(SchedulerClosed):
        scheduler.stream(QUESTIONS[0], params=GREEDY, soft_tokens=soft_tokens(model, 1))
    with pytest.raises(InputError, match="max_batch"):
        BatchScheduler(model, max_batch=0)


def test_pipeline_answers_from_threads_are_batched_and_equal(collection):
    """Concurrent RAGPipeline.ask calls through one scheduler: each gets its own answer and stats."""
    plain = RAGPipeline(collection)
    alone = [plain.ask(q, params=GREEDY) for q in QUESTIONS]
    scheduler = BatchScheduler(collection.model, max_batch=4, max_wait_s=0.5)
    pipeline = RAGPipeline(collection, scheduler)
    streams = [pipeline.stream(q, params=GREEDY) for q in QUESTIONS]  # retrieval + soft tokens now
    answers: list = [None] * len(streams)
    threads = [threading.Thread(target=lambda i=i: answers.__setitem__(i, streams[i].result())) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    scheduler.close()
    assert [a.text for a in answers] == [a.text for a in alone]
    assert [a.sources[0].doc_id for a in answers] == [a.sources[0].doc_id for a in alone]
    assert all(a.stats.generated_tokens == GREEDY.max_new_tokens for a in answers)
    assert scheduler.stats.largest > 1
    with pytest.raises(InputError, match="another model"):
        RAGPipeline(collection, BatchScheduler(tiny_model(seed=1)))


def test_rows_that_arrive_later_join_the_running_batch(model):
    """Continuous batching: rows queued while a batch decodes are prefilled and join it between
    two steps (KV caches left-padded to one length); every answer equals its unbatched one."""
    long = SamplingParams(max_new_tokens=20)
    contexts = [soft_tokens(model, n) for n in (1, 3, 2)]
    alone = ["".join(model.stream(q, params=long, soft_tokens=s)) for q, s in zip(QUESTIONS, contexts)]
    started, go, count = threading.Event(), threading.Event(), []

    def hold_at_third_token():
        count.append(1)
        if len(count) == 3:
            started.set()
            go.wait(10)

    with BatchScheduler(model, max_batch=4, max_wait_s=0.0) as scheduler:
        first = scheduler.stream(QUESTIONS[0], params=long, soft_tokens=contexts[0], on_token=hold_at_third_token)
        assert started.wait(10)  # the first batch (one row) is 3 tokens in
        later = [scheduler.stream(q, params=long, soft_tokens=s) for q, s in zip(QUESTIONS[1:3], contexts[1:])]
        go.set()
        got = ["".join(first)] + ["".join(s) for s in later]
    assert got == alone
    assert scheduler.stats.batches == 1 and scheduler.stats.joined == 2 and scheduler.stats.largest == 3


def test_decode_batch_join_keeps_every_rows_tokens(model):
    runner = model.runner("answer")
    a, b = (model.prompt_embeds(q, soft_tokens(model, n)) for q, n in ((QUESTIONS[0], 1), (QUESTIONS[1], 3)))

    def alone(embeds, steps):
        batch = DecodeBatch(runner, embeds[None], torch.ones(1, embeds.shape[0], dtype=torch.long), GREEDY)
        out = []
        for _ in range(steps):
            out.append(int(batch.next_tokens()[0]))
            batch.advance(torch.tensor(out[-1:]))
        return out

    with torch.inference_mode():
        want_a, want_b = alone(a, 10), alone(b, 6)
        batch = DecodeBatch(runner, a[None], torch.ones(1, a.shape[0], dtype=torch.long), GREEDY)
        got_a, got_b = [], []
        for _ in range(4):  # a alone for 4 steps, then b joins
            got_a.append(int(batch.next_tokens()[0]))
            batch.advance(torch.tensor(got_a[-1:]))
        assert batch.joinable
        batch.join(DecodeBatch(runner, b[None], torch.ones(1, b.shape[0], dtype=torch.long), GREEDY))
        for _ in range(6):
            tokens = batch.next_tokens()
            got_a.append(int(tokens[0]))
            got_b.append(int(tokens[1]))
            batch.advance(tokens)
    assert got_a == want_a and got_b == want_b


def test_growing_kv_cache_gives_the_concatenating_caches_logits(model):
    """The decode loop's cache writes into spare room instead of concatenating: same logits
    as transformers' own DynamicLayer, through regrowth, rows that leave and a crop; and a
    buffer with room is written in place (no copy of the cache per step)."""
    from transformers import DynamicCache

    from gmsa_rag.model.decoding import GrowingLayer, _new_cache

    runner = model.runner("answer")
    embeds, mask = pad_sequences([model.prompt_embeds(q, soft_tokens(model, n)) for q, n in ((QUESTIONS[0], 1), (QUESTIONS[2], 3))], left=True)
    mask = mask.long()

    def run(cache, steps=8):
        kwargs = dict(use_cache=True, **{runner._cache_name: cache})
        with torch.inference_mode():
            out = runner.model(inputs_embeds=embeds, attention_mask=mask, **kwargs)
            logits, m = [out.logits[:, -1].float()], mask
            for step in range(steps):
                if step == 4:  # the first row leaves
                    cache.batch_select_indices(torch.tensor([1]))
                    m, logits[-1] = m[1:], logits[-1][1:]
                m = torch.cat([m, m.new_ones(m.shape[0], 1)], 1)
                tokens = logits[-1].argmax(-1)
                logits.append(runner.model(input_ids=tokens[:, None], attention_mask=m, **kwargs).logits[:, -1].float())
        return logits, cache

    plain, _ = run(DynamicCache())
    for room in (0, 3, 64):  # regrows every step, every few steps, never
        grown, cache = run(_new_cache(runner.model, room))
        assert all(isinstance(layer, GrowingLayer) for layer in cache.layers)
        assert all(torch.equal(a, b) for a, b in zip(plain, grown)), room
    layer = cache.layers[0]
    buffer, length = layer._key_buffer.data_ptr(), layer.get_seq_length()
    with torch.inference_mode():
        layer.update(layer.keys[:, :, -1:], layer.values[:, :, -1:])
        assert layer._key_buffer.data_ptr() == buffer and layer.get_seq_length() == length + 1
        layer.crop(-2)
        keys, _ = layer.update(layer.keys[:, :, -1:], layer.values[:, :, -1:])
    assert keys.shape[-2] == length and torch.equal(keys[:, :, -1], keys[:, :, -2])


def test_on_cpu_each_row_prefills_alone_so_answers_do_not_depend_on_the_batch():
    """At "bf16-prefill" a padded bf16 prefill rounds differently from one row's, so on a CPU
    the scheduler prefills each row alone and joins them: every row's first logits are the
    bits of its prefill alone, and the batch's greedy answers equal one-at-a-time answers."""
    from gmsa_rag.serving import _Row

    model = tiny_model().set_precision("bf16-prefill")
    contexts = [soft_tokens(model, n) for n in (1, 2, 3, 4)]
    scheduler = BatchScheduler(model, max_batch=4, max_wait_s=0.5)
    runner = model.runner("answer")
    assert runner.prefill_model is not runner.model and runner.batches_join
    with torch.inference_mode():
        rows = [_Row(model.prompt_embeds(q, s), "answer", GREEDY, None) for q, s in zip(QUESTIONS, contexts)]
        batch = scheduler._prefill(runner, rows)
        assert batch.size == 4
        for i, row in enumerate(rows):
            assert torch.equal(batch.logits[i], scheduler._prefill(runner, [row]).logits[0]), i
    alone = ["".join(model.stream(q, params=GREEDY, soft_tokens=s)) for q, s in zip(QUESTIONS, contexts)]
    with scheduler:
        streams = [scheduler.stream(q, params=GREEDY, soft_tokens=s) for q, s in zip(QUESTIONS, contexts)]
        assert ["".join(s) for s in streams] == alone
    assert scheduler.stats.largest == 4
