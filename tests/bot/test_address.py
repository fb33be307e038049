"""The form of address follows how users speak of themselves and how they call the bot."""
import pytest
from rasa_sdk import Tracker

from actions.replies import address_of


def address(text, before=None):
    return address_of(Tracker("address-test", {"address": before} if before else {}, {"text": text},
                              [], False, None, {}, "action_listen"))


@pytest.mark.parametrize("text, expected", [
    ("bác muốn hỏi VNeID", "bác"), ("chị cảm ơn nhé", "chị"), ("Cháu ơi cho bác hỏi", "bác"),
    ("chào cháu, bác mới tập dùng", "bác"),
    ("bac muon dat lich kham", "bác"), ("chau oi giup voi", "bác"), ("chua on chau a", "bác"),  # no accents
    ("anh ơi cho em hỏi", "bạn"), ("anh oi cho em hoi", "bạn"),  # "anh ơi" calls the bot
    ("co ai biet khong", "bạn"), ("chi toi cach dang nhap", "bạn"),  # "có", "chỉ", not "cô", "chị"
    ("Cháu cho bác hỏi, thẻ căn cước rơi mất rồi", "bác"), ("xong rồi cháu ạ", "bác"),
    ("Ông nội em nhận được tin nhắn này", "bạn"), ("bà tôi bị lừa mất tiền", "bạn"),  # someone else
    ("Anh cho em hỏi, bộ phận một cửa", "bạn"),  # "anh cho em": the bot is "anh"
    ("bac muon doi sđt tren vneid", "bác"), ("hom qua co thang goi dien cho bac xung la cong an", "bác"),
])
def test_address_of_a_message(text, expected):
    assert address(text) == expected


def test_a_message_without_a_cue_keeps_the_address_used_before():
    assert address("quên mật khẩu thì sao", before="chú") == "chú"
