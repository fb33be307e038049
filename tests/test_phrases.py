"""Phrase matching for the scam check and the course catalogue: folded, whole words, each phrase once."""
from pathlib import Path

from retrieval.phrases import folded_words, matches
from retrieval.scam import ScamSignals

ROOT = Path(__file__).resolve().parent.parent


def test_phrases_match_whatever_the_accents_and_teencode():
    haystack = folded_words("Ai hỏi mã OTP thì ko đưa, ko bấm link lạ")
    assert matches(["mã OTP", "ma otp", "không đưa", "chuyển khoản"], haystack) == ["khong dua", "ma otp"]


def test_phrases_match_whole_words_only():
    assert matches(["otp"], folded_words("mã otpx")) == []
    assert matches(["otp"], folded_words("mã otp.")) == ["otp"]
    assert matches(["", "  "], folded_words("bất kỳ")) == []


def test_a_phrase_added_later_is_matched_too():
    haystack = folded_words("họ bảo nạp tiền nâng cấp VIP")
    assert matches(["nạp tiền"], haystack) == ["nap tien"]
    assert matches(["nạp tiền", "nâng cấp vip"], haystack) == ["nang cap vip", "nap tien"]


def test_a_pasted_scam_sms_is_flagged_with_its_signs():
    report = ScamSignals.load(ROOT / "knowledge_base").check(
        "Tai khoan cua ban bi khoa, bam vao link vietcombank-xacminh.top de xac minh ngay, cung cap ma OTP")
    assert report.suspicious
    assert report.risky_links == ["vietcombank-xacminh.top"]
    assert report.signs
