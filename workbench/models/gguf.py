"""A GGUF file to a Hugging Face folder (float32), through transformers' GGUF loader (torch only here)."""

from __future__ import annotations

from pathlib import Path


def gguf_to_hf(gguf_file: Path, out_dir: Path) -> Path:
    """De-quantize the GGUF weights and save model, tokenizer and chat template as a Hugging Face folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_file = Path(gguf_file)
    tokenizer = AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name)
    model = AutoModelForCausalLM.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name, dtype=torch.float32)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    # tokenizer.json says everything; the slow-tokenizer copy would only add ~100 MB.
    (out_dir / "tokenizer.model").unlink(missing_ok=True)
    return out_dir
