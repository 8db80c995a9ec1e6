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
