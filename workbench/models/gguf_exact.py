"""Lossless 4-bit ONNX weights from a Q4_1 GGUF file: its blocks become MatMulNBits weights unchanged.

A Q4_1 block of 32 weights along the input dimension stores w = d*q + m (q in 0..15, d and m fp16).
MatMulNBits dequantizes (q - zero_point) * scale. Float zero points (-m/d) would give w back directly, but
onnxruntime runs them on a generic kernel 5-10x slower than its symmetric one. So the offset is folded out:
w = d*(q - 8) + (m + 8d). The first term is MatMulNBits with its default zero point 8, on the fast kernel;
the second is the same for all 32 inputs of a block, so x @ it = (x summed per block) @ (m + 8d), two thin
float matmuls. The sum is the float weights' matmul, up to the order of float additions.
Weights are matched by their values, not by names: the export renames and, for q/k, reorders rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.models.graph_edits import drop_dead_nodes, insert_nodes

BLOCK = 32
Q4_1_BYTES = 20  # fp16 d, fp16 m, 16 bytes of nibbles


def q4_1_blocks(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split raw Q4_1 rows (N, n_blocks*20) into d, m (N, n_blocks) and q (N, n_blocks, 32)."""
    blocks = raw.reshape(raw.shape[0], -1, Q4_1_BYTES)
    d = blocks[..., 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
    m = blocks[..., 2:4].copy().view(np.float16)[..., 0].astype(np.float32)
    nibbles = blocks[..., 4:]
    # GGUF puts element j in the low nibble and element j+16 in the high nibble of byte j.
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1)
    return d, m, q


def dequantize_rows(d: np.ndarray, m: np.ndarray, q: np.ndarray) -> np.ndarray:
    return (d[..., None] * q.astype(np.float32) + m[..., None]).reshape(q.shape[0], -1)


def matmulnbits_inputs(d: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Packed weights (N, n_blocks, 16) and scales (N*n_blocks) for MatMulNBits with zero point 8."""
    q = q.astype(np.uint8)
    packed = q[..., 0::2] | (q[..., 1::2] << 4)  # MatMulNBits: element 2i low nibble, 2i+1 high
    return packed, d.astype(np.float32).ravel()


def block_offsets(d: np.ndarray, m: np.ndarray) -> np.ndarray:
    """(n_blocks, N): what each block adds per unit of its inputs' sum, m + 8d."""
    return (m + 8.0 * d).astype(np.float32).T.copy()


def block_summer(k_in: int) -> np.ndarray:
    """(K, n_blocks) of ones and zeros: x @ it sums x over each block of 32 inputs."""
    return np.kron(np.eye(k_in // BLOCK, dtype=np.float32), np.ones((BLOCK, 1), dtype=np.float32))


def gguf_q4_1_tensors(gguf_file: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    from gguf import GGMLQuantizationType, GGUFReader

    reader = GGUFReader(str(gguf_file))
    return [q4_1_blocks(np.asarray(t.data)) for t in reader.tensors
            if t.tensor_type == GGMLQuantizationType.Q4_1]


def row_order(weight_t: np.ndarray, dequantized: np.ndarray) -> np.ndarray | None:
    """Indices taking the GGUF rows to the exported weight's rows, or None if the values differ."""
    if weight_t.shape != dequantized.shape:
        return None
    index = {row.tobytes(): i for i, row in enumerate(dequantized)}
    order = [index.get(row.tobytes()) for row in weight_t]
    return None if None in order else np.array(order)


def convert(model_path: Path, gguf_file: Path, out_path: Path, accuracy_level: int = 0) -> int:
    """Write the model with every MatMul whose weight came from a Q4_1 block as MatMulNBits; returns how many."""
    import onnx

    model = onnx.load(str(model_path))
    tensors = gguf_q4_1_tensors(gguf_file)
    by_first_row = _rows_index([dequantize_rows(*t) for t in tensors])
    initializers = {i.name: i for i in model.graph.initializer}
    replaced = 0
    for position, node in enumerate(list(model.graph.node)):
        if node.op_type == "MatMul" and node.input[1] in initializers:
            if _replace(model, position, node, initializers, tensors, by_first_row, accuracy_level):
                replaced += 1
    drop_dead_nodes(model.graph)  # the float weights replaced by 4-bit blocks
    _add_microsoft_opset(model)
    onnx.save(model, str(out_path))
    return replaced


def _rows_index(dequantized: list[np.ndarray]) -> dict[bytes, tuple[int, np.ndarray]]:
    """Every GGUF row's bytes -> (tensor number, the tensor's dequantized rows)."""
    return {row.tobytes(): (number, rows) for number, rows in enumerate(dequantized) for row in rows}


def _replace(model, position, node, initializers, tensors, by_first_row, accuracy_level) -> bool:
    from onnx import numpy_helper

    weight_t = numpy_helper.to_array(initializers[node.input[1]]).T
    number, rows = by_first_row.get(weight_t[0].tobytes(), (None, None))
    order = None if rows is None else row_order(weight_t, rows)
    if order is None:
        return False
    d, m, q = (part[order] for part in tensors[number])
    nodes = _folded_nodes(model, node, d, m, q, accuracy_level)
    model.graph.node.remove(node)
    insert_nodes(model.graph, position, nodes)
    return True


def _folded_nodes(model, node, d, m, q, accuracy_level) -> list:
    """x @ w as MatMulNBits(x) + (x @ block_summer) @ block_offsets, writing the node's own output."""
    from onnx import helper, numpy_helper

    n_out, k_in = d.shape[0], d.shape[1] * BLOCK
    packed, scales = matmulnbits_inputs(d, q)
    prefix, x, (y,) = node.input[1] + "_q4_1", node.input[0], node.output
    summer = f"q4_1_block_summer_{k_in}"  # shared by every matmul over the same input width
    known = {i.name for i in model.graph.initializer}
    arrays = {prefix + "_B": packed, prefix + "_scales": scales, prefix + "_offsets": block_offsets(d, m)}
    if summer not in known:
        arrays[summer] = block_summer(k_in)
    model.graph.initializer.extend(numpy_helper.from_array(a, name) for name, a in arrays.items())
    return [
        helper.make_node("MatMulNBits", [x, prefix + "_B", prefix + "_scales"], [prefix + "_main"],
                         name=node.name + "_Q4_1", domain="com.microsoft", K=k_in, N=n_out, bits=4,
                         block_size=BLOCK, accuracy_level=accuracy_level),
        helper.make_node("MatMul", [x, summer], [prefix + "_sums"], name=node.name + "_block_sums"),
        helper.make_node("MatMul", [prefix + "_sums", prefix + "_offsets"], [prefix + "_offset"],
                         name=node.name + "_block_offsets"),
        helper.make_node("Add", [prefix + "_main", prefix + "_offset"], [y], name=node.name + "_folded"),
    ]


def _add_microsoft_opset(model) -> None:
    """MatMulNBits is an onnxruntime (com.microsoft) operator."""
    from onnx import helper

    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
