"""The ONNX encoder (OpenVINO or ONNX Runtime) against the sentence-transformers
reference.

The fp32 graph must give the reference's vectors on either engine (it is the
default, and an index built one way must answer the same when searched the
other); int8 is allowed to drift a little; a text's vector must not depend on
what else is encoded with it; and asking a question must not import torch
(that is what makes a cold `ictqa ask` fast)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ictqa.errors import IctqaError
from ictqa.model import ONNX_FP32_MODEL, ONNX_INT8_MODEL, RECOMMENDED_MODEL, load_encoder
from ictqa.model.onnx import ONNX_DIR, RUNTIMES, OnnxEncoder
from ictqa.model.prepare import DEFAULT_MODEL, prepare_default_model

pytestmark = pytest.mark.slow

SEED = Path(__file__).resolve().parent.parent / "corpus" / "000_589c5af6fc00dccb.txt"

_QUERIES = [
    "DFFTとは何ですか",
    "What is Open RAN?",
    "ＩＣＴ海外展開の重点地域は？",
    "How many members does the platform have?",
    "ｶﾀｶﾅ　と　全角　スペース",
    "5G",
    "日本" * 700,  # longer than 512 tokens: windows
]


def _documents() -> list[str]:
    paragraphs = [p.strip() for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return paragraphs[:60] + ["", "x" * 5000, "Open RAN " * 300, "図表5-8-1-1 😀 <script>"]


@pytest.fixture(scope="module")
def reference():
    return load_encoder(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def fp32():
    return load_encoder(ONNX_FP32_MODEL)


@pytest.fixture(scope="module")
def int8():
    return load_encoder(ONNX_INT8_MODEL)


def test_default_is_onnx_fp32(fp32):
    assert RECOMMENDED_MODEL == ONNX_FP32_MODEL
    enc = load_encoder()
    assert isinstance(enc, OnnxEncoder) and enc.model_id == ONNX_FP32_MODEL and enc.dimension == 384


def test_fp32_equals_reference(reference, fp32):
    docs = _documents()
    cos = np.sum(fp32.encode_documents(docs) * reference.encode_documents(docs), axis=1)
    assert cos.min() > 0.9999, f"worst document cosine {cos.min():.6f} (#{int(cos.argmin())})"
    cos = np.sum(fp32.encode_queries(_QUERIES) * reference.encode_queries(_QUERIES), axis=1)
    assert cos.min() > 0.9999, f"worst query cosine {cos.min():.6f}"


def test_int8_stays_close(reference, int8):
    docs = _documents()
    cos = np.sum(int8.encode_documents(docs) * reference.encode_documents(docs), axis=1)
    # Measured: min 0.990, mean 0.997 over 300 corpus passages.
    assert cos.min() > 0.98 and cos.mean() > 0.99, (cos.min(), cos.mean())


@pytest.mark.parametrize("which", ["fp32", "int8"])
def test_vector_does_not_depend_on_batch(which, request):
    enc = request.getfixturevalue(which)
    docs = _documents()
    together = enc.encode_documents(docs)
    for i in (0, 7, len(docs) - 3):
        alone = enc.encode_documents([docs[i]])[0]
        if which == "int8":
            # int8 texts never share a pass: exactly the same vector.
            np.testing.assert_array_equal(alone, together[i])
        else:
            # fp32 batches short texts; padding changes only rounding.
            np.testing.assert_allclose(alone, together[i], atol=2e-6)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_threads_do_not_change_vectors(runtime):
    docs = _documents()[:20]
    one, two = (OnnxEncoder(prepare_default_model(), model_id=ONNX_FP32_MODEL, threads=n, runtime=runtime) for n in (1, 2))
    a, b = one.encode_documents(docs), two.encode_documents(docs)
    if runtime == "onnxruntime":
        np.testing.assert_allclose(a, b, atol=2e-6)
    else:
        # bfloat16 products are summed in a different order on one thread:
        # rounding moves, meaning does not.
        assert np.sum(a * b, axis=1).min() > 0.99999


def test_default_engine_is_openvino_and_both_agree(fp32):
    pytest.importorskip("openvino")
    assert fp32.runtime.startswith("openvino ")
    ort = OnnxEncoder(prepare_default_model(), model_id=ONNX_FP32_MODEL, runtime="onnxruntime")
    assert ort.runtime.startswith("onnxruntime ") and ort.runtime.endswith("(fp32)")
    docs = _documents()
    # Measured: min 0.99999 over 300 passages and 673 sentences of the corpus.
    assert np.sum(fp32.encode_documents(docs) * ort.encode_documents(docs), axis=1).min() > 0.9999
    assert np.sum(fp32.encode_queries(_QUERIES) * ort.encode_queries(_QUERIES), axis=1).min() > 0.9999


def test_runtime_from_the_environment(monkeypatch):
    monkeypatch.setenv("ICTQA_RUNTIME", "onnxruntime")
    assert load_encoder().runtime.startswith("onnxruntime ")
    monkeypatch.setenv("ICTQA_RUNTIME", "tensorflow")
    with pytest.raises(IctqaError) as err:
        load_encoder()
    assert "'tensorflow'" in err.value.what and "$ICTQA_RUNTIME" in err.value.what
    assert "openvino or onnxruntime" in (err.value.expected or "") and "unset ICTQA_RUNTIME" in (err.value.fix or "")


def test_int8_runs_on_onnxruntime(int8):
    assert int8.runtime.startswith("onnxruntime ") and int8.runtime.endswith("(int8)")


def test_parts_are_pooled_from_the_same_pass(fp32):
    text = "日本はOpen RANを推進している。DFFTは信頼性のある自由なデータ流通である。"
    cut = text.index("。") + 1
    docs, parts = fp32.encode_documents_with_parts([text, "短い"], [[(0, cut), (cut, len(text)), (len(text), len(text))], []])
    np.testing.assert_allclose(docs, fp32.encode_documents([text, "短い"]), atol=1e-6)
    assert parts[0].shape == (3, 384) and parts[1].shape == (0, 384)
    np.testing.assert_allclose(np.linalg.norm(parts[0], axis=1), 1.0, rtol=1e-5)
    # Each sentence's vector is nearer its own standalone embedding than the other's.
    alone = fp32.encode_documents([text[:cut], text[cut:]])
    sims = parts[0][:2] @ alone.T
    assert sims[0, 0] > sims[0, 1] and sims[1, 1] > sims[1, 0]
    # A span that covers no token falls back to the document's vector.
    np.testing.assert_allclose(parts[0][2], docs[0], atol=1e-6)
    with pytest.raises(ValueError, match="span lists"):
        fp32.encode_documents_with_parts([text], [])


def test_missing_onnx_files_say_how_to_fix(tmp_path):
    model = prepare_default_model()
    copy = tmp_path / "model"
    shutil.copytree(model, copy, ignore=shutil.ignore_patterns("*.onnx", "*.npy", "*.safetensors"))
    with pytest.raises(IctqaError) as err:
        OnnxEncoder(copy, model_id="x")
    assert ONNX_DIR in err.value.what and "ictqa model prepare --force" in (err.value.fix or "")


def test_asking_does_not_import_torch(real_index):
    """Cold start: the question path must stay free of torch/transformers."""
    code = (
        "import sys, json\n"
        "from ictqa.search import Searcher\n"
        f"r = Searcher.open({str(real_index)!r}).search('DFFTとは何ですか')\n"
        "print(json.dumps({'label': r.results[0].chunk.citation.label,"
        " 'heavy': sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["heavy"] == [], f"imported {got['heavy']}"
    assert "第5章第8節" in got["label"]


def _model_copy(tmp_path: Path) -> Path:
    """The prepared model folder without its OpenVINO files (big files linked)."""
    model = prepare_default_model()
    copy = tmp_path / "model"
    for f in model.rglob("*"):
        if f.is_file() and ".openvino." not in f.name:
            target = copy / f.relative_to(model)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(f)
    return copy


def test_openvino_copy_is_made_once_and_gives_the_same_vectors(tmp_path, fp32):
    pytest.importorskip("openvino")
    copy = _model_copy(tmp_path)
    enc = OnnxEncoder(copy, model_id=ONNX_FP32_MODEL, runtime="openvino")
    made = sorted(p.name for p in (copy / ONNX_DIR).glob("*.openvino.*"))
    assert made == ["encoder.fp32.openvino.bin", "encoder.fp32.openvino.xml"]
    assert not list((copy / ONNX_DIR).glob(".*")), "temporary files left behind"
    stamp = (copy / ONNX_DIR / made[1]).stat().st_mtime_ns
    OnnxEncoder(copy, model_id=ONNX_FP32_MODEL, runtime="openvino")
    assert (copy / ONNX_DIR / made[1]).stat().st_mtime_ns == stamp, "the copy was made again"
    docs = _documents()[:20]
    assert np.sum(enc.encode_documents(docs) * fp32.encode_documents(docs), axis=1).min() > 0.99999


def test_openvino_runs_from_the_onnx_file_when_the_folder_is_not_writable(tmp_path, monkeypatch, fp32):
    pytest.importorskip("openvino")
    import ictqa.model.onnx as oe

    copy = _model_copy(tmp_path)

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(oe.os, "replace", refuse)
    enc = OnnxEncoder(copy, model_id=ONNX_FP32_MODEL, runtime="openvino")
    assert not list((copy / ONNX_DIR).glob("*openvino*")), "partial files left behind"
    docs = _documents()[:5]
    assert np.sum(enc.encode_documents(docs) * fp32.encode_documents(docs), axis=1).min() > 0.99999
