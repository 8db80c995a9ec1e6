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
