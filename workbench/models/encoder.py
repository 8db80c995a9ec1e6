"""Sentence embeddings on onnxruntime: tokenizer + ONNX session, the model's own pooling, length-sorted batches."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from workbench.errors import ModelNotReadyError
from workbench.models.damaged import read_as_damaged
from workbench.models.manifest import Manifest, read_manifest
from workbench.models.pooling import ACTIVATE, pool
from workbench.models.sentence_layout import DENSE_FILE
from workbench.models.sessions import session_options


def _session(model_path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(model_path), session_options(), providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """Turns texts into unit-length vectors; cosine similarity is then a dot product."""

    def __init__(self, folder: Path, batch_size: int = 32):
        manifest = read_manifest(folder)
        if manifest is None:
            raise ModelNotReadyError(f"No prepared model in '{folder}'. Prepare it on the Models page (or `workbench models prepare`).")
        self.manifest: Manifest = manifest
        self.batch_size = batch_size
        with read_as_damaged(Path(folder), manifest):
            self.tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
            self.session = _session(Path(folder) / manifest.onnx_file)
            self.dense = [dict(np.load(Path(folder) / DENSE_FILE.format(n))) for n in range(len(manifest.dense))]
        self.tokenizer.enable_truncation(manifest.max_length)
        self.tokenizer.no_padding()
        self.input_names = {i.name for i in self.session.get_inputs()}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings in the order given; batches are formed from texts of similar length to pad little."""
        order = np.argsort([len(t) for t in texts], kind="stable")
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = order[start : start + self.batch_size]
            vectors[batch] = self._embed_batch([texts[i] for i in batch])
        return vectors

    def read_partly(self, texts: Sequence[str]) -> int:
        """How many of these texts are longer than the model reads: only their first max_length tokens count."""
        return sum(bool(encoding.overflowing) for encoding in self.tokenizer.encode_batch(self._prompted(texts)))

    @property
    def dimension(self) -> int:
        if self.dense:
            return int(self.dense[-1]["weight"].shape[0])
        return int(self.session.get_outputs()[0].shape[-1]) * len(self.manifest.pooling)

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        ids, mask = self.tokenize(texts)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self.input_names})[0]
        return self.sentence_vectors(hidden, mask)

    def sentence_vectors(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token vectors (rows, tokens, width) to unit sentence vectors, by the model's own pooling and Dense steps."""
        if self.manifest.prompt and not self.manifest.pool_prompt:
            mask = mask.copy()
            mask[:, : self._prompt_tokens()] = 0  # as sentence-transformers: the prompt and the start token
        pooled = pool(hidden, mask, self.manifest.pooling)
        for layer, activation in zip(self.dense, self.manifest.dense, strict=True):
            pooled = ACTIVATE[activation](pooled @ layer["weight"].T + layer["bias"])
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _prompted(self, texts) -> list[str]:
        """The texts as the model reads them: its folder's default prompt before each."""
        return [self.manifest.prompt + text for text in texts]

    def _prompt_tokens(self) -> int:
        """The prompt's tokens with the start token, not the end one (sentence-transformers' prompt_length)."""
        return len(self.tokenizer.encode(self.manifest.prompt).ids) - 1

    def tokenize(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and their mask, right-padded to the longest text, as the model reads them."""
        encodings = self.tokenizer.encode_batch(self._prompted(t if t.strip() else " " for t in texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        return ids, mask
