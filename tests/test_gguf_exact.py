"""The gguf-q4_1 presets: a GGUF file's Q4_1 blocks become MatMulNBits weights that compute the same matmul."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from workbench.errors import ModelNotReadyError
from workbench.models.gguf_exact import Q4_1_BYTES, convert, dequantize_rows, q4_1_blocks
from workbench.models.quantize import quantize

K, N = 64, 24  # two blocks of 32 along the input dimension


def _random_q4_1(rng: np.random.Generator) -> np.ndarray:
    """Raw Q4_1 rows (N, K/32*20); one block has d = 0, as a block of equal weights does."""
    blocks = np.zeros((N, K // 32, Q4_1_BYTES), dtype=np.uint8)
    d = rng.uniform(0.001, 0.05, (N, K // 32)).astype(np.float16)
    d[3, 1] = 0
    m = rng.uniform(-0.4, 0.0, (N, K // 32)).astype(np.float16)
    blocks[..., 0:2] = d[..., None].view(np.uint8)
    blocks[..., 2:4] = m[..., None].view(np.uint8)
    blocks[..., 4:] = rng.integers(0, 256, (N, K // 32, 16), dtype=np.uint8)
    return blocks.reshape(N, -1)


def _write_gguf(path, raw: np.ndarray) -> None:
    from gguf import GGMLQuantizationType, GGUFWriter

    writer = GGUFWriter(str(path), "llama")
    writer.add_tensor("blk.0.ffn_up.weight", raw, raw_dtype=GGMLQuantizationType.Q4_1)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _matmul_model(path, weight: np.ndarray) -> None:
    """X (B, K) @ weight (K, N), as the exporter writes a linear layer."""
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="linear")], "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", N])],
        [numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)  # onnxruntime reads <= 13
    onnx.save(model, str(path))


def _run(path, x: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]


@pytest.mark.parametrize("shuffle_rows", [False, True])  # the exporter reorders q/k rows for rotary embeddings
def test_gguf_q4_1_preset_computes_the_float_matmul(tmp_path, shuffle_rows):
    rng = np.random.default_rng(7)
    raw = _random_q4_1(rng)
    float_rows = dequantize_rows(*q4_1_blocks(raw))
    order = rng.permutation(N) if shuffle_rows else np.arange(N)
    _matmul_model(tmp_path / "float.onnx", np.ascontiguousarray(float_rows[order].T))
    _write_gguf(tmp_path / "model.gguf", raw)
    quantize(tmp_path / "float.onnx", tmp_path / "q4.onnx", "gguf-q4_1", source=tmp_path / "model.gguf")
    converted = onnx.load(str(tmp_path / "q4.onnx"))
    # 4-bit weights on onnxruntime's symmetric kernel, plus each block's offset through two thin float matmuls
    assert [n.op_type for n in converted.graph.node] == ["MatMulNBits", "MatMul", "MatMul", "Add"]
    assert not any(i.name == "w" for i in converted.graph.initializer)  # the float weight is gone
    x = rng.standard_normal((5, K)).astype(np.float32)
    np.testing.assert_allclose(_run(tmp_path / "q4.onnx", x), _run(tmp_path / "float.onnx", x), rtol=1e-4, atol=1e-4)


def test_weights_that_match_no_gguf_block_stay_float(tmp_path):
    rng = np.random.default_rng(3)
    raw = _random_q4_1(rng)
    _matmul_model(tmp_path / "float.onnx", rng.standard_normal((K, N)).astype(np.float32))
    _write_gguf(tmp_path / "model.gguf", raw)
    assert convert(tmp_path / "float.onnx", tmp_path / "model.gguf", tmp_path / "q4.onnx") == 0
    assert [n.op_type for n in onnx.load(str(tmp_path / "q4.onnx")).graph.node] == ["MatMul"]


def test_gguf_preset_needs_a_gguf_source(tmp_path):
    _matmul_model(tmp_path / "float.onnx", np.zeros((K, N), dtype=np.float32))
    with pytest.raises(ModelNotReadyError, match="not added from a GGUF file"):
        quantize(tmp_path / "float.onnx", tmp_path / "q4.onnx", "gguf-q4_1", source=None)
