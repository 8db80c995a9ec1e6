"""A GGUF file to a Hugging Face folder (float32), through transformers' GGUF loader (torch only here)."""

from __future__ import annotations

import logging
from pathlib import Path

from workbench.errors import ModelNotReadyError

logger = logging.getLogger(__name__)
# Every GGUF file begins with these four bytes.
GGUF_MAGIC = b"GGUF"
READABLE_KINDS = "Llama, Mistral, Qwen2, Phi-3, Gemma and similar"


def check_gguf(gguf_file: Path) -> None:
    """Refuse, before minutes of export, a file that is empty, not GGUF, or cut short: the reader's own words for
    these ("cannot mmap an empty file", "index 0 is out of bounds") said nothing a user could act on."""
    if gguf_file.stat().st_size == 0:
        raise ModelNotReadyError(f"'{gguf_file.name}' is empty (0 bytes): download it again.")
    with open(gguf_file, "rb") as handle:
        if handle.read(len(GGUF_MAGIC)) != GGUF_MAGIC:
            raise ModelNotReadyError(f"'{gguf_file.name}' could not be read as a GGUF model: it does not begin as a "
                                     "GGUF file does. Check that it is the model's .gguf file, or download it again.")
    _check_complete(gguf_file)


def _check_complete(gguf_file: Path) -> None:
    """The gguf package reads the header and maps every tensor it lists: a file cut anywhere fails one of them."""
    from gguf import GGUFReader

    try:
        GGUFReader(gguf_file)
    except (ValueError, IndexError, KeyError, OverflowError, MemoryError):  # lengths read from a cut or garbled header
        logger.info("Reading the GGUF file %s failed", gguf_file, exc_info=True)
        raise ModelNotReadyError(f"'{gguf_file.name}' is not a complete GGUF file (it may be cut short: download it "
                                 "again).") from None


def _architecture(gguf_file: Path) -> str:
    """The kind of model the file's header names ("llama", "bloom"), as llama.cpp wrote it."""
    from gguf import GGUFReader

    field = GGUFReader(gguf_file).fields.get("general.architecture")
    return str(field.contents()) if field is not None else "not named in the file"


def gguf_to_hf(gguf_file: Path, out_dir: Path) -> Path:
    """De-quantize the GGUF weights and save model, tokenizer and chat template as a Hugging Face folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_file = Path(gguf_file)
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name)
        model = AutoModelForCausalLM.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name, dtype=torch.float32)
    except Exception as exc:  # a complete file (check_gguf): most likely a kind of model with no GGUF reader here
        logger.info("Reading the GGUF file %s failed", gguf_file, exc_info=True)  # the reader's own words
        raise ModelNotReadyError(
            f"'{gguf_file.name}' could not be read as a GGUF model, though the file is complete: it holds a kind of "
            f"model ({_architecture(gguf_file)}) this app cannot read from a GGUF file (it reads {READABLE_KINDS}), "
            "or it is damaged inside. Add the model's Hugging Face folder instead.") from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    # tokenizer.json says everything; the slow-tokenizer copy would only add ~100 MB.
    (out_dir / "tokenizer.model").unlink(missing_ok=True)
    return out_dir
