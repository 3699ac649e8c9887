"""The GMSA model, read top to bottom: encode -> merge -> compose -> align (LSA) -> decode.

    chunk text ──encoder (k layers + LoRA)──> H (n, d)
              ──group merge (rate r)───────> merged (ceil(n/r), d)     <- what the store keeps
    merged of chunks 1..c ──compose (+ separator)──> (m, d)
              ──LSA──> soft tokens (m, d) ──[soft ; embed(prompt)]──> decoder ──> answer

The same ``compose -> align -> decode`` code serves training and inference, so vectors
cached per chunk give exactly what a fresh end-to-end compression gives.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from jinja2 import TemplateError
from peft import LoraConfig, inject_adapter_in_model
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from gmsa_rag.config import ALL_LINEAR, DECODER_ROLES, GMSAConfig
from gmsa_rag.errors import CheckpointError, ConfigError, InputError, ModelMismatchError
from gmsa_rag.model.blocks import base_model, cast_copy, fold_lora, linear_names, positions_from_mask, share_copy
from gmsa_rag.model.decoding import Decoder, IncrementalText, SamplingParams
from gmsa_rag.model.encoder import Encoder
from gmsa_rag.model.lsa import LayerSemanticAlignment, LinearAligner
from gmsa_rag.model.merging import MemoryTokens, check_rate, group_merge

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "default_model"
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
AUTOENCODER_PROMPT = "Restate the aforementioned Text."


@dataclass
class ChunkVectors:
    """One chunk's merged vectors (pre-LSA), for every rate from one encoder pass."""

    num_tokens: int
    vectors: dict[int, torch.Tensor]  # rate -> (ceil(num_tokens / rate), d)


@dataclass
class TrainBatch:
    """A batch of samples, each with 1..k independently encoded chunks.

    chunk_ids / chunk_mask: (C, n) right-padded token ids of every chunk in the batch.
    owners[i]: indices (into the C chunks) of sample i's chunks, in reading order.
    prompt_ids[i] / target_ids[i]: formatted prompt and target (answer + EOS) token ids.
    """

    chunk_ids: torch.Tensor
    chunk_mask: torch.Tensor
    owners: list[list[int]]
    prompt_ids: list[list[int]]
    target_ids: list[list[int]]


PRECISIONS = ("fp32", "bf16", "bf16-prefill", "autocast", "auto")
_TWIN_LOCK = threading.Lock()  # making inference twins of the decoders (rare; one lock for every model)


def cpu_has_amx() -> bool:
    """Whether this CPU has AMX tiles (bf16 matrix units), where bf16 prefill pays off."""
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool(probe and probe())


def cpu_bf16_units() -> tuple[str, ...]:
    """The bf16 hardware of this CPU: ("AMX", "AVX-512 BF16"), either, or () where bf16 runs emulated."""
    avx512_bf16 = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    return (("AMX",) if cpu_has_amx() else ()) + (("AVX-512 BF16",) if avx512_bf16 and avx512_bf16() else ())


def auto_precision(device: torch.device) -> str:
    """What ``"auto"`` resolves to on ``device`` (README, Benchmarks: Precision): "bf16" on a
    CUDA GPU with bf16; "bf16-prefill" on a CPU with bf16 units, AMX or AVX-512 BF16 (fastest
    there, QA F1 within 0.01 of fp32 on both kinds, and each row prefills alone, so batched
    answers equal one-at-a-time ones); else fp32, where bf16 runs emulated."""
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16-prefill" if device.type == "cpu" and cpu_bf16_units() else "fp32"


def _inference(method):
    """Run a model method under inference mode and the model's inference precision."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with torch.inference_mode(), self.autocast():
            return method(self, *args, **kwargs)

    return wrapper


def decoder_adapter_scope(layers: nn.ModuleList, config: GMSAConfig) -> tuple[list[int], tuple[str, ...]]:
    """(layer indices, projection names) the decoder adapter covers, checked against the backbone."""
    available = linear_names(layers)
    targets = tuple(available) if config.decoder_targets == (ALL_LINEAR,) else config.decoder_targets
    unknown = sorted(set(targets) - set(available))
    if unknown:
        raise InputError(
            f"decoder_targets {unknown} are not linear layers of this backbone's decoder blocks "
            f"(it has {available}); use some of those or {ALL_LINEAR!r}"
        )
    too_deep = [i for i in config.decoder_layers if i >= len(layers)]
    if too_deep:
        raise InputError(f"decoder_layers {too_deep} do not exist: the backbone has {len(layers)} layers (0..{len(layers) - 1})")
    return list(config.decoder_layers or range(len(layers))), targets


def tensor_sha256(tensors: dict[str, torch.Tensor]) -> str:
    """Checksum of named tensors (names, dtypes, shapes and bytes), independent of device."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu").contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def pad_sequences(seqs: Sequence[torch.Tensor], left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack (len_i, d) tensors into (b, L, d) with a (b, L) mask, padding left or right."""
    length = max(s.shape[0] for s in seqs)
    ref = seqs[0]
    out = ref.new_zeros(len(seqs), length, ref.shape[-1])
    mask = torch.zeros(len(seqs), length, dtype=torch.long, device=ref.device)
    for i, s in enumerate(seqs):
        span = slice(length - s.shape[0], length) if left else slice(0, s.shape[0])
        out[i, span] = s
        mask[i, span] = 1
    return out, mask


class GMSAModel(nn.Module):
    """A GMSA compressor bound to one backbone. Build with :meth:`from_backbone` or
    :meth:`from_pretrained`; only the trained parts are ever saved."""

    def __init__(self, config: GMSAConfig, backbone: nn.Module, tokenizer, backbone_sha256: str | None = None) -> None:
        super().__init__()
        body = base_model(backbone)
        if config.encoder_layers > len(body.layers):
            raise InputError(f"encoder_layers={config.encoder_layers} but the backbone has {len(body.layers)} layers")
        if config.lsa_layers > len(body.layers):
            raise InputError(f"lsa_layers={config.lsa_layers} but the backbone has {len(body.layers)} layers")
        backbone.requires_grad_(False)
        self.backbone = backbone
        self.tokenizer = tokenizer
        sha = backbone_sha256 or tensor_sha256(dict(backbone.state_dict()))
        self.config = config.replace(backbone_sha256=sha)
        if config.system_prompt is not None:
            self.format_prompt("")  # a template that refuses a system turn fails here, before any compute
        self.encoder = Encoder(body, config.encoder_layers, config.lora_r, config.lora_alpha, config.lora_dropout)
        dim = backbone.config.hidden_size
        if config.merger == "icae":
            std = float(body.embed_tokens.weight.float().std())
            self.memory = MemoryTokens(config.max_memory_tokens, dim, std)
        if config.aligner == "lsa":
            self.aligner = LayerSemanticAlignment(body, config.lsa_layers, random_init=config.lsa_init == "random")
        else:
            self.aligner = LinearAligner(dim)
        self.separator = nn.Parameter(self._encode_separator(config.separator))  # (1, d)
        if config.decoder_adapter != "none":
            self.decoder_lm = self._adapted_decoder(backbone, config)
        if config.answer_adapter == "own":
            self.answer_lm = self._adapted_decoder(backbone, config)
        self._eos = self._eos_token_ids()
        self._fingerprint: str | None = None
        self.precision = "fp32"
        self._twins: tuple[dict, dict] | None = None  # inference copies of the decoders (:meth:`_twin`)
        self.to(next(backbone.parameters()).device)

    # ---------------------------------------------------------------- construction

    @classmethod
    def from_backbone(
        cls, backbone: str = "smollm2-135m-instruct", config: GMSAConfig | None = None,
        *, dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu",
    ) -> "GMSAModel":
        """An untrained GMSA (fresh LoRA, LSA copied from the first layers) on a named backbone."""
        from gmsa_rag.backbones import load_backbone

        lm, tokenizer, resolved = load_backbone(backbone, dtype=dtype, device=device)
        config = (config or GMSAConfig()).replace(backbone=backbone)
        return cls(config, lm, tokenizer, backbone_sha256=resolved.sha256)

    def _encode_separator(self, text: str) -> torch.Tensor:
        """The separator starts as the mean encoder state of a short marker text (1, d)."""
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"] or [self.tokenizer.eos_token_id]
        device = next(self.backbone.parameters()).device
        ids_t = torch.tensor([ids], device=device)
        with torch.no_grad():
            hidden = self.encoder(ids_t, torch.ones_like(ids_t))  # (1, n, d)
        return hidden.mean(dim=1).detach().clone()

    @staticmethod
    def _adapted_decoder(backbone: nn.Module, config: GMSAConfig) -> nn.Module:
        """A decoder that shares the backbone's weights, plus its adapter (LoRA or own projections)
        on ``config.decoder_targets`` of ``config.decoder_layers``."""
        layer_ids, targets = decoder_adapter_scope(base_model(backbone).layers, config)
        if config.decoder_adapter == "lora":
            decoder = share_copy(backbone, backbone)
            lora = LoraConfig(r=config.decoder_lora_r, lora_alpha=config.decoder_lora_alpha, target_modules=list(targets))
            layers = base_model(decoder).layers
            for i in layer_ids:
                inject_adapter_in_model(lora, layers[i], adapter_name="decoder")
            return decoder
        prefixes = tuple(f"layers.{i}." for i in layer_ids)

        def owned(name: str) -> bool:  # "model.layers.3.self_attn.q_proj.weight"
            inner = name.split("model.", 1)[-1]
            return inner.startswith(prefixes) and name.rsplit(".", 2)[-2] in targets

        own = {id(p) for name, p in backbone.named_parameters() if owned(name)}
        shared = nn.ParameterList([p for p in backbone.parameters() if id(p) not in own])
        decoder = share_copy(backbone, shared)
        for name, param in decoder.named_parameters():
            param.requires_grad_(owned(name))
        return decoder

    def _eos_token_ids(self) -> set[int]:
        """Tokens that end an answer: EOS, and every other special token (a chat model that
        opens a new turn with ``<|im_start|>`` has finished its answer too)."""
        ids = {i for i in getattr(self.tokenizer, "all_special_ids", []) if i != self.tokenizer.unk_token_id}
        gen_eos = getattr(getattr(self.backbone, "generation_config", None), "eos_token_id", None)
        for value in (self.tokenizer.eos_token_id, gen_eos):
            if isinstance(value, int):
                ids.add(value)
            elif isinstance(value, (list, tuple)):
                ids.update(int(v) for v in value)
        return ids

    def set_precision(self, precision: str) -> "GMSAModel":
        """Inference precision of LSA and decoding (:data:`PRECISIONS`): "fp32" (exact, the
        default); "bf16": the decoders' weights cast to bf16 once (LSA stays fp32); "bf16-prefill":
        prefill with those bf16 weights, decode with the fp32 ones (on CPUs bf16 pays for the
        long prefill matrices, not for one-token steps); "autocast":
        fp32 weights under bf16 autocast (re-cast at every step); "auto": what measured
        fastest on this device without a QA loss (:func:`auto_precision`). :meth:`compress` always runs at the weights'
        precision, so stored vectors and their keys never depend on this. Training is unaffected."""
        if precision not in PRECISIONS:
            raise InputError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.precision = precision
        self._drop_twins()
        return self

    def resolved_precision(self) -> str:
        """:attr:`precision`, with "auto" resolved for this device (:func:`auto_precision`)."""
        if self.precision != "auto":
            return self.precision
        return auto_precision(self.device)

    def autocast(self):
        """The autocast context for inference at :attr:`precision` (a no-op but for "autocast")."""
        if self.resolved_precision() != "autocast":
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def _twin(self, module: nn.Module, dtype: torch.dtype | None = None) -> nn.Module:
        """``module`` for inference, made once: its LoRA folded into the weights
        (:func:`~gmsa_rag.model.blocks.fold_lora`), then cast to ``dtype`` when given (bf16
        twins share one bf16 copy of the backbone's weights). The trained modules stay as they
        are, for the encoder and training."""
        with _TWIN_LOCK:  # a scheduler thread and its callers may ask at once
            if self._twins is None:
                self._twins = ({}, {})
            casts, twins = self._twins
            if (id(module), None) not in twins:
                twins[id(module), None] = fold_lora(module)
            if (id(module), dtype) not in twins:
                twins[id(module), dtype] = cast_copy(twins[id(module), None], casts, dtype).eval()
            return twins[id(module), dtype]

    def _drop_twins(self) -> None:
        """Forget the inference twins (the weights changed, or the precision)."""
        self._twins = None

    def _weights_changed(self) -> None:
        """Trained weights were written (loaded, reset, or about to train): the fingerprint is
        recomputed on its next use and the inference twins are made again."""
        self._fingerprint = None
        self._drop_twins()

    def _apply(self, fn, *args, **kwargs):  # .to(), .cuda(), ...: twins would stay behind
        self._drop_twins()
        return super()._apply(fn, *args, **kwargs)

    @property
    def decoder(self) -> nn.Module:
        """The LM that answers from soft tokens: the backbone, or its adapted twin (KEFT's)."""
        return self.decoder_for("answer")

    def decoder_for(self, role: str) -> nn.Module:
        """The LM for one role (:data:`DECODER_ROLES`): "answer" (questions over soft tokens),
        "restate" (the autoencoder task: the decoder stage 1 trained with) or "base" (the plain
        backbone: full text and closed book)."""
        if role not in DECODER_ROLES:
            raise InputError(f"decoder role must be one of {DECODER_ROLES}, got {role!r}")
        if role == "base" or self.config.decoder_adapter == "none":
            module = self.backbone
        elif role == "restate":
            module = self.backbone if self.config.restate_decoder == "base" else self.decoder_lm
        else:
            module = self.answer_lm if self.config.answer_adapter == "own" else self.decoder_lm
        if self.training or self.resolved_precision() != "bf16":
            return module
        return self._twin(module, torch.bfloat16)

    def reset_answer_adapter(self) -> None:
        """Make the answering adapter a copy of the restating one (answer_adapter "own"): what
        stage 1 learnt about reading soft tokens is where KEFT starts."""
        if self.config.answer_adapter != "own":
            raise ConfigError("reset_answer_adapter needs answer_adapter 'own' in the GMSA config")
        base = {id(p) for p in self.backbone.parameters()}
        restating = dict(self.decoder_lm.named_parameters())
        with torch.no_grad():
            for name, param in self.answer_lm.named_parameters():
                if id(param) not in base:
                    param.copy_(restating[name])
        self._weights_changed()

    @property
    def device(self) -> torch.device:
        return self.separator.device

    @property
    def dim(self) -> int:
        return self.separator.shape[-1]

    # ---------------------------------------------------------------- tokens

    def tokenize_chunk(self, text: str) -> list[int]:
        """Token ids of one chunk, checked against the encoder's limit."""
        if not isinstance(text, str) or not text.strip():
            raise InputError("cannot compress empty text")
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) > self.config.max_chunk_tokens:
            raise InputError(
                f"chunk has {len(ids)} tokens but the encoder takes at most {self.config.max_chunk_tokens} "
                "(max_chunk_tokens); split the text into chunks first (gmsa_rag.documents does this)"
            )
        return ids

    def format_prompt(self, text: str, role: str = "answer") -> list[int]:
        """Prompt ids: the chat template (as a user turn, ready for the answer) when the backbone
        has one, with the config's ``system_prompt`` as the system turn except for the "base" role."""
        if not getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer(text, add_special_tokens=True)["input_ids"]
        system = None if role == "base" else self.config.system_prompt
        messages = ([] if system is None else [{"role": "system", "content": system}]) + [{"role": "user", "content": text}]
        try:
            ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        except TemplateError as exc:  # e.g. a template that raises on a system turn
            if system is None:
                raise
            raise ConfigError(f"the backbone's chat template refused the system_prompt {system!r}: {exc}") from exc
        if isinstance(ids, dict) or hasattr(ids, "keys"):  # BatchEncoding in newer transformers
            ids = ids["input_ids"]
        return list(ids)

    def format_target(self, text: str) -> list[int]:
        """Target ids: the answer text followed by EOS."""
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids + [self.tokenizer.eos_token_id]

    def pad_ids(self, seqs: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-pad token id lists -> ids (b, n), mask (b, n)."""
        n = max(len(s) for s in seqs)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(seqs), n), pad, dtype=torch.long)
        mask = torch.zeros(len(seqs), n, dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
            mask[i, : len(s)] = 1
        return ids.to(self.device), mask.to(self.device)

    # ---------------------------------------------------------------- encode and merge

    def encode_ids(
        self, ids: torch.Tensor, mask: torch.Tensor, rates: Sequence[int]
    ) -> dict[int, tuple[torch.Tensor, torch.Tensor]]:
        """Merged vectors for each rate. ids, mask: (b, n) -> {rate: (merged (b, G, d), group_mask (b, G))}.

        Group merging needs one encoder pass for every rate; ICAE memory tokens one per rate.
        """
        rates = [check_rate(r) for r in rates]
        if self.config.merger == "group":
            hidden = self.encoder(ids, mask)  # (b, n, d)
            return {r: group_merge(hidden, mask, r) for r in rates}
        out = {}
        embeds = self.encoder.embed(ids)  # (b, n, d)
        for r in rates:
            with_slots, slot_mask_full, slot_index, slot_mask = self.memory.append(embeds, mask, r)
            hidden = self.encoder.forward_embeds(with_slots, slot_mask_full)  # (b, n+G, d)
            out[r] = (MemoryTokens.gather(hidden, slot_index, slot_mask), slot_mask)
        return out

    @torch.inference_mode()  # always at the weights' precision: stored vectors must not depend on it
    def compress(
        self, texts: Sequence[str], rates: Sequence[int] | None = None, batch_size: int = 16
    ) -> list[ChunkVectors]:
        """Compress each text on its own; one encoder pass per batch gives every rate.

        Texts are batched by length (less padding); results come back in input order.
        """
        rates = tuple(rates or self.config.rates)
        token_lists = [self.tokenize_chunk(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: len(token_lists[i]))
        results: list[ChunkVectors | None] = [None] * len(texts)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            ids, mask = self.pad_ids([token_lists[i] for i in idx])
            merged = self.encode_ids(ids, mask, rates)
            for row, i in enumerate(idx):
                vectors = {r: m[row, : int(g[row].sum())].clone() for r, (m, g) in merged.items()}
                results[i] = ChunkVectors(num_tokens=len(token_lists[i]), vectors=vectors)
        return results  # type: ignore[return-value]

    # ---------------------------------------------------------------- compose and align

    def compose(self, chunks: Sequence[torch.Tensor]) -> torch.Tensor:
        """Concatenate chunks' merged vectors with the separator between them: -> (m, d)."""
        if not chunks:
            raise InputError("compose needs at least one chunk")
        sep = self.separator.to(chunks[0].dtype)
        parts: list[torch.Tensor] = []
        for i, chunk in enumerate(chunks):
            if i:
                parts.append(sep)
            parts.append(chunk.to(self.device))
        return torch.cat(parts, dim=0)

    def align(self, composed: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """LSA over each composed sequence, batched: [(m_i, d)] -> [(m_i, d)] soft tokens."""
        dtype = self.separator.dtype
        x, mask = pad_sequences([c.to(self.device, dtype) for c in composed], left=False)  # (b, M, d), (b, M)
        soft = self.aligner(x, mask)  # (b, M, d)
        return [soft[i, : c.shape[0]] for i, c in enumerate(composed)]

    @_inference
    def soft_tokens(self, chunks: Sequence[torch.Tensor]) -> torch.Tensor:
        """Stored merged vectors of retrieved chunks -> the decoder's soft tokens (m, d)."""
        return self.align([self.compose(chunks)])[0]

    # ---------------------------------------------------------------- decoder inputs

    def _decoder_inputs(
        self,
        decoder: nn.Module,
        prefixes: Sequence[torch.Tensor | None],
        prompts: Sequence[Sequence[int]],
        targets: Sequence[Sequence[int]] | None = None,
        left_pad: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """[soft tokens ; embed(prompt) ; embed(target)] per sample, padded into a batch.

        Returns embeds (b, T, d), mask (b, T) and, with targets, labels (b, T) (-100 off-target).
        """
        embed = decoder.get_input_embeddings()
        dtype = embed.weight.dtype
        seqs, labels = [], []
        limit = getattr(decoder.config, "max_position_embeddings", None)
        for i, prompt in enumerate(prompts):
            prefix = prefixes[i]
            tokens = list(prompt) + list(targets[i] if targets is not None else [])
            ids = torch.tensor(tokens, dtype=torch.long, device=self.device)
            parts = ([prefix.to(dtype)] if prefix is not None else []) + [embed(ids)]
            seq = torch.cat(parts, dim=0)  # (T_i, d)
            if limit is not None and seq.shape[0] > limit:
                raise InputError(
                    f"decoder input of {seq.shape[0]} positions exceeds the backbone's context of {limit}; "
                    "retrieve fewer chunks or use a higher compression rate"
                )
            seqs.append(seq)
            n_prefix = seq.shape[0] - len(tokens)
            label = torch.full((seq.shape[0],), -100, dtype=torch.long, device=self.device)
            if targets is not None:
                label[n_prefix + len(prompt) :] = torch.tensor(targets[i], dtype=torch.long, device=self.device)
            labels.append(label)
        embeds, mask = pad_sequences(seqs, left=left_pad)
        if targets is None:
            return embeds, mask, None
        label_batch = torch.full(mask.shape, -100, dtype=torch.long, device=self.device)
        label_batch[mask.bool()] = torch.cat(labels)
        return embeds, mask, label_batch

    # ---------------------------------------------------------------- training objective

    def forward(self, batch: TrainBatch, rate: int, role: str = "answer") -> torch.Tensor:
        """Mean next-token loss of the targets given [LSA(composed chunks) ; prompt], decoded by
        the ``role``'s decoder (see :meth:`decoder_for`). Scalar."""
        merged, group_mask = self.encode_ids(batch.chunk_ids, batch.chunk_mask, (rate,))[rate]  # (C, G, d)
        chunks = [merged[c, : int(group_mask[c].sum())] for c in range(merged.shape[0])]
        composed = [self.compose([chunks[c] for c in owner]) for owner in batch.owners]
        soft = self.align(composed)
        return self.lm_loss(self.decoder_for(role), soft, batch.prompt_ids, batch.target_ids)

    def lm_loss(
        self,
        decoder: nn.Module,
        prefixes: Sequence[torch.Tensor | None],
        prompts: Sequence[Sequence[int]],
        targets: Sequence[Sequence[int]],
    ) -> torch.Tensor:
        """Cross-entropy of the targets; logits are computed on target positions only."""
        embeds, mask, labels = self._decoder_inputs(decoder, prefixes, prompts, targets, left_pad=False)
        hidden = base_model(decoder)(
            inputs_embeds=embeds, attention_mask=mask, position_ids=positions_from_mask(mask)
        ).last_hidden_state  # (b, T, d)
        next_labels = labels[:, 1:]  # position t predicts token t+1
        picked = next_labels != -100  # (b, T-1)
        logits = decoder.get_output_embeddings()(hidden[:, :-1][picked])  # (N, V)
        softcap = getattr(decoder.config, "final_logit_softcapping", None)
        if softcap:
            logits = torch.tanh(logits / softcap) * softcap
        return F.cross_entropy(logits.float(), next_labels[picked])

    # ---------------------------------------------------------------- generation

    def _prefixes(self, n: int, contexts: Sequence[Sequence[torch.Tensor]] | None) -> list[torch.Tensor | None]:
        """Soft tokens for each prompt's context (composed + aligned in one batch), or None."""
        if contexts is None:
            return [None] * n
        return list(self.align([self.compose(c) for c in contexts]))

    def _prepare(
        self, prompts: Sequence[str], prefixes: Sequence[torch.Tensor | None], role: str
    ) -> tuple[Decoder, torch.Tensor, torch.Tensor]:
        decoder = self.runner(role)
        prompt_ids = [self.format_prompt(p, role) for p in prompts]
        embeds, mask, _ = self._decoder_inputs(decoder.model, prefixes, prompt_ids, left_pad=True)
        return decoder, embeds, mask

    @_inference
    def generate(
        self,
        prompts: Sequence[str],
        contexts: Sequence[Sequence[torch.Tensor]] | None = None,
        params: SamplingParams | None = None,
        *,
        role: str = "answer",
        generator: torch.Generator | None = None,
    ) -> list[str]:
        """Answer each prompt, reading its context's stored merged vectors when given.

        contexts[i] is a list of chunks' merged vectors (g, d) at one rate (see :meth:`compress`);
        None answers from the prompt alone (closed book, or the full-text baseline when the
        prompt holds the text). ``role`` picks the decoder (:meth:`decoder_for`): "base" for the
        plain backbone (full text, closed book), "restate" for the autoencoder task.
        """
        params = params or SamplingParams()
        decoder, embeds, mask = self._prepare(prompts, self._prefixes(len(prompts), contexts), role)
        steps = list(decoder.iterate(embeds, mask, params, generator))
        tokens = torch.stack(steps, dim=1).tolist() if steps else [[] for _ in prompts]
        return [self._detokenize(row) for row in tokens]

    def stream(
        self,
        prompt: str,
        context: Sequence[torch.Tensor] | None = None,
        params: SamplingParams | None = None,
        *,
        role: str = "answer",
        generator: torch.Generator | None = None,
        soft_tokens: torch.Tensor | None = None,
        on_token: Callable[[], None] | None = None,
    ) -> Iterator[str]:
        """Yield the answer as text pieces as they are decoded; joined, they equal :meth:`generate`.

        ``soft_tokens`` (m, d), from :meth:`soft_tokens`, replaces ``context`` when the caller
        has already composed and aligned it (to time LSA apart from decoding). ``on_token`` is
        called after each decoded token, also those that yield no text (timing).
        """
        params = params or SamplingParams()
        # Inference mode and autocast are thread-local, and a consumer (a web server, an async
        # executor) may resume this generator on another thread at every step: each step
        # enters them anew instead of holding them across a yield.
        with torch.inference_mode(), self.autocast():
            prefix = soft_tokens if soft_tokens is not None else self._prefixes(1, None if context is None else [context])[0]
            decoder, embeds, mask = self._prepare([prompt], [prefix], role)
            steps = decoder.iterate(embeds, mask, params, generator)
        text = self.incremental_text()
        while True:
            with torch.inference_mode(), self.autocast():
                tokens = next(steps, None)
            if tokens is None:
                break
            if on_token is not None:
                on_token()
            token = int(tokens[0])
            if token in self._eos and not params.ignore_eos:
                break
            if piece := text.add(token):
                yield piece
        if piece := text.finish():
            yield piece

    def prompt_embeds(self, prompt: str, soft_tokens: torch.Tensor | None = None, role: str = "answer") -> torch.Tensor:
        """One answer's decoder input, [soft tokens ; embed(formatted prompt)]: (T, d).

        Raises :class:`~gmsa_rag.errors.InputError` when it exceeds the backbone's context.
        What :class:`~gmsa_rag.serving.BatchScheduler` pads into a batch.
        """
        decoder = self.decoder_for(role)
        embeds, _, _ = self._decoder_inputs(decoder, [soft_tokens], [self.format_prompt(prompt, role)])
        return embeds[0]

    def runner(self, role: str = "answer") -> Decoder:
        """The prefill / decode steps of one role's decoder (:meth:`decoder_for`); at precision
        "bf16-prefill" its bf16 twin runs the prefill. Out of training both run with the LoRA
        folded into the weights (:meth:`_twin`)."""
        decoder = self.decoder_for(role)
        if self.training:
            return Decoder(decoder, self._eos)
        prefill = self._twin(decoder, torch.bfloat16) if self.resolved_precision() == "bf16-prefill" else None
        return Decoder(self._twin(decoder), self._eos, prefill_model=prefill)

    def incremental_text(self) -> IncrementalText:
        """Turns this model's answer tokens into streamed text pieces (stops at EOS)."""
        return IncrementalText(self._detokenize)

    def _detokenize(self, ids: Sequence[int]) -> str:
        kept = []
        for token in ids:
            if token in self._eos:
                break
            kept.append(token)
        return self.tokenizer.decode(kept, skip_special_tokens=True)

    # ---------------------------------------------------------------- save / load

    def trained_state_dict(self) -> dict[str, torch.Tensor]:
        """Every parameter that is not a frozen backbone weight (LoRA, LSA, separator, adapters)."""
        base = {id(p) for p in self.backbone.parameters()}
        return {name: p.detach() for name, p in self.named_parameters() if id(p) not in base}

    def fingerprint(self) -> str:
        """Stable hash of the config and trained weights: the key that ties caches to this model."""
        if self._fingerprint is None or self.training:
            digest = hashlib.sha256(self.config.to_json().encode())
            digest.update(tensor_sha256(self.trained_state_dict()).encode())
            self._fingerprint = digest.hexdigest()[:32]
        return self._fingerprint

    def train(self, mode: bool = True) -> "GMSAModel":
        self._weights_changed()
        return super().train(mode)

    def save_pretrained(self, directory: str | Path, dtype: torch.dtype | None = None) -> Path:
        """Write ``config.json`` + ``model.safetensors`` (trained parameters only), atomically."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {k: (v.to(dtype) if dtype else v).to("cpu").contiguous() for k, v in self.trained_state_dict().items()}
        metadata = {"format": "pt", "gmsa_fingerprint": self.fingerprint(), "backbone_sha256": self.config.backbone_sha256}
        with tempfile.TemporaryDirectory(dir=directory, prefix=".tmp-save-") as tmp:
            save_file(tensors, os.path.join(tmp, WEIGHTS_NAME), metadata=metadata)
            self.config.save(os.path.join(tmp, CONFIG_NAME))
            os.replace(os.path.join(tmp, WEIGHTS_NAME), directory / WEIGHTS_NAME)
            os.replace(os.path.join(tmp, CONFIG_NAME), directory / CONFIG_NAME)
        return directory

    @classmethod
    def from_pretrained(
        cls, directory: str | Path, *, backbone: str | None = None,
        dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu",
    ) -> "GMSAModel":
        """Load a saved GMSA model onto its base backbone (resolved by name, or ``backbone``).

        ``directory="default"`` loads the trained model shipped in the package (for the built-in
        backbone ``smollm2-135m-instruct``; see ``gmsa_rag/default_model/MODEL_CARD.md``).

        Refuses a backbone whose weights differ from the one the model was trained on.
        """
        from gmsa_rag.backbones import load_backbone

        directory = DEFAULT_MODEL_DIR if str(directory) == "default" else Path(directory)
        config = GMSAConfig.load(directory / CONFIG_NAME)
        lm, tokenizer, resolved = load_backbone(backbone or config.backbone, dtype=dtype, device=device)
        return cls.from_parts(directory, config, lm, tokenizer, resolved.sha256)

    @classmethod
    def from_parts(cls, directory: str | Path, config: GMSAConfig, backbone: nn.Module, tokenizer, backbone_sha256: str | None = None) -> "GMSAModel":
        """Attach saved trained weights in ``directory`` to an already loaded backbone."""
        model = cls(config, backbone, tokenizer, backbone_sha256=backbone_sha256)
        if config.backbone_sha256 and model.config.backbone_sha256 != config.backbone_sha256:
            raise ModelMismatchError(
                f"the GMSA model in {directory} was trained on backbone {config.backbone!r} with weights "
                f"sha256 {config.backbone_sha256[:16]}..., but the backbone given has {model.config.backbone_sha256[:16]}...; "
                "load it with the original backbone (backbone=...) or retrain for this one"
            )
        model.load_trained(Path(directory) / WEIGHTS_NAME)
        return model

    def load_trained(
        self, path: Path, allow_missing_prefix: str | tuple[str, ...] | None = None, allow_new_projections: bool = False,
    ) -> list[str]:
        """Copy saved trained tensors into this model; any missing, extra or misshapen key is an error.

        ``allow_missing_prefix`` lets parameters under that prefix (or prefixes) keep their fresh
        values (KEFT starts from a stage-1 model that has no decoder adapter yet). An answering
        adapter missing that way starts as a copy of the restating one (:meth:`reset_answer_adapter`).
        ``allow_new_projections`` loads a file saved with narrower ``decoder_targets``: the LoRA of
        projections the file has none of (in an adapter it does have) keep their fresh values, whose
        B is zero, so the model computes what the file's model did. Returns the keys the file lacked.
        """
        try:
            tensors = load_file(str(path))
        except FileNotFoundError as exc:
            raise CheckpointError(f"no weights file at {path}") from exc
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(f"weights file {path} is corrupted or not safetensors: {exc}") from exc
        own = self.trained_state_dict()
        absent = set(own) - set(tensors)
        widened = _new_projections(absent, tensors) if allow_new_projections else set()
        missing = sorted(k for k in absent - widened if not (allow_missing_prefix and k.startswith(allow_missing_prefix)))
        unexpected = sorted(set(tensors) - set(own))
        if missing or unexpected:
            raise CheckpointError(f"weights in {path} do not fit this config: missing {missing[:5]}, unexpected {unexpected[:5]}")
        params = dict(self.named_parameters())
        with torch.no_grad():
            for name, value in tensors.items():
                if value.shape != own[name].shape:
                    raise CheckpointError(f"{path}: {name} has shape {tuple(value.shape)}, expected {tuple(own[name].shape)}")
                params[name].copy_(value.to(params[name].dtype))
        self._weights_changed()
        if any(k.startswith("answer_lm.") for k in absent - widened):
            self.reset_answer_adapter()  # a file from before answer_adapter "own": KEFT starts from stage 1
        return sorted(absent)


def _new_projections(absent: set[str], saved: dict[str, torch.Tensor]) -> set[str]:
    """The absent decoder-adapter LoRA keys of projections a saved adapter does not cover."""
    def module(key: str) -> str:  # 'decoder_lm.model.layers.0.mlp.up_proj.lora_A.decoder.weight' -> '...up_proj'
        return key.split(".lora_")[0]

    saved_modules = {module(k) for k in saved if ".lora_" in k}
    adapters = {k.split(".")[0] for k in saved_modules} & {"decoder_lm", "answer_lm"}
    return {k for k in absent if ".lora_" in k and k.split(".")[0] in adapters and module(k) not in saved_modules}


def describe_sizes(model: GMSAModel, num_tokens: int, rate: int, bytes_per_value: int = 2) -> dict[str, int]:
    """Bytes of the soft tokens for ``num_tokens`` text tokens vs. the KV cache of the same text."""
    cfg = model.backbone.config
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    kv_heads = getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads
    groups = -(-num_tokens // rate)
    return {
        "soft_tokens": groups,
        "soft_token_bytes": groups * model.dim * bytes_per_value,
        "kv_cache_bytes": num_tokens * 2 * cfg.num_hidden_layers * kv_heads * head_dim * bytes_per_value,
    }


__all__ = ["AUTOENCODER_PROMPT", "ChunkVectors", "GMSAModel", "TrainBatch", "describe_sizes"]
