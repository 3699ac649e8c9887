"""Frozen, validated configuration of a GMSA model, saved as ``config.json``.

A config is checked once, when it is built; everything downstream trusts it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gmsa_rag.errors import ConfigError

MERGERS = ("group", "icae")
ALIGNERS = ("lsa", "linear")
LSA_INITS = ("backbone", "random")
DECODER_ADAPTERS = ("none", "lora", "qkv")
RESTATE_DECODERS = ("base", "adapted")
ANSWER_ADAPTERS = ("shared", "own")
DECODER_ROLES = ("answer", "restate", "base")  # GMSAModel.decoder_for: which decoder reads soft tokens
ALL_LINEAR = "all-linear"  # decoder_targets shorthand: every linear layer of the decoder blocks
FORMAT_VERSION = 1


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


@dataclass(frozen=True)
class GMSAConfig:
    """Everything that defines a GMSA model besides the base backbone's weights.

    Attributes:
        backbone: name the backbone resolves from (built-in name, local dir or hub id).
        backbone_sha256: checksum of the backbone weights the trained parameters belong to
            ("" until the model is bound to a backbone).
        encoder_layers: k, the number of backbone layers the encoder runs (paper: 8).
        lora_r / lora_alpha / lora_dropout: LoRA on every linear layer of the encoder.
        merger: "group" (GMSA group merging) or "icae" (learned memory tokens, baseline).
        aligner: "lsa" (Layer Semantic Alignment) or "linear" (ablation).
        lsa_layers: k_LSA, transformer blocks in the LSA (paper: 1).
        lsa_init: "backbone" (copy of the first decoder layers) or "random" (ablation).
        rates: compression rates the model supports; one encoder pass yields all of them.
        max_memory_tokens: ICAE memory slots (the longest chunk / smallest rate needs them).
        separator: text whose encoding initialises the learned separator between chunks.
        decoder_adapter: "none", "lora" (LoRA on the decoder's ``decoder_targets``) or "qkv"
            (train those projections in full, as in the paper's KEFT). The adapter lives on a
            twin of the backbone that shares its weights: full-text mode keeps the base model.
        decoder_lora_r / decoder_lora_alpha: the decoder LoRA size.
        decoder_targets: projections the decoder adapter covers (default q/k/v), or
            ("all-linear",) for every linear layer of the decoder blocks.
        decoder_layers: indices of the decoder layers it covers; () means all of them.
        restate_decoder: the decoder that restates a text from its soft tokens (the autoencoder
            task): "base" when the adapter was trained by KEFT alone (v1), "adapted" when it
            trained in stage 1 too (the trainer sets it).
        answer_adapter: "shared": one decoder adapter restates and answers (KEFT continues the
            stage-1 one); "own": answering has its own adapter of the same scope, a copy of the
            restating one when stage 1 ends, that KEFT trains alone, so the model still restates.
        max_chunk_tokens: longest chunk the encoder accepts in one piece.
        system_prompt: the system turn of the GMSA prompts (the restating and answering roles):
            None keeps the chat template's own default (SmolLM2's is "You are a helpful AI
            assistant named SmolLM, trained by Hugging Face", 16 positions more than an empty
            turn in every prompt), "" an empty system turn, any other text that turn. The base backbone
            (full text, closed book) always gets the template's default, as its users run it.
    """

    backbone: str = "smollm2-135m-instruct"
    backbone_sha256: str = ""
    encoder_layers: int = 8
    lora_r: int = 64
    lora_alpha: int = 128
    lora_dropout: float = 0.05
    merger: str = "group"
    aligner: str = "lsa"
    lsa_layers: int = 1
    lsa_init: str = "backbone"
    rates: tuple[int, ...] = (4, 8)
    max_memory_tokens: int = 128
    separator: str = "\n\n"
    decoder_adapter: str = "none"
    decoder_lora_r: int = 16
    decoder_lora_alpha: int = 32
    decoder_targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj")
    decoder_layers: tuple[int, ...] = ()
    restate_decoder: str = "base"
    answer_adapter: str = "shared"
    max_chunk_tokens: int = 512
    system_prompt: str | None = None
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rates", tuple(int(r) for r in self.rates))
        object.__setattr__(self, "decoder_targets", tuple(str(t) for t in self.decoder_targets))
        object.__setattr__(self, "decoder_layers", tuple(int(i) for i in self.decoder_layers))
        _check(isinstance(self.backbone, str) and self.backbone != "", "backbone must be a non-empty name")
        _check(self.encoder_layers >= 1, f"encoder_layers must be >= 1, got {self.encoder_layers}")
        _check(self.lora_r >= 0, f"lora_r must be >= 0 (0 disables the encoder LoRA), got {self.lora_r}")
        _check(0.0 <= self.lora_dropout < 1.0, f"lora_dropout must be in [0, 1), got {self.lora_dropout}")
        _check(self.merger in MERGERS, f"merger must be one of {MERGERS}, got {self.merger!r}")
        _check(self.aligner in ALIGNERS, f"aligner must be one of {ALIGNERS}, got {self.aligner!r}")
        _check(self.lsa_init in LSA_INITS, f"lsa_init must be one of {LSA_INITS}, got {self.lsa_init!r}")
        _check(self.lsa_layers >= 1, f"lsa_layers must be >= 1, got {self.lsa_layers}")
        _check(len(self.rates) >= 1, "rates must name at least one compression rate")
        for rate in self.rates:
            _check(rate >= 1, f"compression rates must be integers >= 1, got {rate}")
        _check(len(set(self.rates)) == len(self.rates), f"rates must not repeat, got {self.rates}")
        _check(self.max_memory_tokens >= 1, f"max_memory_tokens must be >= 1, got {self.max_memory_tokens}")
        _check(
            self.decoder_adapter in DECODER_ADAPTERS,
            f"decoder_adapter must be one of {DECODER_ADAPTERS}, got {self.decoder_adapter!r}",
        )
        _check(self.decoder_lora_r >= 1, f"decoder_lora_r must be >= 1, got {self.decoder_lora_r}")
        _check(
            len(self.decoder_targets) >= 1 and all(t.isidentifier() or t == ALL_LINEAR for t in self.decoder_targets),
            f"decoder_targets must name projections (e.g. q_proj) or be ({ALL_LINEAR!r},), got {self.decoder_targets}",
        )
        _check(
            all(i >= 0 for i in self.decoder_layers) and len(set(self.decoder_layers)) == len(self.decoder_layers),
            f"decoder_layers must be distinct layer indices >= 0, got {self.decoder_layers}",
        )
        _check(
            self.restate_decoder in RESTATE_DECODERS,
            f"restate_decoder must be one of {RESTATE_DECODERS}, got {self.restate_decoder!r}",
        )
        _check(
            self.restate_decoder == "base" or self.decoder_adapter != "none",
            "restate_decoder 'adapted' needs a decoder adapter (decoder_adapter 'lora' or 'qkv')",
        )
        _check(
            self.answer_adapter in ANSWER_ADAPTERS,
            f"answer_adapter must be one of {ANSWER_ADAPTERS}, got {self.answer_adapter!r}",
        )
        _check(
            self.answer_adapter == "shared" or self.decoder_adapter != "none",
            "answer_adapter 'own' needs a decoder adapter (decoder_adapter 'lora' or 'qkv')",
        )
        _check(self.max_chunk_tokens >= 1, f"max_chunk_tokens must be >= 1, got {self.max_chunk_tokens}")
        _check(
            self.system_prompt is None or isinstance(self.system_prompt, str),
            f"system_prompt must be a string or null (the chat template's default), got {self.system_prompt!r}",
        )
        _check(
            self.format_version == FORMAT_VERSION,
            f"config format_version {self.format_version} is not supported (this gmsa_rag reads {FORMAT_VERSION})",
        )

    def replace(self, **changes: Any) -> "GMSAConfig":
        """Return a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key in ("rates", "decoder_targets", "decoder_layers"):
            data[key] = list(data[key])
        if data["system_prompt"] is None:  # written only when set: older models keep their fingerprints
            del data["system_prompt"]
        return data

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): the same config always gives the same text."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GMSAConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        _check(not unknown, f"unknown GMSA config keys: {unknown}")
        return cls(**data)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "GMSAConfig":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"no GMSA config at {path}") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"GMSA config {path} is not valid JSON: {exc}") from exc
        _check(isinstance(data, dict), f"GMSA config {path} must hold a JSON object")
        return cls.from_dict(data)
