from retrieval.privacy import ID_MASK, OTP_MASK, PASSWORD_MASK, mask


def test_otp_id_number_and_password_are_masked():
    m = mask("Bác nhận mã 6 số 290417 từ VNeID, số căn cước 038156003921, mật khẩu là Hoa123456@.")
    assert "290417" not in m.text and "038156003921" not in m.text and "Hoa123456" not in m.text
    assert OTP_MASK in m.text and ID_MASK in m.text and PASSWORD_MASK in m.text
    assert m.has_secret and set(m.found) == {"otp", "id_number", "password"}


def test_teencode_password_is_masked():
    m = mask("mk vneid của mình là Lan@1965abc, bn đăng nhập hộ mk vs")
    assert "Lan@1965abc" not in m.text and m.found == ["password"]


def test_card_numbers_are_told_by_checksum_prefix_or_the_word_card():
    assert mask("4111 1111 1111 1111 là gì").found == ["card_number"]  # the checksum holds
    assert mask("9704051234567890 là gì").found == ["card_number"]  # the domestic network's prefix
    # a mistyped digit breaks the checksum, but the message speaks of a card
    for text in ("thẻ ATM của bác số 1234 5678 1234 5678, xem còn bao nhiêu tiền",
                 "so the cua toi 1234567812345678", "THE ATM 1234 5678 1234 5678"):
        m = mask(text)
        assert "5678" not in m.text and m.found == ["card_number"] and m.has_secret
    assert mask("mã 1234 5678 9012 3456").text.count("[số thẻ]") == 0


def test_codes_and_id_numbers_typed_in_groups_are_masked():
    m = mask("mã otp nó gửi là 582 917, giờ nhập vào đâu")
    assert "582" not in m.text and "917" not in m.text and m.found == ["otp"]
    m = mask("cccd của tôi là 001 092 012 345, kiểm tra giúp")
    assert "012 345" not in m.text and m.found == ["id_number"] and m.has_secret
    m = mask("739204")  # the code alone, typed at the step that asks for it
    assert m.text == OTP_MASK and m.has_secret
    m = mask("Có số +639171234567 nhắn Zalo bảo tôi trúng thưởng")  # a foreign phone number, not an ID
    assert m.found == ["phone"] and "+639" in m.text and not m.has_secret


def test_a_year_or_a_hotline_beside_the_word_ma_is_not_a_code():
    for text in ("Bác sinh năm 1958, quên mã passcode VNeID rồi làm thế nào",
                 "gọi 1900 0368 thì bấm phím mấy, mã passcode bác chưa lấy lại được",
                 "từ 2025 mã định danh thay cho mã số thuế à", "2025"):
        assert mask(text).text == text and not mask(text).found
    assert mask("mã xác thực là 2024").found == ["otp"]  # right after "là", it is a code


def test_password_named_several_words_before_it_is_masked():
    m = mask("mật khẩu app ngân hàg của tôi là Minh@2024xx, bạn đăng nhâp hộ tôi")
    assert "Minh@2024" not in m.text and m.found == ["password"]


def test_password_typed_right_after_the_word_is_masked():
    for text, secret in [("e dat mk Hoa@2024vn ma no cu bao ko hop le", "Hoa@2024vn"),
                         ("đổi mật khẩu thành abc12345 được chưa", "abc12345")]:
        m = mask(text)
        assert secret not in m.text and m.found == ["password"]
    for text in ("mật khẩu 8-20 ký tự", "mật khẩu VNeID phải có chữ hoa", "mật khẩu thành công rồi"):
        assert mask(text).text == text and not mask(text).found


def test_phone_numbers_keep_only_their_prefix():
    m = mask("gọi lại 0912345678 giúp tôi")
    assert "0912345678" not in m.text and "0912" in m.text and not m.has_secret


def test_ordinary_numbers_are_left_alone():
    for text in ("chuyển khoản 15 triệu có phải quét mặt", "phạt 500.000 đồng", "Tổng đài 1900 0368",
                 "passcode vneid là mấy số", "năm 2025"):
        assert mask(text).text == text and not mask(text).found
