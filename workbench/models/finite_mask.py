"""Attention masks with a finite 'minus infinity', so the exported NaN guard after each softmax can go.

The export masks attention scores by adding -inf where a key may not be seen. A query that may see no key
at all (a left-padding position) then gets softmax(-inf, ..., -inf) = NaN, so every layer follows its
softmax with Where(IsNaN(p), 0, p) over the whole (batch, heads, queries, keys) tensor. onnxruntime runs
that Where slowly: it was 31% of the time spent reading prompts (profile in docs/benchmarks.md).

With the lowest float32 number instead of -inf, a masked score is still exactly 0 after softmax (exp of
about -3.4e38 underflows to 0), so every real token's attention is unchanged bit for bit, and a padding
query gets finite weights instead of NaN: no guard is needed. Padding positions' outputs are never read,
and the masked weights that real queries give padding keys are exactly 0, so nothing of them leaks.
"""

from __future__ import annotations

import numpy as np

from workbench.models.graph_edits import drop_dead_nodes

LOWEST = np.finfo(np.float32).min


def drop_nan_guards(graph) -> int:
    """Make the softmax masks finite and bypass Where(IsNaN(p), 0, p); returns how many guards went."""
    producers = {out: node for node in graph.node for out in node.output}
    guards = [node for node in graph.node if _is_nan_guard(node, producers)]
    if not guards or not _make_masks_finite(graph, producers, guards):
        return 0
    for guard in guards:
        _bypass(graph, guard.output[0], guard.input[2])
    drop_dead_nodes(graph)
    return len(guards)


def _is_nan_guard(node, producers: dict) -> bool:
    """Where(IsNaN(p), c, p) with p a Softmax output."""
    if node.op_type != "Where" or len(node.input) != 3:
        return False
    test, softmax = producers.get(node.input[0]), producers.get(node.input[2])
    return (test is not None and test.op_type == "IsNaN" and test.input[0] == node.input[2]
            and softmax is not None and softmax.op_type == "Softmax")


def _make_masks_finite(graph, producers: dict, guards: list) -> bool:
    """Each guarded softmax reads Add(scores, Where(mask, 0, -inf)); make those -inf constants finite.

    Returns False (and changes nothing) unless every guarded softmax has that shape."""
    constants = [_minus_infinity_of(producers, producers[g.input[2]]) for g in guards]
    if any(c is None for c in constants):
        return False
    for constant in {id(c): c for c in constants}.values():
        _set_constant(constant, LOWEST)
    return True


def _minus_infinity_of(producers: dict, softmax):
    """The Constant node holding -inf in the mask added before this softmax, or None."""
    add = producers.get(softmax.input[0])
    if add is None or add.op_type != "Add":
        return None
    for tensor in add.input:
        where = producers.get(tensor)
        if where is not None and where.op_type == "Where":
            constant = producers.get(where.input[2])
            if constant is not None and constant.op_type == "Constant" and _holds_minus_infinity(constant):
                return constant
    return None


def _holds_minus_infinity(constant) -> bool:
    from onnx import numpy_helper

    value = numpy_helper.to_array(constant.attribute[0].t)
    return value.size == 1 and np.isneginf(value).all()


def _set_constant(constant, value: float) -> None:
    from onnx import numpy_helper

    old = numpy_helper.to_array(constant.attribute[0].t)
    constant.attribute[0].t.CopyFrom(numpy_helper.from_array(np.full_like(old, value), constant.attribute[0].t.name))


def _bypass(graph, old: str, new: str) -> None:
    for node in graph.node:
        for position, name in enumerate(node.input):
            if name == old:
                node.input[position] = new
