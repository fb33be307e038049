"""The Rasa tokenizer keeps offsets into the original message whatever its spelling."""
import unicodedata

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.vi_tokenizer import VietnameseTokenizer, segment


def check_offsets(text):
    tokens = segment(text)
    assert tokens, text
    for token in tokens:
        assert text[token.start:token.end] == token.text
    return tokens


@pytest.mark.parametrize("text", [
    "Làm sao đăng nhập VNeID trên điện thoại mới?",      # accented
    "lam sao dang nhap vneid tren dien thoai moi",       # unaccented
    "LÀM SAO Đăng Nhập VNeID",                           # mixed case
    "Hoà bình và hòa bình",                              # both tone placements
    "quên mk vneid thì lm ntn, ko nhận dc otp",          # teencode
    "  nhiều   khoảng trắng\tvà\nxuống dòng  ",
])
def test_offsets_match_the_message_text(text):
    check_offsets(text)


def test_decomposed_input_keeps_offsets():
    text = unicodedata.normalize("NFD", "Đăng nhập cổng dịch vụ công")
    tokens = check_offsets(text)
    assert [t.lemma for t in tokens][:2] == ["dang", "nhap"]


def test_compound_words_are_one_token():
    tokens = segment("Quên mật khẩu điện thoại")
    assert [t.text for t in tokens] == ["Quên", "mật khẩu", "điện thoại"]


def test_tone_placement_and_accents_give_the_same_lemmas():
    assert [t.lemma for t in segment("Hoà")] == [t.lemma for t in segment("hòa")] == ["hoa"]
    accented = [t.lemma for t in segment("quên mật khẩu")]
    plain = [t.lemma for t in segment("quen mat khau")]
    assert "_".join(accented).replace("_", " ") == "_".join(plain).replace("_", " ") == "quen mat khau"


def test_teencode_lemmas_are_expanded():
    tokens = segment("ko nhận dc mã, lm ntn")
    assert [t.lemma for t in tokens][:4] == ["khong", "nhan", "duoc", "ma"]
    assert tokens[-1].text == "ntn" and tokens[-1].lemma.endswith("the_nao")


def test_component_tokenizes_a_message():
    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    message = Message.build(text="Tôi quên mật khẩu VNeID")
    tokenizer.process([message])
    tokens = message.get("text_tokens")
    assert [t.text for t in tokens] == ["Tôi", "quên", "mật khẩu", "VNeID"]


def test_empty_text_has_no_tokens():
    assert segment("?!  ") == []


def test_each_emoji_is_a_token():
    tokens = check_offsets("👎👎 chưa đúng")
    assert [t.lemma for t in tokens[:2]] == ["👎", "👎"]
