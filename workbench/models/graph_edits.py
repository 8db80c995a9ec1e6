"""Small edits shared by the ONNX graph rewrites (grouped_attention.py, finite_mask.py, gguf_exact.py)."""

from __future__ import annotations


def drop_dead_nodes(graph) -> None:
    """Remove nodes whose outputs nothing reads, repeatedly (a rewrite leaves chains of them), then the
    initializers no node reads any more."""
    outputs = {o.name for o in graph.output}
    while True:
        used = {name for node in graph.node for name in node.input} | outputs
        dead = [n for n in graph.node if not any(out in used for out in n.output)]
        if not dead:
            break
        for node in dead:
            graph.node.remove(node)
    used = {name for node in graph.node for name in node.input}
    for initializer in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(initializer)


def insert_nodes(graph, position: int, nodes: list) -> None:
    """Put nodes at this position, in order (a graph's nodes must stay in a valid execution order)."""
    for offset, node in enumerate(nodes):
        graph.node.insert(position + offset, node)
