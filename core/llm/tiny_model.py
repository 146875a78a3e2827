"""A tiny random-weight GGUF model with a real vocabulary, written on demand for tests and benchmarks.

It exercises the real llama.cpp path (loading, the ChatML chat template, grammar-constrained answers, token
usage, embeddings) in milliseconds. Its weights are random: its answers are chance by construction, so it is
never offered in the app and its accuracy is never reported as a model's quality.

The vocabulary is byte-level BPE (GPT-2's byte-to-unicode table, a few merges) plus ChatML's control tokens,
so any text, Chinese included, tokenises without an outside vocabulary file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CHATML_TEMPLATE = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] "
                   "+ '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
                   "{% endif %}")
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
MERGES = ("Ġ t", "Ġ a", "h e", "i n", "r e", "o n", "Ġ s", "e r")
MODEL_NAME = "tiny random test model"


def byte_level_alphabet() -> list[str]:
    """GPT-2's printable stand-in for each of the 256 byte values, in byte order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    codes, extra = dict(zip(printable, printable)), 0
    for byte in range(256):
        if byte not in codes:
            codes[byte] = 256 + extra
            extra += 1
    return [chr(codes[byte]) for byte in range(256)]


def write_tiny_model(path: str | Path, *, layers: int = 2, width: int = 64, heads: int = 4, context: int = 8192,
                     random_state: int = 0) -> Path:
    """Write a llama-architecture GGUF file (float16 weights, about 0.25 MB at the defaults) and return its path."""
    import gguf

    if width % heads:
        raise ValueError(f"width {width} must be a multiple of heads {heads}, e.g. width=64, heads=4.")
    rng = np.random.default_rng(random_state)
    tokens = [*byte_level_alphabet(), *(merge.replace(" ", "") for merge in MERGES)]
    types = [gguf.TokenType.NORMAL] * len(tokens) + [gguf.TokenType.CONTROL] * len(SPECIAL_TOKENS)
    tokens += SPECIAL_TOKENS
    vocabulary = len(tokens)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(MODEL_NAME)
    writer.add_block_count(layers)
    writer.add_context_length(context)
    writer.add_embedding_length(width)
    writer.add_feed_forward_length(2 * width)
    writer.add_head_count(heads)
    writer.add_head_count_kv(heads)
    writer.add_rope_dimension_count(width // heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_vocab_size(vocabulary)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(list(MERGES))
    writer.add_bos_token_id(tokens.index("<|im_start|>"))
    writer.add_eos_token_id(tokens.index("<|im_end|>"))
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHATML_TEMPLATE)

    def weights(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.05).astype(np.float16)

    norm = np.ones(width, dtype=np.float32)
    writer.add_tensor("token_embd.weight", weights(vocabulary, width))
    writer.add_tensor("output_norm.weight", norm)
    writer.add_tensor("output.weight", weights(vocabulary, width))
    for block in range(layers):
        prefix = f"blk.{block}."
        writer.add_tensor(prefix + "attn_norm.weight", norm)
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"{prefix}{name}.weight", weights(width, width))
        writer.add_tensor(prefix + "ffn_norm.weight", norm)
        writer.add_tensor(prefix + "ffn_gate.weight", weights(2 * width, width))
        writer.add_tensor(prefix + "ffn_up.weight", weights(2 * width, width))
        writer.add_tensor(prefix + "ffn_down.weight", weights(width, 2 * width))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
