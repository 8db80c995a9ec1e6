"""A GGUF file to a Hugging Face folder (float32), through transformers' GGUF loader (torch only here)."""

from __future__ import annotations

from pathlib import Path

from workbench.errors import ModelNotReadyError


def gguf_to_hf(gguf_file: Path, out_dir: Path) -> Path:
    """De-quantize the GGUF weights and save model, tokenizer and chat template as a Hugging Face folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_file = Path(gguf_file)
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name)
        model = AutoModelForCausalLM.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name, dtype=torch.float32)
    except Exception as exc:  # the reader's own words ("GGUF magic invalid") say what, not what to do
        raise ModelNotReadyError(
            f"{gguf_file.name} could not be read as a GGUF model ({exc}). Check that the file is complete (download "
            "it again if it was cut short) and holds a model transformers can read from GGUF (Llama, Mistral, Qwen2, "
            "Phi-3, Gemma and similar).") from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    # tokenizer.json says everything; the slow-tokenizer copy would only add ~100 MB.
    (out_dir / "tokenizer.model").unlink(missing_ok=True)
    return out_dir
