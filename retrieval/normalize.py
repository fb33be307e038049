"""Vietnamese text normalisation shared by the gateway and the Rasa pipeline.

Standard library only: this module is installed in both virtual environments.

- `canonical(text)`: NFC, lower-case, one tone-mark placement ("hoà" -> "hòa").
- `fold(text)`: the diacritics-free form ("đăng nhập" -> "dang nhap").
- `expand_teencode(words)`: informal spellings and abbreviations to plain words, and a tone key
  left behind by a Telex keyboard put back as the tone ("hocj" -> "học").
- `normalize(text)`: canonical + teencode, as a list of words, for indexing and queries.
"""
from __future__ import annotations

import re
import unicodedata

TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng
VOWELS = set("aăâeêioôơuưy")
MARKED_VOWELS = set("ăâêôơư")  # vowels that carry a shape mark and take the tone first
WORD_RE = re.compile(r"\w+(?:[@.:/'-]\w+)*", re.UNICODE)

# One spelling per informal form. Keys are folded (no diacritics), so "đc" and "dc" match alike.
TEENCODE = {
    "ko": "không", "k": "không", "khg": "không", "kg": "không", "hok": "không", "hong": "không",
    "hk": "không", "khog": "không", "kh": "không", "khum": "không",
    "dc": "được", "đc": "được",
    "j": "gì", "gj": "gì", "z": "vậy", "zay": "vậy", "ntn": "như thế nào", "ns": "nói", "nl": "nói lại",
    "sdt": "số điện thoại", "stk": "số tài khoản", "tk": "tài khoản", "tknh": "tài khoản ngân hàng",
    "dt": "điện thoại", "dth": "điện thoại", "r": "rồi", "vs": "với", "mn": "mọi người",
    "ng": "người", "nv": "nhân viên", "tn": "tin nhắn", "trc": "trước", "mun": "muốn",
    "hnay": "hôm nay", "bit": "biết", "lm": "làm", "cx": "cũng", "ad": "admin", "dk": "đăng ký",
    "dvc": "dịch vụ công", "kq": "kết quả", "tks": "cảm ơn", "thanks": "cảm ơn",
    "thank": "cảm ơn", "camon": "cảm ơn", "ctv": "cộng tác viên", "gplx": "giấy phép lái xe",
    "bhyt": "bảo hiểm y tế", "bhxh": "bảo hiểm xã hội", "tphcm": "thành phố hồ chí minh",
    "hcm": "hồ chí minh", "sg": "sài gòn", "hn": "hà nội", "cmnd": "chứng minh nhân dân",
    "oke": "ok", "oki": "ok", "okie": "ok", "pass": "mật khẩu", "app": "ứng dụng",
    "ak": "ạ", "e": "em", "mng": "mọi người", "bt": "biết",
    "ib": "nhắn tin", "sd": "sử dụng", "vd": "ví dụ", "ttin": "thông tin", "tt": "thông tin",
    "cskh": "chăm sóc khách hàng", "nh": "ngân hàng", "tnv": "tình nguyện viên",
    "ny": "người yêu", "rep": "trả lời", "hc": "học",
}
# Teencode typed with accents ("đ" aside: "đc", "sđt" are teencode). Any other accented word is
# read as written: "hỏng" (broken) and "hồng" are not "hong" (không), nor is "mụn" "mun" (muốn).
ACCENTED_TEENCODE = {"mún", "hông", "bít"}
# Ambiguous forms, resolved by the neighbouring words.
# Folded neighbours, so unaccented text resolves the same way.
MK_AS_PASSWORD = {"vneid", "zalo", "ngan", "tai", "dang", "nhap", "doi", "quen", "dat", "la",
                  "moi", "cu", "sai", "lo", "bank", "facebook", "email", "gmail", "cua"}
BN_AS_HOW_MUCH = {"tien", "tuoi", "ngay", "lau", "so", "trieu", "phut", "gio", "lan", "nguoi"}


# Telex types a tone as a letter after the syllable; when the keyboard's conversion fails the
# letter stays ("hocj", "hoir"). No Vietnamese word ends in one of these letters.
TELEX_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
SYLLABLE_RE = re.compile(  # an unaccented Vietnamese syllable: onset, vowels, final consonant
    r"(ngh|ch|gh|gi|kh|ng|nh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:uye|uya|uyu|oai|oay|oeo|uay|uoi|uou|ieu|yeu|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ye|"
    r"[aeiouy])(c|ch|m|n|ng|nh|p|t)?")


def _repair_telex(word: str) -> str:
    """`word` with a trailing Telex tone key turned into its tone, when the rest is a toneless syllable."""
    tone = TELEX_TONES.get(word[-1:])
    base = word[:-1]
    match = SYLLABLE_RE.fullmatch(fold(base)) if tone else None
    # Vowels alone ("as", "is", "or", "yes") are English far more often than a Telex slip.
    if not match or match.group(1, 2) == (None, None) or any(
            ch in TONE_MARKS for ch in unicodedata.normalize("NFD", base)):
        return word
    if match.group(2) in ("c", "ch", "p", "t") and word[-1] not in "sj":
        return word  # a syllable ending in a stop takes only sắc or nặng
    return _place_tone(unicodedata.normalize("NFC", base + tone))


def _place_tone(syllable: str) -> str:
    """Move the tone mark of one lower-case NFC syllable to the canonical vowel (old style)."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [ch for ch in decomposed if ch in TONE_MARKS]
    if len(tones) != 1:
        return syllable
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in TONE_MARKS))
    start = 0
    if bare.startswith("qu") or (bare.startswith("gi") and len(bare) > 2 and bare[2] in VOWELS):
        start = 2
    positions = [i for i in range(start, len(bare)) if bare[i] in VOWELS]
    if not positions:
        return syllable
    # The vowel nucleus is the first run of consecutive vowels.
    run = [positions[0]]
    for pos in positions[1:]:
        if pos == run[-1] + 1:
            run.append(pos)
        else:
            break
    marked = [i for i in run if bare[i] in MARKED_VOWELS]
    if marked:
        target = marked[-1]  # "ươ" takes the tone on "ơ"
    elif len(run) == 3:
        target = run[1]
    elif len(run) == 2:
        ends_in_consonant = run[-1] < len(bare) - 1
        target = run[1] if ends_in_consonant else run[0]
    else:
        target = run[0]
    out = bare[: target + 1] + tones[0] + bare[target + 1:]
    return unicodedata.normalize("NFC", out)


def canonical(text: str) -> str:
    """NFC, lower-case, and one tone-mark placement for every word."""
    text = unicodedata.normalize("NFC", text).lower()
    return WORD_RE.sub(lambda m: _place_tone(m.group(0)) if m.group(0).isalpha() else m.group(0), text)


def fold(text: str) -> str:
    """Remove every Vietnamese diacritic; "đ" becomes "d"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def words(text: str) -> list[str]:
    """The canonical words of a text, punctuation dropped."""
    return WORD_RE.findall(canonical(text))


def expand_word(word: str, prev: str | None, nxt: str | None) -> str:
    """The plain spelling of one canonical word, looking at its neighbours for ambiguous ones."""
    key = fold(word)
    if key == "mk":
        near = {fold(prev or ""), fold(nxt or "")}
        return "mật khẩu" if near & MK_AS_PASSWORD else "mình"
    if key == "bn":
        return "bao nhiêu" if fold(nxt or "") in BN_AS_HOW_MUCH else "bạn"
    if key == "v":
        return "vậy" if nxt is None else word
    teencode = TEENCODE.get(key) if word.replace("đ", "d") == key or word in ACCENTED_TEENCODE else None
    return teencode or _repair_telex(word)


def expand_teencode(tokens: list[str]) -> list[str]:
    """Replace informal spellings in a list of canonical words."""
    out = []
    for i, word in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        out.extend(expand_word(word, prev, nxt).split())
    return out


def normalize(text: str) -> list[str]:
    """Canonical words with teencode expanded: the form indexed and queried."""
    return expand_teencode(words(text))


def normalize_text(text: str) -> str:
    return " ".join(normalize(text))


# Words that say nothing about the topic: they neither match in the search nor count as evidence.
STOPWORDS = {fold(w) for w in (
    "tôi bác cháu con em anh chị mình bạn ạ ơi à nhé nha thì là mà và của có không được với cho "
    "làm sao thế nào như gì vậy đi rồi này kia đó ở trong trên dưới hả hở nào bị phải cần muốn "
    "hỏi xin giúp với ai cái các những một hay hoặc khi nếu để lại ra vào đã đang sẽ chưa nó họ "
    "người ta mọi bao nhiêu mấy"
).split()}
