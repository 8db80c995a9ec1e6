"""Let the generator skip the lm_head on prompt tokens whose logits nobody reads.

While a prompt is read only the last position's logits choose the next token, yet the exported graph
multiplies every position by the 49k-word lm_head (about a fifth of prompt reading). This adds a graph
input `logits_from`: the hidden states are sliced from that position on before the lm_head. The runtime
feeds 0 where it needs every position (option scoring, guided decoding) and width - 1 when reading prompts.
"""

from __future__ import annotations

import numpy as np

LOGITS_FROM = "logits_from"
LOGITS_OUTPUT = "logits"


def insert_logits_slice(model) -> bool:
    """Put Slice(hidden, logits_from:, axis 1) in front of the MatMul that writes the `logits` output."""
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    head = next((n for n in graph.node if LOGITS_OUTPUT in n.output and n.op_type == "MatMul"), None)
    if head is None or any(i.name == LOGITS_FROM for i in graph.input):
        return False
    hidden, sliced = head.input[0], head.input[0] + "_from_logits_from"
    ends, axes = numpy_helper.from_array(np.array([np.iinfo(np.int64).max]), sliced + "_ends"), \
        numpy_helper.from_array(np.array([1], dtype=np.int64), sliced + "_axes")
    graph.initializer.extend([ends, axes])
    graph.input.append(helper.make_tensor_value_info(LOGITS_FROM, TensorProto.INT64, [1]))
    position = list(graph.node).index(head)
    graph.node.insert(position, helper.make_node("Slice", [hidden, LOGITS_FROM, ends.name, axes.name], [sliced],
                                                 name="/lm_head/SliceLogitsFrom"))
    head.input[0] = sliced
    return True
