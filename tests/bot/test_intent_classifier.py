"""The trained NLU pipeline (tokenizer, featurizers, sentence embedding, linear intent classifier)
classifies messages that are not in the training data, whatever their spelling."""
import asyncio
import os
from pathlib import Path

import pytest
from rasa.core.agent import Agent

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def agent():
    model = os.environ.get("MODEL") or str(sorted((ROOT / "bot" / "models").glob("*.tar.gz"))[-1])
    return Agent.load(str(Path(model).resolve()))


def intent(agent, text):
    return asyncio.run(agent.parse_message(text))["intent"]


@pytest.mark.parametrize("accented, plain, expected", [
    ("Cô muốn tìm một lớp học dùng điện thoại cho người lớn tuổi", "co muon tim mot lop hoc dung dien thoai cho nguoi lon tuoi", "find_course"),
    ("Có người nhắn tôi là trúng thưởng, bảo nộp phí nhận quà", "co nguoi nhan toi la trung thuong, bao nop phi nhan qua", "check_scam"),
    ("Cho tôi nói chuyện với cán bộ hỗ trợ", "cho toi noi chuyen voi can bo ho tro", "request_human"),
    ("Thời tiết Đà Lạt cuối tuần này thế nào", "thoi tiet da lat cuoi tuan nay the nao", "out_of_scope"),
])
def test_new_messages_get_their_intent_with_or_without_accents(agent, accented, plain, expected):
    assert intent(agent, accented)["name"] == expected
    assert intent(agent, plain)["name"] == expected


def test_the_ranking_is_a_probability_distribution(agent):
    result = asyncio.run(agent.parse_message("làm sao đổi mật khẩu VNeID"))
    assert result["intent"]["name"] == "ask_question"
    ranking = result["intent_ranking"]
    assert ranking[0]["confidence"] >= ranking[1]["confidence"] > 0
    assert sum(r["confidence"] for r in ranking) <= 1.0 + 1e-6


def test_a_thumbs_down_alone_is_negative_feedback(agent):
    assert intent(agent, "👎")["name"] == "feedback_down"


@pytest.mark.parametrize("text", ["?!", "..."])
def test_a_message_without_words_falls_back_instead_of_failing(agent, text):
    assert intent(agent, text)["name"] == "nlu_fallback"
