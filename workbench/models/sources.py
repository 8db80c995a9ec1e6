"""Where a model the user adds comes from: a local Hugging Face folder, a GGUF file, or a hub id.

A hub id (`org/name`) is downloaded with huggingface_hub on machines that are online; everything
after that runs offline from the prepared copy.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from pathlib import Path

from workbench.errors import ModelNotReadyError
from workbench.models.gguf import check_gguf
from workbench.models.sentence_layout import has_pooling, model_folder, sentence_layout

logger = logging.getLogger(__name__)

HUB_ID = re.compile(r"^(hub:)?([A-Za-z0-9][\w.-]*/[\w.-]+)$")
# The weight files transformers reads from a Hugging Face folder (sharded ones included).
WEIGHT_FILES = ("*.safetensors", "pytorch_model*.bin")
# Weights, configuration and tokenizer: no other framework's weights, no ONNX, no images.
HUB_FILES = ["*.json", "*.safetensors", "*.bin", "*.txt", "*.model", "*.jinja"]


def resolve_source(source: str) -> tuple[Path, str]:
    """A local path to read the model from, and how the manifest should name its origin."""
    path = Path(source).expanduser()
    if path.exists():
        return _checked_local(path.resolve()), str(path.resolve())
    if _names_a_local_path(source):
        where = "" if Path(source).expanduser().is_absolute() else f" in {Path.cwd()}"
        raise ModelNotReadyError(f"There is no folder or file '{source}'{where}. Check the path; a model on the "
                                 "Hugging Face hub is named as org/name.")
    match = HUB_ID.match(source.strip())
    if match is None:
        raise ModelNotReadyError(f"'{source}' is neither a model folder, a .gguf file nor a hub id such as "
                                 "'sentence-transformers/all-MiniLM-L6-v2'. Check the path or the name.")
    return download_from_hub(match.group(2)), f"hub:{match.group(2)}"


def _names_a_local_path(source: str) -> bool:
    """A source written as a path, or inside a folder that exists here: a typo in a local path was sent to the hub
    as a name, and the answer spoke of the hub."""
    written = Path(source.strip()).expanduser()
    return source.strip().startswith(("/", ".", "~")) or source.count("/") > 1 or (
        len(written.parts) > 1 and written.parent.is_dir())


def _checked_local(path: Path) -> Path:
    if path.is_file() and path.suffix.lower() == ".gguf":
        check_gguf(path)
        return path
    if path.is_dir() and (path / "config.json").exists():
        return _checked_folder(path)
    if path.is_dir() and (model_folder(path) / "config.json").exists():  # sentence-transformers' older layout
        return _checked_folder(model_folder(path))
    raise ModelNotReadyError(f"'{path}' is not a model: give a Hugging Face model folder (with config.json) "
                             "or a .gguf file.")


def _checked_folder(path: Path) -> Path:
    """A Hugging Face folder the export can read, refused at once otherwise: the export's own failures came minutes
    later, in its library's words (a 5,000-character list of model types for a config without one)."""
    config = model_config(path)
    if not config.get("model_type"):
        raise ModelNotReadyError(f"'{path}' has a config.json that does not say which kind of model it is (no "
                                 "`model_type`). Add the model's original Hugging Face folder.")
    if not any(any(path.glob(pattern)) for pattern in WEIGHT_FILES):
        raise ModelNotReadyError(f"'{path}' has no model weights ({', '.join(WEIGHT_FILES)}): an unfinished "
                                 "download, or a folder another tool made (an ONNX file alone cannot be added). "
                                 "Add the model's original Hugging Face folder.")
    _check_not_encoder_decoder(path, config)
    sentence_layout(path)  # a sentence-transformers step this version cannot run: refused before the export
    for weights in sorted(path.glob("*.safetensors")):
        _check_safetensors(path, weights)
    for weights in sorted(path.glob("pytorch_model*.bin")):
        _check_torch_weights(path, weights)
    _check_tokenizer(path)
    return path


def _check_not_encoder_decoder(path: Path, config: dict) -> None:
    """T5 and BART (but T5's encoder alone, as sentence-T5 keeps it) fit neither kind: refused before the export."""
    if config.get("is_encoder_decoder") and not any(a.endswith("EncoderModel") for a in config.get("architectures") or []):
        raise ModelNotReadyError(f"'{path.name}' is an encoder-decoder model ({config.get('model_type')}), which this "
                                 "version cannot run: it runs encoders (classify, route) and generators that write on "
                                 "from the prompt (Llama, Qwen, Phi-3, Gemma, SmolLM). Choose one of those.")


def _check_tokenizer(path: Path) -> None:
    """A folder without tokenizer.json has it made from its other files (vocab.txt, a SentencePiece model) by the
    export: one that cannot be made was found only after minutes of export, and called damaged."""
    if (path / "tokenizer.json").is_file():
        return
    from transformers import AutoTokenizer

    try:
        readable = AutoTokenizer.from_pretrained(str(path)).is_fast
    except Exception:  # a missing or unknown tokenizer file, in the library's words: those go to the log
        logger.info("Reading the tokenizer of %s failed", path, exc_info=True)
        readable = False
    if not readable:
        raise ModelNotReadyError(f"'{path}' has no tokenizer.json, and its tokenizer cannot be made from its other "
                                 "files. Add the model's folder with its tokenizer.json (the model's page on the "
                                 "Hugging Face hub has one).")


def _check_safetensors(path: Path, weights: Path) -> None:
    """Reads the file's header and checks it covers the whole file: a random or cut-short file fails that."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(weights), framework="np"):
            pass
    except (SafetensorError, OSError):
        logger.info("Reading the weights %s failed", weights, exc_info=True)  # the library's own words
        raise ModelNotReadyError(f"The weights in '{path}' cannot be read ({weights.name} is damaged or not a "
                                 "safetensors file). Download the model again.") from None


# What torch.save writes: a zip archive, or in its older format a pickle (protocol 2 and up begin with this byte).
PICKLE_START = b"\x80"


def _check_torch_weights(path: Path, weights: Path) -> None:
    """Only the file's first bytes: loading it would take torch and seconds, and a random or emptied file fails this."""
    with open(weights, "rb") as handle:
        start = handle.read(1)
    if not (zipfile.is_zipfile(weights) or start == PICKLE_START):
        raise ModelNotReadyError(f"The weights in '{path}' cannot be read ({weights.name} is damaged or not a PyTorch "
                                 "weights file). Download the model again.")


def download_from_hub(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(repo_id, allow_patterns=HUB_FILES))
    except Exception as exc:  # network, authentication, unknown repository: said in words, the library's in the log
        logger.info("Downloading %s from the Hugging Face hub failed", repo_id, exc_info=True)
        raise ModelNotReadyError(f"Could not get '{repo_id}' from the Hugging Face hub: {_hub_problem(exc)}") from exc
    return _checked_folder(folder)


def _hub_problem(exc: Exception) -> str:
    """What went wrong with the hub, and what to do about it."""
    from huggingface_hub.errors import GatedRepoError, LocalEntryNotFoundError, RepositoryNotFoundError

    if isinstance(exc, LocalEntryNotFoundError):  # offline, or the hub unreachable, and no copy downloaded before
        return ("it is not a folder or file on this machine, and this machine cannot reach the hub (or there is no "
                "model of that name there). Check the name, or download the model folder elsewhere and add that.")
    if isinstance(exc, GatedRepoError):  # a RepositoryNotFoundError too: asked first
        return ("the model's owners ask users to accept their terms first. Accept them on huggingface.co and log in "
                "on this machine (`hf auth login`), or download the model folder elsewhere and add that.")
    if isinstance(exc, RepositoryNotFoundError):
        return "there is no model of that name there (or it is private). Check the name."
    return ("check the name and that this machine is online, or download the model folder elsewhere and add it by "
            "its path.")


def model_config(path: Path) -> dict:
    """The folder's config.json; an empty or cut-off one (a download that did not finish) said in words."""
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelNotReadyError(f"'{path / 'config.json'}' cannot be read (it is empty, cut short or not JSON). The "
                                 "folder is probably an unfinished download: download the model again.") from exc
    if not isinstance(config, dict):
        raise ModelNotReadyError(f"'{path / 'config.json'}' is not a model configuration (a JSON object of settings). "
                                 "Download the model again.")
    return config


def detect_kind(path: Path) -> str:
    """generator for causal language models (and GGUF files), encoder otherwise."""
    if path.suffix.lower() == ".gguf":
        return "generator"
    config = model_config(path)
    # GPT-2 and its kin name their text-generating class ...LMHeadModel (encoder-decoders are refused on adding).
    writes = any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in config.get("architectures") or [])
    # An embedding model made from a generator (gte-Qwen2) keeps its ...ForCausalLM name and pools its tokens.
    return "generator" if writes and not has_pooling(path) else "encoder"


# The families added, run and compared with PyTorch end to end with this version (tests/test_model_families.py and
# the notes filed with them); another may work, or fail in the export in its library's words.
CHECKED_FAMILIES = {
    "encoder": ("bert", "distilbert", "roberta", "xlm-roberta", "mpnet", "deberta-v2", "modernbert", "electra"),
    "generator": ("llama", "mistral", "qwen2", "qwen3", "phi3", "gpt_neox", "stablelm", "olmo", "gpt2", "gemma",
                  "gemma2", "gemma3_text"),
}


def unchecked_family(path: Path, kind: str) -> str | None:
    """The folder's model_type where it is not among the families checked, for a failure's message."""
    if path.suffix.lower() == ".gguf" or not (path / "config.json").is_file():
        return None
    family = str(model_config(path).get("model_type"))
    return None if family in CHECKED_FAMILIES[kind] else family


# Models whose position ids start after the padding id (RoBERTa's scheme): a 514-position RoBERTa reads 512
# tokens, and a BERTweet-like 130-position one 128; at 130 tokens a row failed with an onnxruntime index error.
OFFSET_POSITIONS = {"roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "mpnet", "data2vec-text", "ibert"}


def max_length(path: Path, kind: str) -> int:
    """The longest input to allow: the model's window; an encoder's capped at 512 tokens, as they are trained, or
    at the length its sentence-transformers folder names."""
    if path.suffix.lower() == ".gguf":
        return 2048
    config = model_config(path)
    if kind == "generator":
        return generator_window(config)
    window = int(config.get("max_position_embeddings") or config.get("n_positions") or 512)
    if config.get("model_type") in OFFSET_POSITIONS:
        window -= int(config.get("pad_token_id") or 0) + 1
    return min(window, 512, sentence_layout(path).max_seq_length or 512)  # the length its sentence vectors learnt


def generator_window(config: dict) -> int:
    """The tokens a generator reads, prompt and answer: its positions."""
    return int(config.get("max_position_embeddings") or config.get("n_positions") or 2048)


def sliding_window(config: dict) -> int | None:
    """The tokens each of a generator's tokens looks back on (Mistral v0.1 4,096, Phi-3-mini-4k 2,047, Gemma 2 and
    Gemma 3 in every other layer), None where it sees its whole window."""
    sliding = config.get("sliding_window")
    usable = isinstance(sliding, int) and sliding > 0 and config.get("use_sliding_window", True)
    return sliding if usable else None
