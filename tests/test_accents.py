"""The knowledge base's own words put accents back on a query and repair its typing slips."""
from retrieval.accents import AccentRestorer, one_slip_away

TEXTS = ["Quên mật khẩu VNeID thì làm thế nào?", "Kiểm tra mã QR trước khi chuyển tiền.",
         "Cơ quan công an làm việc với người dân tại trụ sở, không thu tiền.", "Mở ứng dụng ngân hàng.",
         "Mặt trước thẻ căn cước.", "Cách nhận biết lừa đảo.", "bi lua dao qua mang", "bi dao lua"]
RESTORER = AccentRestorer(TEXTS)


def test_an_unaccented_query_gets_the_knowledge_bases_accents():
    assert RESTORER.restore("quen mat khau vneid") == "quên mật khẩu vneid"


def test_each_sentence_is_restored_on_its_own():
    # the accented title of the last answer in front does not keep a typed follow-up unaccented
    assert RESTORER.restore("Cách nhận biết lừa đảo. quen mat khau thi lam the nao") == \
        "cách nhận biết lừa đảo quên mật khẩu thì làm thế nào"


def test_a_word_one_slip_from_a_knowledge_base_word_is_repaired():
    assert RESTORER.restore("kiiem tra ma qr") == "kiểm tra mã qr"            # doubled letter
    assert RESTORER.restore("công an làm việc với dân khng") == "công an làm việc với dân không"  # dropped letter
    assert RESTORER.restore("mở ứng dụng ngân hhàng") == "mở ứng dụng ngân hàng"   # in an accented query too
    assert RESTORER.restore("bọn lua đđảo") == "bọn lua đảo"                  # the typed accents kept
    assert RESTORER.restore("qeun mật khẩu") == "quên mật khẩu"               # swapped letters


def test_words_the_knowledge_base_uses_or_cannot_explain_stay_as_typed():
    assert RESTORER.restore("mặt trước thẻ") == "mặt trước thẻ"  # accented and known: not "mật"
    assert RESTORER.restore("giá vàng xyzw") == "giá vàng xyzw"  # nothing one slip away
    assert RESTORER.restore("bác thẹn quá") == "bác thẹn quá"    # a syllable is a real word: not "thẻ"
    assert RESTORER.restore("cho vui thôi") == "cho vui thôi"    # nor "vụ"
    assert RESTORER.restore("trang ais gov vn") == "trang ais gov vn"  # short words may be abbreviations
    assert RESTORER.restore("") == ""


def test_one_slip_away_covers_each_kind_of_slip():
    near = one_slip_away("viec")
    assert {"vie", "vviec", "viecc", "veic", "vieec"} <= near and "viec" not in near
