"""A tiny BERT-style encoder built locally, so unit tests never need the real weights."""

from __future__ import annotations

from pathlib import Path

WORDS = (
    "invoice charge payment refund billing money card bank paid price "
    "password login account locked reset email access user sign "
    "parcel delivery shipping late arrived courier tracking box order "
    "great love excellent happy good bad terrible awful broken poor "
    "the a my is was i to and of it not please help can you with"
).split()


def build_tiny_encoder_source(folder: Path) -> Path:
    """Save a 2-layer, 32-wide BERT with a word-level vocabulary as a Hugging Face folder."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    BertModel(config).eval().save_pretrained(folder)
    return folder


CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = (
    'Summarise the email. {"name": "Ann", "amount": 12.5, "tags": ["a", "b"]} '
    "The parcel arrived late and the invoice was wrong. Please refund my card payment of 45 euros. "
    "yes no maybe positive negative neutral billing shipping returns 0123456789 , : [ ] { } \" - ."
)


def build_tiny_llama_source(folder: Path) -> Path:
    """A 2-layer Llama with a byte-level BPE tokenizer and a ChatML template, as a Hugging Face folder."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=special,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator([CORPUS] * 20, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                   pad_token="<|endoftext|>", unk_token="<|endoftext|>")
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id,
                         pad_token_id=fast.pad_token_id, tie_word_embeddings=True,
                         initializer_range=0.5)  # large weights: varied, context-dependent greedy output
    LlamaForCausalLM(config).eval().save_pretrained(folder)
    return folder


GGUF_NAMES = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
              "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
              "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm"}


def build_tiny_llama_gguf(hf_folder: Path, gguf_file: Path, q4_1: bool = False) -> Path:
    """The tiny Llama written as llama.cpp writes a GGUF file (byte-level BPE vocabulary); float32 tensors, or
    with q4_1 its linear layers in Q4_1 blocks as in the bundled SmolLM2 file."""
    import gguf
    from transformers import AutoTokenizer, LlamaForCausalLM

    model, tokenizer = LlamaForCausalLM.from_pretrained(hf_folder), AutoTokenizer.from_pretrained(hf_folder)
    writer = gguf.GGUFWriter(str(gguf_file), "llama")
    _gguf_config(writer, model.config)
    _gguf_tokenizer(writer, tokenizer)
    for name, tensor in model.state_dict().items():
        if name != "lm_head.weight":  # tied to the embeddings, as in SmolLM2
            weights = _llama_cpp_order(name, tensor.numpy(), model.config)
            if q4_1 and _is_linear(name):
                kind = gguf.GGMLQuantizationType.Q4_1
                writer.add_tensor(_gguf_name(name), gguf.quants.quantize(weights, kind), raw_dtype=kind)
            else:
                writer.add_tensor(_gguf_name(name), weights)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return gguf_file


def _is_linear(name: str) -> bool:
    return name.endswith("_proj.weight")


def _gguf_config(writer, config) -> None:
    writer.add_block_count(config.num_hidden_layers)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_freq_base(config.rope_theta)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_vocab_size(config.vocab_size)
    writer.add_rope_dimension_count(config.hidden_size // config.num_attention_heads)
    writer.add_file_type(0)  # all float32


def _gguf_tokenizer(writer, tokenizer) -> None:
    import json

    state = json.loads(tokenizer.backend_tokenizer.to_str())["model"]
    tokens = [token for token, _ in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_types([3 if t in tokenizer.all_special_tokens else 1 for t in tokens])
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in state["merges"]])
    writer.add_bos_token_id(tokenizer.bos_token_id)
    writer.add_eos_token_id(tokenizer.eos_token_id)
    writer.add_unk_token_id(tokenizer.unk_token_id)
    writer.add_pad_token_id(tokenizer.pad_token_id)
    writer.add_add_bos_token(False)
    writer.add_chat_template(tokenizer.chat_template)


def _gguf_name(name: str) -> str:
    if name == "model.embed_tokens.weight":
        return "token_embd.weight"
    if name == "model.norm.weight":
        return "output_norm.weight"
    _, _, layer, rest = name.split(".", 3)
    return f"blk.{layer}.{GGUF_NAMES[rest.removesuffix('.weight')]}.weight"


def _llama_cpp_order(name: str, weights, config):
    """llama.cpp stores q and k rows interleaved for its rotary embedding; transformers undoes this on loading."""
    heads = {"q_proj": config.num_attention_heads, "k_proj": config.num_key_value_heads}
    kind = next((k for k in heads if f".{k}." in name), None)
    if kind is None:
        return weights
    n_head = heads[kind]
    return weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(
        weights.shape)
