"""Tiny random backbones of each supported family, with a small offline word-level tokenizer.

They let the model tests run on CPU in seconds while exercising the same transformers code
paths (rotary positions, GQA, q/k norms, Gemma's embedding scale) as the real backbones.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, decoders
from transformers import (
    AutoModelForCausalLM,
    Gemma2Config,
    GemmaConfig,
    LlamaConfig,
    MistralConfig,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen3Config,
)

from gmsa_rag.config import GMSAConfig
from gmsa_rag.model import GMSAModel

WORDS = (
    "the a an of to in and is was were be by for on with as at from that this it he she they "
    "city river king queen war year born died capital country people language music film book "
    "paris france london england rome italy berlin germany water fire stone gold red blue green "
    "restate aforementioned text question answer what who when where why how one two three four "
    "five six seven eight nine ten first last new old great small large north south east west . , ? !"
).split()
SPECIALS = ["<pad>", "<unk>", "<s>", "</s>", "<|user|>", "<|assistant|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)

FAMILIES = {
    "llama": LlamaConfig,
    "qwen2": Qwen2Config,
    "qwen3": Qwen3Config,
    "mistral": MistralConfig,
    "gemma": GemmaConfig,
    "gemma2": Gemma2Config,
}


def tiny_tokenizer(chat_template: bool = True) -> PreTrainedTokenizerFast:
    vocab = {tok: i for i, tok in enumerate(SPECIALS + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace()])
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", bos_token="<s>", eos_token="</s>"
    )
    if chat_template:
        fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_config(family: str, vocab_size: int, layers: int = 3, hidden: int = 64):
    common = dict(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=0,
        bos_token_id=2,
        eos_token_id=3,
        tie_word_embeddings=True,
        initializer_range=0.2,  # a sharper random decoder, so soft tokens can steer it in tests
    )
    if family in ("gemma", "gemma2", "qwen3"):
        common["head_dim"] = hidden // 4
    return FAMILIES[family](**common)


def tiny_backbone(family: str = "llama", seed: int = 0, layers: int = 3):
    """A random model of the family and the tiny tokenizer, in fp32 eval mode."""
    tokenizer = tiny_tokenizer()
    config = tiny_config(family, len(tokenizer), layers=layers)
    config._attn_implementation = "sdpa" if family != "gemma2" else "eager"
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)  # model init draws from the global RNG; restore it afterwards
    try:
        model = AutoModelForCausalLM.from_config(config)
    finally:
        torch.random.set_rng_state(generator_state)
    model.eval()
    return model, tokenizer


def save_tiny_backbone(directory: Path, family: str = "llama", seed: int = 0) -> Path:
    """Write a tiny backbone as a local Hugging Face directory (config, safetensors, tokenizer)."""
    model, tokenizer = tiny_backbone(family, seed)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


SAMPLE = "the king of france was born in paris in the first year . he was a great king"


DOCS = {
    "paris.txt": "The city of Paris is the capital of France. The river in Paris is the Seine.",
    "rome.txt": "Rome is the capital of Italy. The king of Rome was old.",
    "berlin.txt": "Berlin is the capital of Germany. Berlin has a great wall.",
}


def tiny_model(seed: int = 0) -> GMSAModel:
    """A tiny GMSA model, the same every call (LoRA's random init drawn from a local seed)."""
    lm, tokenizer = tiny_backbone("llama", seed=seed)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = GMSAModel(GMSAConfig(backbone="tiny", encoder_layers=2, lora_r=4, lora_alpha=8, rates=(4, 8)), lm, tokenizer)
    model._eos = set()  # random weights: decode the whole budget
    return model.eval()
