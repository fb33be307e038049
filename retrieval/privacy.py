"""Personal data in user messages: find it and mask it before anything is logged or stored.

Standard library only (installed in both environments). The masks are readable placeholders, so
the dialogue can still tell that an OTP or an ID number was shared without ever seeing it.
"""
from __future__ import annotations

import dataclasses
import re

from retrieval.normalize import fold

OTP_MASK = "[mã OTP]"
ID_MASK = "[số định danh]"
PASSWORD_MASK = "[mật khẩu]"
CARD_MASK = "[số thẻ]"
ACCOUNT_MASK = "[số tài khoản]"
# Secrets whose sharing the assistant warns about (a phone number is masked but not warned about).
SECRET_KINDS = ("otp", "id_number", "password", "card_number")

_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)")
# A 16-19 digit number is a card number when its checksum holds, when it starts with the domestic
# card network's prefix (Napas, 9704), or when the message speaks of a card: people mistype digits.
NAPAS_PREFIX = "9704"
_CARD_WORD = re.compile(r"\bthẻ\b", re.I)  # as typed: folded, "the" is also English
_CARD_WORDS_FOLDED = re.compile(r"\b(so the|the atm|the ngan hang|the tin dung|the ghi no|atm|visa|mastercard|card|napas)\b",
                                re.I)
_ID12 = re.compile(r"(?<![\d+])\d{3}(?:[ .]?\d{3}){3}(?!\d)")  # whole or in groups: 001 092 012 345; "+63…" is a phone
_PHONE = re.compile(r"(?<![\w+])(\+?84|0)(\d[ .]?){8,10}\d(?!\d)|(?<!\w)(\+|00)\d{2,4}[ .]?(\d[ .]?){5,11}\d(?!\d)")
_ACCOUNT = re.compile(r"\b(stk|số tài khoản|so tai khoan|tài khoản số|tai khoan so)\b[^\d\n]{0,15}(\d[\d ]{5,18}\d)", re.I)
_OTP_CONTEXT = re.compile(r"\b(otp|mã|ma|code|xác thực|xac thuc|xác nhận|xac nhan|kích hoạt|kich hoat)\b", re.I)
# 4 to 8 digits, typed whole or in groups ("582 917"), that are not an amount or an age.
_SHORT_CODE = re.compile(r"(?<![\d.,:/-])\d(?:[ .]?\d){3,7}(?![\d%/-]|[.,]\d|\s*(?:đ|d|k|triệu|trieu|tr|nghìn|ngàn|tuổi|tuoi|năm|nam)\b)")
_CODE_WORDS = {"ma", "otp", "code", "la"}  # right before a year-like number, they make it a code: "mã 2024"
SERVICE_PREFIXES = ("1900", "1800")  # 8-digit hotlines: "1900 0368"
# "mật khẩu (app ngân hàng của tôi ...) là X", where X looks like a password: it has a digit or a symbol.
_PASSWORD = re.compile(
    r"\b(mật khẩu|mat khau|mk|pass(?:word)?|passcode|mã pin|ma pin|pin)\b(\s+(?:\S+\s+){0,6}?(?:là|la|:|=)\s*|\s*[:=]\s*)"
    r"(?=\S*[\d@#$%^&*!?])(\S{4,})",
    re.I,
)

# "đặt mk Hoa@2024vn", "đổi mật khẩu thành abc12345": a password typed right after the word, with no "là";
# it has a digit and a letter or symbol, so "mật khẩu 8-20 ký tự" or "mật khẩu VNeID" are not one.
_PASSWORD_TYPED = re.compile(
    r"\b(mật khẩu|mat khau|mk|pass(?:word)?)\b(\s+(?:mới\s+|moi\s+|cũ\s+|cu\s+|thành\s+|thanh\s+)?)"
    r"(?=\S*\d)(?=\S*[^\W\d_]|\S*[@#$%^&*!?])(\S{6,})",
    re.I,
)


@dataclasses.dataclass
class Masked:
    text: str
    found: list[str]  # kinds of personal data that were masked, e.g. ["otp", "id_number"]

    @property
    def has_secret(self) -> bool:
        return any(kind in SECRET_KINDS for kind in self.found)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _speaks_of_card(text: str) -> bool:
    return bool(_CARD_WORD.search(text) or _CARD_WORDS_FOLDED.search(fold(text)))


def _keep_prefix(number: str) -> str:
    """A phone number with only its first 4 and last 2 characters kept: '+882•••••34'."""
    compact = re.sub(r"[ .]", "", number)
    return compact[:4] + "•" * max(len(compact) - 6, 1) + compact[-2:]


def mask(text: str) -> Masked:
    """Mask ID numbers, card and account numbers, passwords, OTPs and phone numbers in `text`."""
    found: list[str] = []

    def sub(pattern, replacement, kind, value):
        new = pattern.sub(replacement, value)
        if new != value:
            found.append(kind)
        return new

    def password(m):
        return m.group(1) + m.group(2) + PASSWORD_MASK

    def otp(m):
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) == 8 and digits.startswith(SERVICE_PREFIXES):
            return m.group(0)
        before = re.findall(r"\w+", fold(m.string[max(0, m.start() - 8):m.start()]).lower())
        if len(digits) == 4 and 1900 <= int(digits) <= 2099 and not (before and before[-1] in _CODE_WORDS):
            return m.group(0)  # a year: "sinh năm 1958"
        return OTP_MASK

    def card(m):
        digits = re.sub(r"\D", "", m.group(0))
        return CARD_MASK if _luhn(digits) or digits.startswith(NAPAS_PREFIX) or _speaks_of_card(text) else m.group(0)

    text = sub(_PASSWORD, password, "password", text)
    text = sub(_PASSWORD_TYPED, password, "password", text)
    text = sub(_CARD, card, "card_number", text)
    text = sub(_ID12, ID_MASK, "id_number", text)
    text = sub(_ACCOUNT, lambda m: m.group(0).replace(m.group(2), ACCOUNT_MASK), "account_number", text)
    text = sub(_PHONE, lambda m: _keep_prefix(m.group(0)), "phone", text)
    # A code beside words about codes, or a message that is a code and nothing else ("739204")
    if _OTP_CONTEXT.search(fold(text)) or _OTP_CONTEXT.search(text) or _SHORT_CODE.fullmatch(text.strip(" .!")):
        text = sub(_SHORT_CODE, otp, "otp", text)
    return Masked(text, found)
