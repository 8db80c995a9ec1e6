import json

import numpy as np

from workbench.models.manifest import read_manifest, sha256_file
from workbench.models.prepare import BUILDS_LOCK, is_prepared


def test_prepared_folder_has_a_manifest_that_matches_the_file(tiny_encoder_folder):
    manifest = read_manifest(tiny_encoder_folder)
    onnx_file = tiny_encoder_folder / manifest.onnx_file
    assert manifest.onnx_sha256 == sha256_file(onnx_file)
    assert manifest.size_bytes == onnx_file.stat().st_size
    assert manifest.quantization["preset"] == "int8-per-channel"
    assert is_prepared(tiny_encoder_folder)
    assert not list(tiny_encoder_folder.parent.glob(".staging-*"))


def test_embeddings_are_unit_length_and_in_input_order(tiny_encoder):
    texts = ["refund my card payment please", "hi", "my parcel arrived late and the box was broken"]
    vectors = tiny_encoder.embed(texts)
    assert vectors.shape == (3, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    one_by_one = np.vstack([tiny_encoder.embed([t]) for t in texts])
    assert np.allclose(vectors, one_by_one, atol=1e-4)


def test_empty_text_gets_an_embedding(tiny_encoder):
    assert np.isfinite(tiny_encoder.embed(["", "   "])).all()


def test_inference_path_does_not_import_torch(tiny_encoder_folder, tmp_path):
    import subprocess
    import sys

    code = (
        "import sys; from workbench.models.encoder import OnnxEncoder; "
        f"OnnxEncoder({str(tiny_encoder_folder)!r}).embed(['hello']); "
        "print(json.dumps('torch' in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) is False


# A one-matrix model quantized block-wise, in a process of its own: onnxruntime's quantizer sets up logging when its
# module is first imported, and pytest's own handlers on the root logger would have kept it from doing so here.
BLOCKWISE_QUANTIZE = """
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from workbench.models.quantize import quantize

folder = Path(sys.argv[1])
weights = numpy_helper.from_array(np.ones((64, 64), dtype=np.float32), "W")
graph = helper.make_graph([helper.make_node("MatMul", ["X", "W"], ["Y"])], "tiny",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 64])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 64])], [weights])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), folder / "float.onnx")
quantize(folder / "float.onnx", folder / "quantized.onnx", "int8-block32")
print(*[node.op_type for node in onnx.load(folder / "quantized.onnx").graph.node])
"""


def test_block_wise_quantization_prints_none_of_the_library_info_lines(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", BLOCKWISE_QUANTIZE, str(tmp_path)], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["MatMulNBits"] and "INFO" not in done.stderr, done.stderr


def test_failed_preparation_leaves_nothing_behind(tmp_path):
    import pytest

    from tests.conftest import TINY_PACK
    from workbench.errors import ModelNotReadyError
    from workbench.models.prepare import prepare_encoder

    class _Settings:
        models_dir = tmp_path

    (tmp_path / "broken").mkdir()
    with pytest.raises(ModelNotReadyError, match="run it again"):
        prepare_encoder(_Settings(), TINY_PACK, source=tmp_path / "broken")
    assert sorted(tmp_path.iterdir()) == [tmp_path / BUILDS_LOCK, tmp_path / "broken"]


def test_two_first_uses_at_once_build_the_model_once(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import TINY_PACK
    from tests.tiny_models import build_tiny_encoder_source
    from workbench.models import prepare

    class _Settings:
        models_dir = tmp_path / "models"

    source, builds, messages = build_tiny_encoder_source(tmp_path / "source"), [], []
    real_build = prepare._build
    monkeypatch.setattr(prepare, "_build", lambda *args: builds.append(args[0].name) or real_build(*args))
    with ThreadPoolExecutor(2) as pool:
        folders = list(pool.map(lambda _: prepare.prepare_encoder(
            _Settings(), TINY_PACK, source=source, progress=lambda _f, message: messages.append(message)), range(2)))
    assert folders[0] == folders[1] and is_prepared(folders[0]) and builds == [TINY_PACK.name]
    assert "Waiting for another model's build to finish" in messages
