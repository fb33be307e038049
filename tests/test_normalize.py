from retrieval.normalize import canonical, fold, normalize_text


def test_canonical_is_nfc_lower_case_with_one_tone_placement():
    assert canonical("Hoà Bình THUỶ") == canonical("hòa bình thủy") == "hòa bình thủy"
    assert canonical("Quý khách") == "quý khách"
    assert canonical("hoàng") == "hoàng"  # final consonant: tone on the second vowel
    assert canonical("người ĐƯỢC") == "người được"


def test_decomposed_text_becomes_composed():
    import unicodedata
    assert canonical(unicodedata.normalize("NFD", "Đăng nhập")) == "đăng nhập"


def test_fold_removes_every_diacritic():
    assert fold("Đăng nhập định danh mức 2") == "Dang nhap dinh danh muc 2"


def test_teencode_is_expanded():
    assert normalize_text("ko nhận dc mã otp") == "không nhận được mã otp"
    assert normalize_text("quên mk vneid thì lm ntn") == "quên mật khẩu vneid thì làm như thế nào"
    assert normalize_text("sđt đổi r") == "số điện thoại đổi rồi"
    assert normalize_text("hông bít mún làm j") == "không biết muốn làm gì"  # teencode typed with accents
    assert normalize_text("ny ko rep tn") == "người yêu không trả lời tin nhắn"
    assert normalize_text("mún hc dùng đt") == "muốn học dùng điện thoại"


def test_an_accented_word_is_not_mistaken_for_teencode():
    assert normalize_text("điện thoại bị hỏng rồi") == "điện thoại bị hỏng rồi"  # not "không"
    assert normalize_text("cây hoa hồng, trị mụn") == "cây hoa hồng trị mụn"
    assert normalize_text("dt bi hong") == "điện thoại bi không"  # unaccented, it is teencode


def test_ambiguous_abbreviations_follow_their_neighbours():
    assert normalize_text("mk lm dc r") == "mình làm được rồi"
    assert normalize_text("doi mk zalo") == "doi mật khẩu zalo"
    assert normalize_text("het bn tien") == "het bao nhiêu tien"
    assert normalize_text("tks bn") == "cảm ơn bạn"


def test_a_telex_tone_key_left_after_a_syllable_becomes_the_tone():
    assert normalize_text("cho hoir khoas hocj nao") == "cho hỏi khóa học nao"
    assert normalize_text("tài khoản bij khoá") == "tài khoản bị khóa"
    # Not a syllable, a stop with the wrong tone, or vowels alone: left as typed.
    assert normalize_text("sms iphone hocr") == "sms iphone hocr"
    assert normalize_text("yes or as") == "yes or as"
