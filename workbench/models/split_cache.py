"""A key/value cache in two parts, so that a decoding step no longer copies the whole cache.

The exported graph writes every layer's cache as Concat(past, new) at every step: at 16 rows and ~500 tokens that
copies ~0.37 GB per step, 18% of a run's kernel time (docs/benchmarks_generator.md). Here each layer reads two
inputs instead: `past_key_values.*`, a large settled part passed in as it is, and `recent.*`, the last few tokens.
Only recent + new is concatenated and returned as `present.*`; the runtime folds it into the settled part every
few dozen steps (models/kv_cache.py), one copy where there were dozens.

Attention then runs over both parts: the scores of the two parts are joined before the mask and softmax (so
those are unchanged), and the weighted values of the two parts are added. That last sum runs in another order
than over one cache, so answers can differ in the last bits; they are measured against the unquantized model.
"""

from __future__ import annotations

import numpy as np

from workbench.models.graph_edits import insert_nodes

PAST, PRESENT, RECENT = "past_key_values.", "present.", "recent."


def split_cache(graph) -> int:
    """Rewrite every layer's attention to read a settled and a recent cache; returns the layers rewritten.

    All or nothing: a graph whose cache is read in any way this does not know is left as it is."""
    concats = [n for n in graph.node if n.op_type == "Concat" and n.output[0].startswith(PRESENT)
               and n.input[0].startswith(PAST)]
    if not concats or not all(_reads_known(graph, c.output[0]) for c in concats):
        return 0
    for concat in concats:
        _read_recent(graph, concat)
    for node in [n for n in graph.node if n.op_type == "Shape" and _cache_part(n.input[0])]:
        _measure_both_parts(graph, node)
    for concat in concats:
        present, past = concat.output[0], _past_of(concat.output[0])
        for reader in [n for n in _readers(graph, present) if n.op_type != "Shape"]:
            if reader.op_type == "Transpose":
                _scores_over_both(graph, reader, past)
            else:
                _values_over_both(graph, reader, past)
    return len(concats) // 2


def recent_name(past_name: str) -> str:
    return RECENT + past_name[len(PAST):]


def _past_of(present: str) -> str:
    return PAST + present[len(PRESENT):]


def _cache_part(tensor: str) -> bool:
    return tensor.startswith(PAST) or tensor.startswith(PRESENT)


def _reads_known(graph, present: str) -> bool:
    """The cache is read only by Shape, by a grouped key product (Transpose → Mul → MatMul, grouped_attention.py)
    or by a value MatMul."""
    readers = _readers(graph, present)
    for reader in readers:
        if reader.op_type == "Transpose":
            chain = _only_reader(graph, reader.output[0], "Mul")
            if chain is None or _only_reader(graph, chain.output[0], "MatMul") is None:
                return False
        elif not (reader.op_type == "Shape" or (reader.op_type == "MatMul" and reader.input[1] == present)):
            return False
    return bool(readers)


def _readers(graph, tensor: str) -> list:
    return [n for n in graph.node if tensor in n.input]


def _only_reader(graph, tensor: str, op_type: str):
    readers = _readers(graph, tensor)
    return readers[0] if len(readers) == 1 and readers[0].op_type == op_type else None


def _read_recent(graph, concat) -> None:
    """Concat(past, new) becomes Concat(recent, new): a new graph input shaped like the past one."""
    past_input = next(i for i in graph.input if i.name == concat.input[0])
    recent = graph.input.add()
    recent.CopyFrom(past_input)
    recent.name = recent_name(past_input.name)
    recent.type.tensor_type.shape.dim[2].dim_param = "recent_sequence_length"
    concat.input[0] = recent.name


def _measure_both_parts(graph, shape_node) -> None:
    """A Shape of one part of the cache (read for its length) becomes the shape of both parts laid end to end."""
    from onnx import helper, numpy_helper

    tensor = shape_node.input[0]
    other = recent_name(tensor) if tensor.startswith(PAST) else _past_of(tensor)
    name = shape_node.name
    only_length = numpy_helper.from_array(np.array([0, 0, 1, 0], dtype=np.int64), f"{name}/OnlyLength")
    graph.initializer.append(only_length)
    output = shape_node.output[0]
    shape_node.output[0] = f"{name}/OnePart"
    insert_nodes(graph, list(graph.node).index(shape_node) + 1, [
        helper.make_node("Shape", [other], [f"{name}/OtherPart"], name=f"{name}/OtherPart"),
        helper.make_node("Mul", [f"{name}/OtherPart", only_length.name], [f"{name}/OtherLength"],
                         name=f"{name}/OtherLength"),
        helper.make_node("Add", [f"{name}/OnePart", f"{name}/OtherLength"], [output], name=f"{name}/BothParts")])


def _scores_over_both(graph, transpose, past: str) -> None:
    """q · (scale · recentᵀ) gets q · (scale · settledᵀ) in front of it, along the keys' axis."""
    from onnx import helper

    scale = _only_reader(graph, transpose.output[0], "Mul")
    matmul = _only_reader(graph, scale.output[0], "MatMul")
    name, output = matmul.name, matmul.output[0]
    matmul.output[0] = f"{name}/RecentScores"
    perm = list(helper.get_attribute_value(next(a for a in transpose.attribute if a.name == "perm")))
    insert_nodes(graph, list(graph.node).index(matmul), [
        helper.make_node("Transpose", [past], [f"{name}/SettledT"], perm=perm,
                         name=f"{name}/SettledT"),
        helper.make_node("Mul", [f"{name}/SettledT", scale.input[1]], [f"{name}/SettledScaled"],
                         name=f"{name}/SettledScaled"),
        helper.make_node("MatMul", [matmul.input[0], f"{name}/SettledScaled"], [f"{name}/SettledScores"],
                         name=f"{name}/SettledScores")])
    insert_nodes(graph, list(graph.node).index(matmul) + 1, [
        helper.make_node("Concat", [f"{name}/SettledScores", f"{name}/RecentScores"], [output], axis=-1,
                         name=f"{name}/BothScores")])


def _values_over_both(graph, matmul, past: str) -> None:
    """weights · recent becomes weights[..., :settled] · settled + weights[..., settled:] · recent."""
    from onnx import helper, numpy_helper

    name, weights, output = matmul.name, matmul.input[0], matmul.output[0]
    constants = {f"{name}/{label}": np.array(value, dtype=np.int64) for label, value in (
        ("LengthAt", [2]), ("LengthEnd", [3]), ("Zero", [0]), ("End", [np.iinfo(np.int64).max]), ("Last", [-1]))}
    graph.initializer.extend(numpy_helper.from_array(value, key) for key, value in constants.items())
    matmul.input[0], matmul.output[0] = f"{name}/RecentWeights", f"{name}/RecentValues"
    insert_nodes(graph, list(graph.node).index(matmul), [
        helper.make_node("Shape", [past], [f"{name}/SettledShape"], name=f"{name}/SettledShape"),
        helper.make_node("Slice", [f"{name}/SettledShape", f"{name}/LengthAt", f"{name}/LengthEnd"],
                         [f"{name}/Settled"], name=f"{name}/Settled"),
        helper.make_node("Slice", [weights, f"{name}/Zero", f"{name}/Settled", f"{name}/Last"],
                         [f"{name}/SettledWeights"], name=f"{name}/SettledWeights"),
        helper.make_node("Slice", [weights, f"{name}/Settled", f"{name}/End", f"{name}/Last"],
                         [f"{name}/RecentWeights"], name=f"{name}/RecentWeights"),
        helper.make_node("MatMul", [f"{name}/SettledWeights", past], [f"{name}/SettledValues"],
                         name=f"{name}/SettledValues")])
    insert_nodes(graph, list(graph.node).index(matmul) + 1, [
        helper.make_node("Add", [f"{name}/SettledValues", f"{name}/RecentValues"], [output],
                         name=f"{name}/BothValues")])
