"""The encoder interface: the fake encoder, load_encoder's choices and errors,
and (slow) the real default model end to end."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from ictqa.errors import IctqaError
from ictqa.model import RECOMMENDED_MODEL, Encoder, FakeEncoder, load_encoder
from ictqa.model.onnx import OnnxEncoder
from ictqa.model.prepare import DEFAULT_MODEL

# --------------------------------------------------------------------- fake


def test_fake_encoder_shape_norm_determinism():
    texts = ["総務省の情報通信白書", "ICT policy", "", "   ", "ｶﾀｶﾅ 😀"]
    a, b = FakeEncoder(), FakeEncoder()
    qa, qb = a.encode_queries(texts), b.encode_queries(texts)
    assert qa.shape == (5, 64) and qa.dtype == np.float32
    np.testing.assert_array_equal(qa, qb)
    np.testing.assert_allclose(np.linalg.norm(qa, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(a.encode_documents(texts), qa)
    assert a.model_id == "fake:hash-ngram-64" and a.dimension == 64
    assert isinstance(a, Encoder)


def test_fake_encoder_empty_and_similarity():
    enc = FakeEncoder(dimension=32)
    assert enc.encode_documents([]).shape == (0, 32)
    q = enc.encode_queries(["光海底ケーブルの敷設"])[0]
    near, far = enc.encode_documents(["光海底ケーブルを敷設する", "農業のスマート化"])
    assert q @ near > q @ far
    # NFKC: full-width and half-width forms are the same text to it.
    np.testing.assert_allclose(enc.encode_queries(["ＩＣＴ５Ｇ"]), enc.encode_queries(["ict5g"]))


def test_fake_encoder_rejects_bad_input():
    with pytest.raises(TypeError):
        FakeEncoder().encode_queries("a single string")
    with pytest.raises(TypeError):
        FakeEncoder().encode_documents([b"bytes"])


def test_load_encoder_fake():
    for name in ("fake", "fake:hash-ngram-64"):
        enc = load_encoder(name)
        assert isinstance(enc, FakeEncoder) and enc.model_id == "fake:hash-ngram-64"
    assert load_encoder("fake:hash-ngram-16").dimension == 16


# ------------------------------------------------------------------ errors


def test_hub_name_offline_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    name = "ictqa-test/no-such-model-anywhere"
    with pytest.raises(IctqaError) as err:
        load_encoder(name)
    msg = err.value.message
    assert name in msg and "HF_HUB_OFFLINE" in msg
    assert "local" in err.value.fix and DEFAULT_MODEL in err.value.fix


def test_local_directory_that_is_not_a_model(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(IctqaError, match="Cannot load the embedding model from"):
        load_encoder(str(tmp_path))


def test_unwritable_cache_for_default_model(monkeypatch, tmp_path):
    (tmp_path / "file.txt").write_text("")
    monkeypatch.setenv("ICTQA_MODEL_DIR", str(tmp_path / "file.txt" / "model"))
    with pytest.raises(IctqaError, match="ICTQA_MODEL_DIR"):
        load_encoder()


# ------------------------------------------------------- slow: the real model


@pytest.fixture(scope="session")
def session_model_path(tmp_path_factory):
    """Where the model is converted once per session: the same path test_modelprep
    uses (preparing is idempotent); removed at the end, it is 470 MB."""
    target = tmp_path_factory.getbasetemp() / "ictqa-default-model"
    yield target
    shutil.rmtree(target, ignore_errors=True)


@pytest.fixture(scope="module")
def default_encoder(session_model_path) -> Encoder:
    """load_encoder() exactly as the CLI calls it, with the hub disabled."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ICTQA_MODEL_DIR", str(session_model_path))
        mp.setenv("HF_HUB_OFFLINE", "1")
        return load_encoder()


@pytest.mark.slow
def test_default_encoder_contract(default_encoder):
    assert isinstance(default_encoder, OnnxEncoder)
    assert default_encoder.model_id == RECOMMENDED_MODEL and default_encoder.dimension == 384
    assert default_encoder.encode_queries([]).shape == (0, 384)
    vecs = default_encoder.encode_documents(["情報通信白書", "", "x" * 5000])
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)
    # The prompts differ, so a text embeds differently as query and as passage.
    q, p = default_encoder.encode_queries(["情報通信白書"])[0], vecs[0]
    assert 0.8 < float(q @ p) < 0.9999


# Ten-plus unrelated topics; every English question must find its Japanese passage first.
_PASSAGES = [
    (
        "光海底ケーブルは国際的なデータ通信の大部分を担っており、その敷設と保守は経済安全保障の観点からも重要である。",
        "Why are submarine optical fiber cables important for international data traffic?",
    ),
    (
        "第5世代移動通信システム（5G）の基地局整備が進み、人口カバー率は9割を超えた。",
        "How far has the rollout of 5G mobile base stations progressed?",
    ),
    (
        "大規模地震の発生時には、携帯電話の基地局が停電で停止し、通信が途絶するおそれがある。",
        "What happens to mobile phone networks during a large earthquake and power outage?",
    ),
    (
        "生成AIの急速な普及に伴い、偽情報の拡散や著作権侵害などのリスクへの対応が求められている。",
        "What risks does the spread of generative AI bring, such as disinformation and copyright?",
    ),
    (
        "高齢者のスマートフォン利用率は年々上昇しているが、デジタル機器に不慣れな人への支援が課題である。",
        "How many elderly people use smartphones and what support do they need?",
    ),
    (
        "サイバー攻撃の件数は増加しており、IoT機器を狙った不正アクセスへの対策が急務となっている。",
        "How should we defend IoT devices against increasing cyber attacks?",
    ),
    (
        "テレワークの導入率はコロナ禍で大きく伸び、働き方の多様化が進んだ。",
        "Did remote work adoption grow during the COVID-19 pandemic?",
    ),
    (
        "衛星通信を活用すれば、山間部や離島など地上回線の届きにくい地域にもブロードバンドを提供できる。",
        "Can satellites deliver broadband to remote islands and mountain areas?",
    ),
    (
        "スマート農業では、ドローンやセンサーで収集したデータを活用して作物の生育管理を効率化している。",
        "How do drones and sensors help farmers manage crops?",
    ),
    (
        "キャッシュレス決済の比率は上昇を続け、QRコード決済の利用者も増えている。",
        "Is the use of cashless payments and QR code payments increasing?",
    ),
    (
        "放送コンテンツの海外展開により、日本の番組やアニメの国際的な認知度が高まっている。",
        "Are Japanese TV programs and anime being exported overseas?",
    ),
    (
        "電波の有効利用を図るため、周波数の再編や共用の仕組みが検討されている。",
        "How is the radio spectrum (frequencies) reorganized and shared?",
    ),
]


@pytest.mark.slow
def test_cross_lingual_retrieval(default_encoder):
    docs = default_encoder.encode_documents([p for p, _ in _PASSAGES])
    queries = default_encoder.encode_queries([q for _, q in _PASSAGES])
    top1 = (queries @ docs.T).argmax(axis=1)
    assert list(top1) == list(range(len(_PASSAGES)))
