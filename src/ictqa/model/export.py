"""Export the default model's sentence-transformers directory to ONNX (build
time, once, at ``ictqa model prepare``; needs torch, transformers, onnx and
onnxruntime, all installed with ictqa).

The graph is traced from the BERT model, its attention/LayerNorm/GELU fused
by ONNX Runtime's transformer optimiser, and a second copy quantised to int8
with one scale per output channel (per-tensor scales lost noticeably more:
min cosine 0.977 against the fp32 model, per-channel 0.994).  The word
embeddings stay outside the graph (see :mod:`.onnx`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from .onnx import GRAPHS, ONNX_DIR, WORD_EMBEDDINGS, openvino_ir


def export_onnx(model_dir: Path, out_dir: Path | None = None) -> dict[str, str]:
    """Write ``onnx/encoder.{fp32,int8}.onnx`` and ``onnx/word_embeddings.npy``
    for the BERT sentence-transformers directory ``model_dir``.  Needs torch,
    transformers, onnx and onnxruntime (all installed with ictqa); takes about
    ten seconds.  Returns the file names written."""
    import warnings

    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoConfig, BertModel

    out = Path(out_dir or model_dir) / ONNX_DIR
    out.mkdir(parents=True, exist_ok=True)
    config = AutoConfig.from_pretrained(model_dir)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # a load report about the unused pooler
    bert = BertModel.from_pretrained(model_dir, add_pooling_layer=False, attn_implementation="eager").eval()

    class _Encoder(torch.nn.Module):
        # Takes word embeddings, not ids: the table stays outside the graph.
        def __init__(self, m: Any) -> None:
            super().__init__()
            self.m = m

        def forward(self, inputs_embeds: Any, attention_mask: Any) -> Any:
            types = torch.zeros_like(attention_mask)
            return self.m(inputs_embeds=inputs_embeds, attention_mask=attention_mask, token_type_ids=types).last_hidden_state

    raw = out / "encoder.raw.onnx"
    fp32 = out / GRAPHS["fp32"]
    int8 = out / GRAPHS["int8"]
    example = (torch.randn(2, 16, config.hidden_size), torch.ones(2, 16, dtype=torch.long))
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer chatter about Python-level branches
        torch.onnx.export(
            _Encoder(bert),
            example,
            str(raw),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("inputs_embeds", "attention_mask", "last_hidden_state")},
            opset_version=17,
            dynamo=False,
        )
    # The fusions need the head count and width; they are what makes small
    # batches fast (one Attention op per layer instead of ~20 small ones).
    fused = optimizer.optimize_model(
        str(raw), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
    )
    fused.save_model_to_file(str(fp32))
    raw.unlink()
    for stale in out.glob("*.openvino.*"):  # made from the graph just replaced
        stale.unlink()
    try:
        openvino_ir(fp32)
    except ImportError:  # OpenVINO is optional at run time; ONNX Runtime needs no IR
        pass
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic warns through the root logger
    try:
        quantize_dynamic(
            str(fp32),
            str(int8),
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
    table = bert.embeddings.word_embeddings.weight.detach().numpy().astype(np.float32)
    np.save(out / WORD_EMBEDDINGS, table)
    return {
        "fp32": f"{ONNX_DIR}/{GRAPHS['fp32']}",
        "int8": f"{ONNX_DIR}/{GRAPHS['int8']}",
        "embeddings": f"{ONNX_DIR}/{WORD_EMBEDDINGS}",
    }
