"""The fix model as a Hugging Face model directory (`LlamaForCausalLM` + a `tokenizer.json`),
so vLLM in-process, `vllm serve` and `transformers` load exactly the model and tokenizer the
local backend runs: the same token ids for the same text, the same greedy answers."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from engine.model.net import FixModel
from engine.model.tokenizer import BYTE_CHARS, END_OF_TEXT, PATTERN, Tokenizer


def _piece_text(tokenizer: Tokenizer, token: int) -> str:
    """A token's bytes in the byte-level alphabet (one printable character per byte)."""
    return "".join(BYTE_CHARS[b] for b in tokenizer.piece(token))


def _vocab(tokenizer: Tokenizer) -> dict[str, int]:
    vocab: dict[str, int] = {}
    for token in range(tokenizer.eot):
        name = _piece_text(tokenizer, token)
        if name in vocab:
            # `tokenizers` keys its vocabulary by text: a repeat would lose a token id.
            raise ValueError(f"token {token} repeats token {vocab[name]}: not exportable")
        vocab[name] = token
    vocab[END_OF_TEXT] = tokenizer.eot
    return vocab


def _byte_level() -> dict[str, object]:
    # No regex of its own: the split before it is ours.
    return {
        "type": "ByteLevel",
        "add_prefix_space": False,
        "trim_offsets": False,
        "use_regex": False,
    }


def _end_of_text(tokenizer: Tokenizer) -> dict[str, object]:
    return {
        "id": tokenizer.eot,
        "content": END_OF_TEXT,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": True,
    }


def _bpe(tokenizer: Tokenizer) -> dict[str, object]:
    """Our merges in rank order, which is the order `tokenizers` applies them in."""
    return {
        "type": "BPE",
        "dropout": None,
        "unk_token": None,
        "continuing_subword_prefix": None,
        "end_of_word_suffix": None,
        "fuse_unk": False,
        "byte_fallback": False,
        "ignore_merges": False,
        "vocab": _vocab(tokenizer),
        "merges": [
            [_piece_text(tokenizer, a), _piece_text(tokenizer, b)] for a, b in tokenizer.merges
        ],
    }


def tokenizer_json(tokenizer: Tokenizer) -> dict[str, object]:
    """The tokenizer in the `tokenizers` library's format: our regex split, byte-level
    alphabet, our merges in rank order."""
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [_end_of_text(tokenizer)],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {
                    "type": "Split",
                    "pattern": {"Regex": PATTERN},
                    "behavior": "Isolated",
                    "invert": False,
                },
                _byte_level(),
            ],
        },
        "post_processor": None,
        "decoder": _byte_level(),
        "model": _bpe(tokenizer),
    }


def _state(model: FixModel) -> dict[str, torch.Tensor]:
    """Our parameter names -> Llama's."""
    out = {"model.embed_tokens.weight": model.embed.weight, "model.norm.weight": model.norm.weight}
    names = {
        "attn_norm": "input_layernorm",
        "mlp_norm": "post_attention_layernorm",
        "q": "self_attn.q_proj",
        "k": "self_attn.k_proj",
        "v": "self_attn.v_proj",
        "o": "self_attn.o_proj",
        "gate": "mlp.gate_proj",
        "up": "mlp.up_proj",
        "down": "mlp.down_proj",
    }
    for i, block in enumerate(model.blocks):
        for ours, theirs in names.items():
            out[f"model.layers.{i}.{theirs}.weight"] = getattr(block, ours).weight
    return {k: v.detach().to(torch.float32).contiguous().clone() for k, v in out.items()}


def export_hf(
    model: FixModel, tokenizer: Tokenizer, target: Path, name: str = "redline-fixer"
) -> Path:
    c = model.config
    target.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": c.vocab_size,
        "hidden_size": c.dim,
        "intermediate_size": c.ffn,
        "num_hidden_layers": c.layers,
        "num_attention_heads": c.heads,
        "num_key_value_heads": c.heads,
        "head_dim": c.head_dim,
        "max_position_embeddings": c.context,
        "rms_norm_eps": c.norm_eps,
        "rope_theta": c.rope_theta,
        "rope_scaling": None,
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": True,
        "bos_token_id": tokenizer.eot,
        "eos_token_id": tokenizer.eot,
        "torch_dtype": "float32",
    }
    (target / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (target / "generation_config.json").write_text(
        json.dumps({"eos_token_id": tokenizer.eot, "bos_token_id": tokenizer.eot}), encoding="utf-8"
    )
    state = _state(model)
    try:
        from safetensors.torch import save_file
    except ImportError:  # transformers and vLLM read the torch format too
        torch.save(state, target / "pytorch_model.bin")
    else:
        save_file(state, str(target / "model.safetensors"), metadata={"format": "pt"})
    (target / "tokenizer.json").write_text(json.dumps(tokenizer_json(tokenizer)), encoding="utf-8")
    (target / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "model_max_length": c.context,
                "eos_token": END_OF_TEXT,
                "bos_token": END_OF_TEXT,
                "pad_token": END_OF_TEXT,
                "add_bos_token": False,
                "add_eos_token": False,
                "clean_up_tokenization_spaces": False,
                "name_or_path": name,
            }
        ),
        encoding="utf-8",
    )
    return target
