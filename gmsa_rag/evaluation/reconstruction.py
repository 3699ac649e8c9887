"""Reconstruction evaluation: compress a text, ask the decoder to restate it, score the restatement.

    text ──first max_tokens backbone tokens, decoded──> reference
         ──model.compress(rate)──> merged vectors ──generate(AUTOENCODER_PROMPT, greedy)──> prediction
    (predictions, references) ──> BLEU (0-100), ROUGE-L, prefix-EM (metrics.py)

This is the autoencoder's own task (stage 1), so decoding uses the "restate" decoder, the one
stage 1 trained with (``config.restate_decoder``): the plain backbone when the adapter was trained
by KEFT alone (a KEFT-only adapter answers briefly instead of restating), the stage-1 adapter
when it trained in stage 1 too (``GMSAModel.decoder_for``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from gmsa_rag.config import DECODER_ROLES
from gmsa_rag.errors import InputError
from gmsa_rag.io import read_jsonl
from gmsa_rag.evaluation.metrics import DEFAULT_PREFIX_TOKENS, ReconstructionScores, score_reconstruction
from gmsa_rag.model.decoding import SamplingParams
from gmsa_rag.model.gmsa import AUTOENCODER_PROMPT, GMSAModel
from gmsa_rag.model.merging import check_rate


@dataclass(frozen=True)
class ReconstructionExample:
    """One text: the reference it had to restate and what came back."""

    reference: str
    prediction: str
    num_tokens: int  # backbone tokens the encoder read (the reference re-tokenised, ~max_tokens)
    soft_tokens: int  # merged vectors the decoder read: ceil(num_tokens / rate)
    rouge_l: float
    prefix_ratio: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ReconstructionResult:
    """Scores, per-text predictions, timing and the model they belong to."""

    rate: int
    max_tokens: int
    max_new_tokens: int
    role: str  # the decoder that restated (GMSAModel.decoder_for)
    model: str  # GMSAModel.fingerprint()
    scores: ReconstructionScores
    examples: list[ReconstructionExample] = field(repr=False)
    compression_seconds: float  # model.compress over all texts
    generation_seconds: float  # all generate() batches

    @property
    def n(self) -> int:
        return self.scores.n

    @property
    def predictions(self) -> list[str]:
        return [e.prediction for e in self.examples]

    @property
    def references(self) -> list[str]:
        return [e.reference for e in self.examples]

    def to_dict(self, predictions: bool = False) -> dict:
        """Flat JSON-ready dict: n, bleu (0-100), rouge_l, prefix_em, ..., timing; per-text
        examples under ``"predictions"`` when asked."""
        out = {
            **self.scores.to_dict(),
            "rate": self.rate,
            "max_tokens": self.max_tokens,
            "max_new_tokens": self.max_new_tokens,
            "decoder": self.role,
            "model": self.model,
            "timing": {
                "compression_seconds": self.compression_seconds,
                "generation_seconds": self.generation_seconds,
                "total_seconds": self.compression_seconds + self.generation_seconds,
            },
        }
        if predictions:
            out["predictions"] = [e.to_dict() for e in self.examples]
        return out


def read_texts_jsonl(path: str | Path, limit: int | None = None) -> list[str]:
    """Texts of a JSONL file, one ``{"text": str, ...}`` object per line (blank lines skipped).

    Raises InputError for a missing file, a line that is not a JSON object, a record without
    a non-empty string ``"text"``, or a file with no records. ``limit`` keeps the first N.
    """
    return [r["text"] for r in read_jsonl(path, limit=limit, texts=("text",))]


def truncate_to_tokens(model: GMSAModel, text: str, max_tokens: int) -> tuple[str, int]:
    """The text of its first ``max_tokens`` backbone tokens (decoded back) and that token count."""
    ids = model.tokenizer(text, add_special_tokens=False)["input_ids"][:max_tokens]
    return model.tokenizer.decode(ids, skip_special_tokens=True), len(ids)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def evaluate_reconstruction(
    model: GMSAModel,
    texts: Sequence[str],
    rate: int,
    max_tokens: int = 128,
    batch_size: int = 16,
    max_new_tokens: int | None = None,
    role: str = "restate",
    prefix_tokens: int = DEFAULT_PREFIX_TOKENS,
    progress: bool = True,
) -> ReconstructionResult:
    """Greedy reconstruction of each text's first ``max_tokens`` tokens from its soft tokens at ``rate``.

    ``max_new_tokens`` defaults to ``max_tokens + max(8, max_tokens // 4)`` so a faithful
    restatement is never cut off. The model runs in eval mode; every module's previous mode is
    restored afterwards. ``role`` picks the decoder (``GMSAModel.decoder_for``): "restate" (the
    one stage 1 trained with), "answer" (KEFT's) or "base".
    """
    if role not in DECODER_ROLES:
        raise InputError(f"role must be one of {DECODER_ROLES}, got {role!r}")
    rate = check_rate(rate)
    for name, value in (("max_tokens", max_tokens), ("batch_size", batch_size), ("prefix_tokens", prefix_tokens)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name} must be an integer >= 1, got {value!r}")
    if max_tokens > model.config.max_chunk_tokens:
        raise InputError(f"max_tokens={max_tokens} exceeds the encoder's max_chunk_tokens={model.config.max_chunk_tokens}")
    if isinstance(texts, str) or not texts:
        raise InputError("evaluate_reconstruction needs a non-empty list of texts")
    if max_new_tokens is None:
        max_new_tokens = max_tokens + max(8, max_tokens // 4)
    params = SamplingParams(max_new_tokens=max_new_tokens)

    references: list[str] = []
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"text {i} is empty")
        reference, _ = truncate_to_tokens(model, text, max_tokens)
        if not reference.strip():
            raise InputError(f"text {i} has no content left after tokenisation: {text[:80]!r}")
        references.append(reference)

    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        start = time.perf_counter()
        chunks = model.compress(references, rates=(rate,), batch_size=batch_size)
        _sync(model.device)
        compression_seconds = time.perf_counter() - start

        predictions: list[str] = []
        generation_seconds = 0.0
        starts = range(0, len(references), batch_size)
        for first in tqdm(starts, desc=f"reconstruct {rate}x", unit="batch", disable=not progress):
            contexts = [[c.vectors[rate]] for c in chunks[first : first + batch_size]]
            start = time.perf_counter()
            predictions += model.generate([AUTOENCODER_PROMPT] * len(contexts), contexts, params, role=role)
            generation_seconds += time.perf_counter() - start
        fingerprint = model.fingerprint()
    finally:
        for module, mode in modes:  # restore each module's own mode (the backbone may differ)
            module.training = mode

    scores = score_reconstruction(predictions, references, prefix_tokens)
    examples = [
        ReconstructionExample(
            reference=ref,
            prediction=pred,
            num_tokens=chunk.num_tokens,
            soft_tokens=int(chunk.vectors[rate].shape[0]),
            rouge_l=rouge,
            prefix_ratio=ratio,
        )
        for ref, pred, chunk, rouge, ratio in zip(
            references, predictions, chunks, scores.per_example_rouge_l, scores.per_example_prefix_ratio
        )
    ]
    return ReconstructionResult(
        rate=rate,
        max_tokens=max_tokens,
        max_new_tokens=max_new_tokens,
        role=role,
        model=fingerprint,
        scores=scores,
        examples=examples,
        compression_seconds=compression_seconds,
        generation_seconds=generation_seconds,
    )


__all__ = [
    "ReconstructionExample",
    "ReconstructionResult",
    "evaluate_reconstruction",
    "read_texts_jsonl",
    "truncate_to_tokens",
]
