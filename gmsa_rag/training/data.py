"""Training samples for both stages, and the collator that batches them.

Every sample holds 1..k context chunks that are encoded *independently* and composed, exactly
as the cached query path composes stored chunks.

* Autoencoder: chunks are consecutive pieces of one text; target = the text itself + EOS,
  prompt = "Restate the aforementioned Text.".
* KEFT: chunks = the passage holding the answer plus distractor passages (shuffled); target =
  the answer + EOS, prompt = the question.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from gmsa_rag.errors import InputError
from gmsa_rag.model.gmsa import AUTOENCODER_PROMPT, GMSAModel, TrainBatch
from gmsa_rag.training.token_file import TokenFile, tokenize_texts


@dataclass(frozen=True)
class Sample:
    """One training example before batching: chunk token ids, prompt ids, target ids."""

    chunks: tuple[tuple[int, ...], ...]
    prompt: tuple[int, ...]
    target: tuple[int, ...]


def split_ids(ids: Sequence[int], max_len: int) -> list[tuple[int, ...]]:
    """Cut a token list into consecutive pieces of at most ``max_len`` tokens."""
    return [tuple(ids[i : i + max_len]) for i in range(0, len(ids), max_len)]


class AutoencoderSamples:
    """Reconstruction samples from plain texts, or from a pre-tokenized :class:`TokenFile`.

    Texts are tokenized once (a token file already is); texts under ``min_tokens`` are
    not sampled; a sample takes a window of ``min_tokens..max_tokens`` tokens
    and cuts it into 1..``max_chunks`` chunks of at most ``chunk_tokens``.
    """

    def __init__(
        self,
        model: GMSAModel,
        texts: Sequence[str] | TokenFile,
        *,
        chunk_tokens: int = 128,
        max_chunks: int = 2,
        min_tokens: int = 16,
        max_tokens: int = 256,
    ) -> None:
        if chunk_tokens > model.config.max_chunk_tokens:
            raise InputError(f"chunk_tokens={chunk_tokens} exceeds the model's max_chunk_tokens")
        if isinstance(texts, TokenFile):
            keep = np.flatnonzero(texts.lengths() >= min_tokens)
            if not len(keep):
                raise InputError(f"no training text has at least {min_tokens} tokens")
            self.tokens, self.index = texts, keep
        else:
            self.tokens = tokenize_texts(texts, model.tokenizer, min_tokens=min_tokens)
            self.index = np.arange(len(self.tokens))
        self.prompt = tuple(model.format_prompt(AUTOENCODER_PROMPT, "restate"))
        self.eos = model.tokenizer.eos_token_id
        self.chunk_tokens, self.max_chunks = chunk_tokens, max_chunks
        self.min_tokens, self.max_tokens = min_tokens, max_tokens

    def sample(self, rng: random.Random, max_tokens: int | None = None) -> Sample:
        """A window of ``min_tokens..max_tokens`` tokens (``max_tokens`` caps the configured
        one: a length curriculum), cut into 1..``max_chunks`` chunks."""
        ids = self.tokens.text_ids(int(self.index[rng.randrange(len(self.index))]))
        chunks_wanted = rng.randint(1, self.max_chunks)
        longest = min(len(ids), max_tokens or self.max_tokens, chunks_wanted * self.chunk_tokens)
        length = rng.randint(min(self.min_tokens, longest), longest)
        start = rng.randint(0, len(ids) - length)
        window = ids[start : start + length].tolist()
        per_chunk = -(-length // chunks_wanted)
        return Sample(chunks=tuple(split_ids(window, per_chunk)), prompt=self.prompt, target=tuple(window) + (self.eos,))


class QASamples:
    """KEFT samples: (question, answer) over the gold passage plus shuffled distractors."""

    def __init__(self, model: GMSAModel, records: Sequence[dict], *, max_chunks: int = 3) -> None:
        if not records:
            raise InputError("no QA records to train on")
        tok = model.tokenizer
        limit = model.config.max_chunk_tokens
        self.records = list(records)
        self.items = []
        for r in records:
            passages = [r["context"], *r.get("distractors", [])][:max_chunks]
            chunks = [tuple(tok(p, add_special_tokens=False)["input_ids"][:limit]) for p in passages if p.strip()]
            prompt = tuple(model.format_prompt(r["question"]))
            target = tuple(model.format_target(r["answers"][0]))
            self.items.append((chunks, prompt, target))

    def sample(self, rng: random.Random) -> Sample:
        chunks, prompt, target = self.items[rng.randrange(len(self.items))]
        chunks = list(chunks)
        rng.shuffle(chunks)  # the answer may sit in any of the composed chunks
        return Sample(chunks=tuple(chunks), prompt=prompt, target=target)


class MixedSamples:
    """KEFT samples with a share of autoencoder samples mixed in, so a decoder adapter that KEFT
    continues from stage 1 keeps restating when asked to (the prompt tells the tasks apart)."""

    def __init__(self, main: QASamples, mixed: AutoencoderSamples, fraction: float) -> None:
        if not 0.0 < fraction < 1.0:
            raise InputError(f"the mixed-in fraction must be in (0, 1), got {fraction}")
        self.main, self.mixed, self.fraction = main, mixed, fraction

    def sample(self, rng: random.Random) -> Sample:
        return self.mixed.sample(rng) if rng.random() < self.fraction else self.main.sample(rng)


def collate(model: GMSAModel, samples: Sequence[Sample]) -> TrainBatch:
    """Batch samples: all chunks of all samples go through the encoder as one padded batch."""
    chunk_lists, owners = [], []
    for s in samples:
        owners.append(list(range(len(chunk_lists), len(chunk_lists) + len(s.chunks))))
        chunk_lists.extend(s.chunks)
    ids, mask = model.pad_ids(chunk_lists)
    return TrainBatch(
        chunk_ids=ids,
        chunk_mask=mask,
        owners=owners,
        prompt_ids=[list(s.prompt) for s in samples],
        target_ids=[list(s.target) for s in samples],
    )


def batches(
    source, model: GMSAModel, batch_size: int, rng: random.Random, max_tokens: Callable[[], int] | None = None
) -> Iterator[TrainBatch]:
    """An endless stream of batches drawn with ``rng`` (the run's own generator).

    ``max_tokens`` (autoencoder only) is asked before each batch for its longest window.
    """
    while True:
        kwargs = {"max_tokens": max_tokens()} if max_tokens else {}
        yield collate(model, [source.sample(rng, **kwargs) for _ in range(batch_size)])
