"""Model layer: bundled packs, ONNX export, quantization, manifests and the onnxruntime runtimes."""
