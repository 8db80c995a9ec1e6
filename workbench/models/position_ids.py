"""An export that takes position ids for generators whose optimum config leaves them out (Gemma, Gemma 2 and 3).

Without them the exported model numbers a row's tokens by their cache slots: a left-padded row, or one after a
shared instruction prefix with padding between, read its words at other positions than alone, and the runtime,
which always feeds position ids, could not run the model at all. Imported only by the export (it pulls in torch).
"""

from __future__ import annotations

from pathlib import Path

from optimum.exporters.onnx.config import TextDecoderWithPositionIdsOnnxConfig
from optimum.exporters.tasks import TasksManager
from transformers import AutoConfig

GENERATION_TASK = "text-generation-with-past"


def with_position_ids(source: Path, task: str) -> dict | None:
    """optimum's custom_onnx_configs for the model in `source`, or None where its own config takes position ids."""
    if task != GENERATION_TASK:
        return None
    config = AutoConfig.from_pretrained(str(source))
    try:
        family = TasksManager.get_exporter_config_constructor(exporter="onnx", model_type=config.model_type,
                                                              task=task, library_name="transformers")
    except (KeyError, ValueError):  # a family optimum cannot export: its own export says so
        return None
    if issubclass(family.func, TextDecoderWithPositionIdsOnnxConfig):
        return None
    export_config = _positioned(family.func)(config, task="text-generation", use_past=True, use_past_in_inputs=True)
    return {"model": export_config}


def _positioned(family: type) -> type:
    """The family's own config (its cache shapes and patches), with position_ids among the inputs."""

    def inputs(self) -> dict[str, dict[int, str]]:
        named = family.inputs.fget(self)
        named["position_ids"] = {0: "batch_size", 1: "sequence_length"}
        return named

    return type(f"{family.__name__}WithPositionIds", (family,), {"inputs": property(inputs)})
