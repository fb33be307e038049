"""How action_answer chooses the kind of its reply from the scam check, the search and the NLU's guess."""
import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions

SCAM_ARTICLE = {"id": "scam-trung-thuong-qua-tri-an", "title": "Lừa đảo trúng thưởng bắt đóng phí trước",
                "topic": "scam", "score": 0.45, "body": "Đây là lừa đảo. Giải thưởng thật không bắt nộp phí trước.",
                "steps": [], "url": None}
HOWTO_ARTICLE = {"id": "vneid-quen-mat-khau", "title": "Quên mật khẩu VNeID", "topic": "vneid", "score": 0.45,
                 "body": "Bấm Quên mật khẩu trên màn hình đăng nhập.", "steps": [], "url": None}
NO_SIGN = {"suspicious": False, "patterns": [], "signs": [], "foreign_numbers": [], "risky_links": []}
ONE_SIGN = dict(NO_SIGN, patterns=[{"id": "trung-thuong-qua-tri-an", "name": "Trúng thưởng", "article": "",
                                    "signals": ["chuong trinh quay so"], "advice": []}])


def reply_to(monkeypatch, text, report, found, intent="ask_question", ranking=(), action=actions.ActionAnswer,
             slots=None, confidence=0.45, events=()):
    """The kind and messages of the action's reply; `found` is the search's result, or a function of
    the query that gives it."""
    handed_over = []

    async def scam_check(query):
        return report

    async def search(query, k=3):
        return found(query) if callable(found) else found

    async def handoff(sender, channel):
        handed_over.append(sender)

    monkeypatch.setattr(actions.api, "scam_check", scam_check)
    monkeypatch.setattr(actions.api, "search", search)
    monkeypatch.setattr(actions.api, "handoff", handoff)
    message = {"text": text, "intent": {"name": intent, "confidence": confidence},
               "intent_ranking": [{"name": name, "confidence": c} for name, c in ranking]}
    events = [*events, {"event": "user", "text": text}]
    tracker = Tracker("answer-test", slots or {}, message, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(action().run(dispatcher, tracker, {}))
    kinds = [m["custom"]["meta"]["kind"] for m in dispatcher.messages if m.get("custom", {}).get("meta")]
    return (kinds[0] if kinds else dispatcher.messages[0].get("response")), dispatcher.messages, handed_over


def found(*results, confident=False):
    return {"results": list(results), "abstained": False, "clarify": False, "confident": confident}


def test_a_scam_article_answering_a_message_with_a_sign_of_it_is_a_scam_warning(monkeypatch):
    kind, messages, _ = reply_to(monkeypatch, "có số lạ gọi báo tôi trúng tủ lạnh trong chương trình quay số",
                                 ONE_SIGN, found(SCAM_ARTICLE))
    assert kind == "scam_warning"
    assert any(SCAM_ARTICLE["body"] in (m.get("text") or "") for m in messages)


def test_a_scam_article_without_a_sign_or_a_sign_without_a_scam_article_is_an_answer(monkeypatch):
    assert reply_to(monkeypatch, "làm sao để không bị lừa", NO_SIGN, found(SCAM_ARTICLE))[0] == "answer"
    assert reply_to(monkeypatch, "quên mật khẩu", ONE_SIGN, found(HOWTO_ARTICLE))[0] == "answer"


def test_a_message_to_check_answered_by_a_scam_article_is_a_scam_warning_without_any_listed_sign(monkeypatch):
    text = "có người gọi bảo chuyển nhầm 5 triệu vào tài khoản tôi, nhờ chuyển trả sang một số khác"
    kind, messages, _ = reply_to(monkeypatch, text, NO_SIGN, found(SCAM_ARTICLE), "check_scam",
                                 action=actions.ActionScamCheck)
    assert kind == "scam_warning"
    assert any(SCAM_ARTICLE["body"] in (m.get("text") or "") for m in messages)
    assert reply_to(monkeypatch, text, NO_SIGN, found(HOWTO_ARTICLE), "check_scam",
                    action=actions.ActionScamCheck)[0] == "answer"


def test_someone_who_already_paid_gets_the_scam_article_on_what_to_do_now(monkeypatch):
    suspicious = dict(ONE_SIGN, suspicious=True)
    text = "chiều nay tôi lỡ chuyển 20 triệu cho người xưng nhân viên ngân hàng, giờ làm gì trước"
    kind, messages, _ = reply_to(monkeypatch, text, suspicious, found(SCAM_ARTICLE, confident=True))
    assert kind == "scam_warning" and SCAM_ARTICLE["body"] in messages[0]["text"]
    # before paying, or with no scam article the search is sure of: the warning of the scam check
    before = "người xưng nhân viên ngân hàng bảo tôi chuyển 20 triệu"
    for message, search in [(before, found(SCAM_ARTICLE, confident=True)), (text, found(SCAM_ARTICLE))]:
        kind, messages, _ = reply_to(monkeypatch, message, suspicious, search)
        assert kind == "scam_warning" and messages[0]["text"].startswith("⚠️ Rất có thể đây là lừa đảo")


def test_an_unsure_guess_of_a_request_for_a_human_hands_over_unless_the_search_is_sure(monkeypatch):
    text = "Chú làm ba lần rồi vẫn không được, mắt kém đọc không nổi. Cháu nối chú với người hướng dẫn được không?"
    ranking = [("nlu_fallback", 0.45), ("request_human", 0.43), ("ask_question", 0.37)]
    kind, _, handed_over = reply_to(monkeypatch, text, NO_SIGN, found(HOWTO_ARTICLE), "nlu_fallback", ranking)
    assert kind == "handoff" and handed_over == ["answer-test"]
    kind, _, handed_over = reply_to(monkeypatch, text, NO_SIGN, found(HOWTO_ARTICLE, confident=True),
                                    "nlu_fallback", ranking)
    assert kind == "answer" and not handed_over
    ranking = [("nlu_fallback", 0.45), ("ask_question", 0.43), ("request_human", 0.37)]
    assert reply_to(monkeypatch, text, NO_SIGN, found(HOWTO_ARTICLE), "nlu_fallback", ranking)[0] == "answer"


def test_an_unsure_guess_of_out_of_scope_is_followed_unless_the_search_is_sure(monkeypatch):
    text = "tk liên quân của mình kẹt rank mãi, chỉ cách leo rank nhanh với"
    ranking = [("nlu_fallback", 0.45), ("out_of_scope", 0.37), ("ask_question", 0.30)]
    assert reply_to(monkeypatch, text, NO_SIGN, found(HOWTO_ARTICLE), "nlu_fallback", ranking)[0] == \
        "utter_out_of_scope"
    assert reply_to(monkeypatch, text, NO_SIGN, found(HOWTO_ARTICLE, confident=True), "nlu_fallback",
                    ranking)[0] == "answer"


def test_an_answer_names_its_article_and_the_legal_basis_the_article_records(monkeypatch):
    cited = dict(HOWTO_ARTICLE, legal_basis="Nghị định 69/2024/NĐ-CP")
    _, messages, _ = reply_to(monkeypatch, "quên mật khẩu vneid", NO_SIGN, found(cited))
    assert f"(Nguồn: {cited['title']})\nCăn cứ: Nghị định 69/2024/NĐ-CP" in messages[0]["text"]
    _, messages, _ = reply_to(monkeypatch, "quên mật khẩu vneid", NO_SIGN, found(HOWTO_ARTICLE))
    assert "Căn cứ" not in messages[0]["text"]


def test_an_unsure_guess_of_a_group_answers_the_course_question_only_when_it_was_asked(monkeypatch):
    async def courses(query, group=None, level=None, placement=None, exclude=None):
        return {"group": "citizen", "level": None, "placement": [],
                "courses": [{"id": "c1", "title": "Dùng điện thoại thông minh", "summary": "Làm quen với điện thoại."}]}

    monkeypatch.setattr(actions.api, "courses", courses)
    text = "bác là người cao tuổi, ở nhà trông cháu thôi"
    ranking = [("nlu_fallback", 0.45), ("tell_group", 0.37), ("greet", 0.16)]
    asked = {"course_query": "muốn học dùng điện thoại"}
    assert reply_to(monkeypatch, text, NO_SIGN, found(HOWTO_ARTICLE), "nlu_fallback", ranking, slots=asked)[0] == "course"
    assert reply_to(monkeypatch, text, NO_SIGN, found(HOWTO_ARTICLE), "nlu_fallback", ranking)[0] == "answer"


def test_a_course_asked_for_by_name_gets_course_suggestions_whatever_the_search_finds(monkeypatch):
    async def courses(query, group=None, level=None, placement=None, exclude=None):
        return {"group": None, "level": None, "courses": [dict(id="khoa-ai", title="Ứng dụng AI", summary="AI")],
                "placement": []}

    monkeypatch.setattr(actions.api, "courses", courses)
    nothing = {"results": [], "abstained": True, "clarify": False, "confident": False}
    kind, messages, _ = reply_to(monkeypatch, "có khóa nào về ứng dụng AI trong công việc không", NO_SIGN, nothing)
    assert kind == "course" and "Ứng dụng AI" in messages[1]["text"]
    assert reply_to(monkeypatch, "có lớp nào dạy nhận biết lừa đảo không", NO_SIGN,
                    found(SCAM_ARTICLE, confident=True))[0] == "course"
    assert reply_to(monkeypatch, "co khoa hoc nao ve zalo ko", NO_SIGN, nothing)[0] == "course"
    # "Khoa học" (science) names no course
    for text in ("Khung kỹ năng số mà Bộ Khoa học và Công nghệ ban hành áp dụng cho ai?",
                 "khung ky nang so cua bo khoa hoc va cong nghe ap dung cho ai"):
        assert reply_to(monkeypatch, text, NO_SIGN, found(HOWTO_ARTICLE, confident=True))[0] == "answer"
    assert reply_to(monkeypatch, "khóa tài khoản thế nào", NO_SIGN, nothing)[0] == "fallback"


def test_a_message_of_punctuation_alone_is_prompted_and_is_not_a_failed_attempt(monkeypatch):
    kind, messages, handed_over = reply_to(monkeypatch, "...", NO_SIGN, found(HOWTO_ARTICLE), "nlu_fallback",
                                           slots={"failures": 1})
    assert kind == "fallback" and not handed_over and "cần hỏi gì" in messages[0]["text"]


def test_what_was_missing_asked_as_a_question_is_recorded_and_answered(monkeypatch):
    recorded = []

    async def feedback(sender, channel, value, article_id, missing=None):
        recorded.append((value, missing))

    monkeypatch.setattr(actions.api, "feedback", feedback)
    text = "tôi hỏi cách lấy lại mật khẩu vneid cơ mà?"
    kind, messages, _ = reply_to(monkeypatch, text, NO_SIGN, found(HOWTO_ARTICLE), slots={"awaiting_feedback": True})
    assert recorded == [("down", text)] and kind == "answer"
    assert any(HOWTO_ARTICLE["body"] in (m.get("text") or "") for m in messages)
    kind, _, _ = reply_to(monkeypatch, "thiếu cách làm trên máy tính", NO_SIGN, found(HOWTO_ARTICLE),
                          slots={"awaiting_feedback": True})
    assert kind == "feedback"


def test_an_unsure_guess_of_done_during_a_guide_is_the_next_step(monkeypatch):
    async def article(article_id):
        return {"id": article_id, "title": "Quên mật khẩu VNeID", "steps": ["Mở VNeID.", "Bấm Quên mật khẩu."]}

    monkeypatch.setattr(actions.api, "article", article)
    ranking = [("nlu_fallback", 0.45), ("guide_done", 0.40), ("thanks", 0.35)]
    guiding = {"guide_article": "vneid-quen-mat-khau", "guide_step": 0}
    kind, messages, _ = reply_to(monkeypatch, "roi", NO_SIGN, found(HOWTO_ARTICLE), "nlu_fallback", ranking,
                                 slots=guiding)
    assert kind == "guide_step" and "Bấm Quên mật khẩu." in messages[0]["text"]
    assert reply_to(monkeypatch, "roi", NO_SIGN, found(HOWTO_ARTICLE), "nlu_fallback", ranking)[0] == "answer"



def slots_set(action, text, intent, confidence, slots=None) -> dict:
    """The slots the action sets (run after `reply_to` has put the gateway's stand-ins in place)."""
    message = {"text": text, "intent": {"name": intent, "confidence": confidence}}
    tracker = Tracker("answer-test", slots or {}, message, [], False, None, {}, "action_listen")
    events = asyncio.run(action().run(CollectingDispatcher(), tracker, {}))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_a_short_follow_up_is_searched_after_the_subject_of_the_last_answer(monkeypatch):
    searched = []

    def search(query):
        searched.append(query)
        if query.startswith("thế mật khẩu"):
            return found(HOWTO_ARTICLE)  # unsure, but its title says "mật khẩu" too
        return found(SCAM_ARTICLE, confident=query.startswith("Lừa đảo trúng thưởng."))

    follow_up, subject = "thế giờ tôi phải làm gì", {"subject": "Lừa đảo trúng thưởng"}
    kind, messages, _ = reply_to(monkeypatch, follow_up, NO_SIGN, search, "out_of_scope",
                                 action=actions.ActionOutOfScope, slots=subject, confidence=0.53)
    assert kind == "answer" and searched[-1] == "Lừa đảo trúng thưởng. thế giờ tôi phải làm gì"
    assert SCAM_ARTICLE["body"] in messages[0]["text"]
    assert slots_set(actions.ActionOutOfScope, follow_up, "out_of_scope", 0.53, subject)["subject"] == \
        SCAM_ARTICLE["title"]
    # no subject yet, or an off-topic question the classifier is sure of: not searched in context
    assert reply_to(monkeypatch, follow_up, NO_SIGN, search, "out_of_scope",
                    action=actions.ActionOutOfScope, confidence=0.53)[0] == "utter_out_of_scope"
    assert reply_to(monkeypatch, "bác bị đau khớp uống thuốc gì", NO_SIGN, search, "out_of_scope",
                    action=actions.ActionOutOfScope, slots=subject, confidence=0.99)[0] == "utter_out_of_scope"
    # a message naming the subject of the article it found stands on its own: "mật khẩu" in its title
    searched.clear()
    reply_to(monkeypatch, "thế mật khẩu phải mấy ký tự", NO_SIGN, search, slots=subject)
    assert searched == ["thế mật khẩu phải mấy ký tự"]
    # "còn …", or a message that points back, leans on the last answer at greater length; "còn …" even
    # when the classifier is sure it is off-topic, and an unsure classifier's guess does not stop it
    for follow_up, intent, confidence, ranking in [
            ("còn chuyển nhiều lần nhỏ trong ngày thì sao", "ask_question", 0.9, ()),
            ("con ck nhieu lan nho trong ngay thi sao", "out_of_scope", 0.84, ()),
            ("sao tin nay nam chung voi tin that cua vcb v", "check_scam", 0.93, ()),
            ("nhung dung la mat con toi ma", "nlu_fallback", 0.45, [("share_personal_data", 0.33)])]:
        searched.clear()
        reply_to(monkeypatch, follow_up, NO_SIGN, search, intent, ranking, slots=subject, confidence=confidence)
        assert searched == [follow_up, f"Lừa đảo trúng thưởng. {follow_up}"], follow_up
    # a long question stands on its own
    searched.clear()
    long_question = "cho tôi hỏi cách cài đặt ứng dụng ngân hàng trên điện thoại mới mua"
    reply_to(monkeypatch, long_question, NO_SIGN, search, slots=subject)
    assert searched == [long_question]
    # a pair of words with one that says nothing of the subject ("hạn thì") does not name it
    expired = dict(HOWTO_ARTICLE, title="Thẻ căn cước hết hạn thì VNeID có dùng được không?")
    searched.clear()
    reply_to(monkeypatch, "nếu quá hạn thì sao", NO_SIGN,
             lambda query: searched.append(query) or found(expired), slots=subject)
    assert searched == ["nếu quá hạn thì sao", "Lừa đảo trúng thưởng. nếu quá hạn thì sao"]


def test_a_typed_choice_after_an_answer_with_an_alternative_picks_from_what_was_shown(monkeypatch):
    async def article(article_id):
        return {HOWTO_ARTICLE["id"]: HOWTO_ARTICLE, SCAM_ARTICLE["id"]: SCAM_ARTICLE}[article_id]

    monkeypatch.setattr(actions.api, "article", article)
    reply_to(monkeypatch, "quên mật khẩu", NO_SIGN, found(HOWTO_ARTICLE, SCAM_ARTICLE))  # puts the stand-ins in place
    shown = slots_set(actions.ActionAnswer, "quên mật khẩu", "ask_question", 0.9)["clarify_options"]
    assert shown == [HOWTO_ARTICLE["id"], SCAM_ARTICLE["id"]]
    kind, messages, _ = reply_to(monkeypatch, "cái thứ hai", NO_SIGN, found(), "choose_article",
                                 action=actions.ActionChooseArticle, slots={"clarify_options": shown})
    assert kind == "answer" and SCAM_ARTICLE["body"] in messages[0]["text"]
    # "hướng dẫn từng bước" after an answer without steps: the guide of the alternative shown beside it
    with_steps = dict(SCAM_ARTICLE, steps=["Không chuyển tiền.", "Gọi 156."])

    async def article_with_steps(article_id):
        return {HOWTO_ARTICLE["id"]: HOWTO_ARTICLE, SCAM_ARTICLE["id"]: with_steps}[article_id]

    monkeypatch.setattr(actions.api, "article", article_with_steps)
    kind, messages, _ = reply_to(monkeypatch, "hướng dẫn từng bước", NO_SIGN, found(), "start_guide",
                                 action=actions.ActionGuideStart,
                                 slots={"last_article": HOWTO_ARTICLE["id"], "clarify_options": shown})
    assert kind == "guide_step" and "Không chuyển tiền." in messages[1]["text"]


def test_a_scam_warning_is_the_subject_of_what_follows(monkeypatch):
    warned = dict(ONE_SIGN, suspicious=True)
    text = "trúng thưởng xe SH trong chương trình quay số, nộp phí nhận quà"
    assert reply_to(monkeypatch, text, warned, found(), "check_scam", action=actions.ActionScamCheck)[0] == \
        "scam_warning"
    assert slots_set(actions.ActionScamCheck, text, "check_scam", 0.9)["subject"] == "Lừa đảo trúng thưởng"


def test_yes_or_no_typed_to_a_placement_question_answers_it(monkeypatch):
    async def courses(query, group=None, level=None, placement=None, exclude=None):
        return {"group": "citizen", "level": None, "courses": [],
                "placement": [{"domain": "khai-thac", "question": "Bác tự tìm thông tin chưa?"},
                              {"domain": "an-toan", "question": "Bác đặt mật khẩu mạnh chưa?"}]}

    monkeypatch.setattr(actions.api, "courses", courses)
    asked = [{"event": "bot", "text": "Câu 1/2: Bác tự tìm thông tin chưa?",
              "data": {"buttons": actions.PLACEMENT_BUTTONS}},
             {"event": "bot", "data": {"custom": {"meta": {"kind": "course"}}}}]
    for typed, intent, ranking in [("có", "affirm", ()), ("chưa", "deny", ()),
                                   ("roi", "nlu_fallback", [("guide_done", 0.4)]),
                                   ("có, bác vẫn gọi video cho con", "nlu_fallback", [("check_scam", 0.3)]),
                                   ("dạ chưa cháu ạ", "nlu_fallback", [("ask_question", 0.3)])]:
        kind, messages, _ = reply_to(monkeypatch, typed, NO_SIGN, found(HOWTO_ARTICLE), intent, ranking,
                                     action=actions.ActionSmalltalk, events=asked)
        assert kind == "course" and "Câu 2/2" in messages[0]["text"]
    # "có" to the offer of the placement starts it
    offer = [{"event": "bot", "text": "Bác trả lời vài câu hỏi ngắn nhé?", "data": {"buttons": [actions.PLACEMENT_OFFER]}}]
    kind, messages, _ = reply_to(monkeypatch, "có", NO_SIGN, found(HOWTO_ARTICLE), "affirm",
                                 action=actions.ActionSmalltalk, events=offer)
    assert kind == "course" and "Câu 1/2" in messages[0]["text"]
    # a question of its own is not an answer to the placement question
    messages = reply_to(monkeypatch, "có khóa học nào về zalo không", NO_SIGN, found(HOWTO_ARTICLE), "find_course",
                        events=asked)[1]
    assert not any("Câu 2/2" in (m.get("text") or "") for m in messages)
    # the same word with no placement question just asked is small talk
    assert reply_to(monkeypatch, "có", NO_SIGN, found(HOWTO_ARTICLE), "affirm", action=actions.ActionSmalltalk)[0] == \
        "smalltalk"


def test_not_yet_with_no_guide_running_offers_the_last_answer_step_by_step_or_asks_what_is_being_done(monkeypatch):
    async def article(article_id):
        return dict(HOWTO_ARTICLE, steps=["Mở VNeID.", "Bấm Quên mật khẩu."])

    monkeypatch.setattr(actions.api, "article", article)
    kind, messages, _ = reply_to(monkeypatch, "bác bấm mãi không được", NO_SIGN, found(), "guide_not_yet",
                                 action=actions.ActionGuideHelp, slots={"last_article": HOWTO_ARTICLE["id"]})
    assert kind == "guide_step" and HOWTO_ARTICLE["title"] in messages[0]["text"]
    assert messages[0]["buttons"][0]["payload"] == '/start_guide{"article_id":"vneid-quen-mat-khau"}'
    kind, messages, _ = reply_to(monkeypatch, "app báo lỗi hoài", NO_SIGN, found(), "guide_not_yet",
                                 action=actions.ActionGuideHelp)
    assert kind == "guide_step" and "đang làm việc gì" in messages[0]["text"]
    kind, messages, _ = reply_to(monkeypatch, "không thấy lần khám tháng trước", NO_SIGN,
                                 found(HOWTO_ARTICLE, confident=True), "guide_not_yet", action=actions.ActionGuideHelp)
    assert kind == "answer" and HOWTO_ARTICLE["body"] in messages[0]["text"]
    question = "bác làm theo mà không nhận được mã để lấy lại mật khẩu vneid thì phải làm sao?"
    kind, messages, _ = reply_to(monkeypatch, question, NO_SIGN, found(HOWTO_ARTICLE), "guide_not_yet",
                                 action=actions.ActionGuideHelp)
    assert kind == "answer" and HOWTO_ARTICLE["body"] in messages[0]["text"]


def test_after_thumbs_down_any_typed_reply_is_what_was_missing_and_another_article_it_names_is_answered(monkeypatch):
    recorded = []

    async def feedback(sender, channel, value, article_id, missing=None):
        recorded.append(missing)

    monkeypatch.setattr(actions.api, "feedback", feedback)
    asked = {"awaiting_feedback": True, "last_article": SCAM_ARTICLE["id"]}
    kind, _, _ = reply_to(monkeypatch, "chưa rõ phải bấm vào mục nào", NO_SIGN, found(HOWTO_ARTICLE), "guide_not_yet",
                          action=actions.ActionGuideHelp, slots=asked)
    assert kind == "feedback" and recorded == ["chưa rõ phải bấm vào mục nào"]
    text = "nếu quên mật khẩu vneid thì lấy lại thế nào"  # no "?", but another article answers it surely
    kind, messages, _ = reply_to(monkeypatch, text, NO_SIGN, found(HOWTO_ARTICLE, confident=True), slots=asked)
    assert kind == "answer" and recorded[-1] == text and HOWTO_ARTICLE["body"] in messages[1]["text"]
    # the article just found wanting is not given again; a request for a person is not feedback
    assert reply_to(monkeypatch, "thiếu phần lừa qua điện thoại", NO_SIGN, found(SCAM_ARTICLE, confident=True),
                    slots=asked)[0] == "feedback"
    assert reply_to(monkeypatch, "cho tôi gặp người thật", NO_SIGN, found(), "request_human",
                    action=actions.ActionHandoff, slots=asked)[0] == "handoff"


def test_asking_for_a_procedure_step_by_step_starts_its_guide(monkeypatch):
    guided = dict(HOWTO_ARTICLE, steps=["Mở VNeID.", "Bấm Quên mật khẩu."])
    kind, messages, _ = reply_to(monkeypatch, "chỉ mình từng bước lấy lại mật khẩu vneid", NO_SIGN, found(guided))
    assert kind == "guide_step" and "Bước 1/2: Mở VNeID." in messages[1]["text"]
    assert reply_to(monkeypatch, "lấy lại mật khẩu vneid", NO_SIGN, found(guided))[0] == "answer"

    async def article(article_id):
        return guided if article_id == guided["id"] else None

    monkeypatch.setattr(actions.api, "article", article)
    kind, messages, _ = reply_to(monkeypatch, "hướng dẫn từng bước lấy lại mật khẩu vneid", NO_SIGN,
                                 found(guided, confident=True), "start_guide", action=actions.ActionGuideStart,
                                 slots={"last_article": "vneid-doi-so-dien-thoai"})
    assert kind == "guide_step" and "Bước 1/2" in messages[1]["text"]
    # taken for a request for a person, a procedure asked for step by step still starts its guide
    script = "cho mình kịch bản hướng dẫn từng bước để giúp một bác lấy lại mật khẩu vneid"
    kind, messages, handed_over = reply_to(monkeypatch, script, NO_SIGN, found(guided, confident=True),
                                           "request_human", action=actions.ActionHandoff)
    assert kind == "guide_step" and not handed_over
    kind, _, handed_over = reply_to(monkeypatch, "cho tôi gặp người hướng dẫn từng bước", NO_SIGN, found(guided),
                                    "request_human", action=actions.ActionHandoff)
    assert kind == "handoff" and handed_over == ["answer-test"]


def test_what_was_missing_is_asked_of_the_next_message_only(monkeypatch):
    async def article(article_id):
        return dict(HOWTO_ARTICLE, steps=["Mở VNeID.", "Bấm Quên mật khẩu."])

    monkeypatch.setattr(actions.api, "article", article)
    events = slots_set(actions.ActionGuideStart, "/start_guide", "start_guide", 1.0,
                       {"awaiting_feedback": True, "last_article": HOWTO_ARTICLE["id"]})
    assert events["awaiting_feedback"] is False and events["guide_article"] == HOWTO_ARTICLE["id"]
    assert slots_set(actions.ActionFeedback, "/feedback_down", "feedback_down", 1.0,
                     {"awaiting_feedback": True})["awaiting_feedback"] is True


def test_a_volunteers_script_keeps_its_bac_for_the_elder_being_helped(monkeypatch):
    script = dict(HOWTO_ARTICLE, id="volunteer-kich-ban-quen-mat-khau-vneid", topic="volunteer",
                  body="Nhờ bác mở VNeID, bạn không nhìn mã OTP.")
    _, messages, _ = reply_to(monkeypatch, "tnv chỉ bà con lấy lại mật khẩu vneid", NO_SIGN, found(script))
    assert "Nhờ bác mở VNeID" in messages[0]["text"]
    _, messages, _ = reply_to(monkeypatch, "lấy lại mật khẩu vneid", NO_SIGN,
                              found(dict(HOWTO_ARTICLE, body="Bác bấm Quên mật khẩu.")))
    assert messages[0]["text"].startswith("Bạn bấm Quên mật khẩu.")


def test_not_yet_in_a_guide_gives_the_line_for_the_procedure_of_the_script_or_a_person(monkeypatch):
    def help_text(article_id, topic):
        async def article(_):
            return dict(HOWTO_ARTICLE, id=article_id, topic=topic, steps=["Mở ứng dụng.", "Bấm Đăng nhập."])

        monkeypatch.setattr(actions.api, "article", article)
        _, messages, _ = reply_to(monkeypatch, "chưa được", NO_SIGN, found(), "guide_not_yet",
                                  action=actions.ActionGuideHelp, slots={"guide_article": article_id, "guide_step": 1})
        return messages[0]["text"]

    assert "hành chính công" in help_text("volunteer-kich-ban-dang-nhap-dichvucong-qr", "volunteer")
    assert "1900 0368" in help_text("volunteer-kich-ban-quen-mat-khau-vneid", "volunteer")
    zalo = help_text("volunteer-kich-ban-bao-mat-zalo", "volunteer")
    assert "1900 0368" not in zalo and "Gặp người hỗ trợ" in zalo


def test_which_document_a_short_follow_up_asks_for_is_the_last_answers_legal_basis(monkeypatch):
    async def article(article_id):
        return dict(HOWTO_ARTICLE, legal_basis="Nghị định 282/2025/NĐ-CP", valid_from="2025-12-15")

    monkeypatch.setattr(actions.api, "article", article)
    answered, elsewhere = {"last_article": HOWTO_ARTICLE["id"]}, found(SCAM_ARTICLE, confident=True)
    kind, messages, _ = reply_to(monkeypatch, "văn bản nào quy định", NO_SIGN, elsewhere, slots=answered)
    assert kind == "answer" and messages[0]["text"].startswith("Căn cứ: Nghị định 282/2025/NĐ-CP")
    kind, messages, _ = reply_to(monkeypatch, "áp dụng từ ngày nào", NO_SIGN, elsewhere, slots=answered)
    assert messages[0]["text"].startswith("Nội dung này áp dụng từ 15/12/2025.\nCăn cứ: Nghị định 282/2025/NĐ-CP")
    # a longer question that points back to the last answer, and one that names its own subject
    kind, messages, _ = reply_to(monkeypatch, "Căn cứ pháp lý của mức phạt này là văn bản nào?", NO_SIGN, elsewhere,
                                 slots=answered)
    assert messages[0]["text"].startswith("Căn cứ: Nghị định 282/2025/NĐ-CP")
    assert SCAM_ARTICLE["body"] in reply_to(monkeypatch, "văn bản nào quy định việc phạt không đăng ký tạm trú cho "
                                                         "sinh viên", NO_SIGN, elsewhere, slots=answered)[1][0]["text"]
    # taken for off-topic, the same
    kind, messages, _ = reply_to(monkeypatch, "van ban nao quy dinh", NO_SIGN, elsewhere, "out_of_scope",
                                 action=actions.ActionOutOfScope, slots=answered, confidence=0.9)
    assert kind == "answer" and messages[0]["text"].startswith("Căn cứ: Nghị định 282/2025/NĐ-CP")
    # an article that records no legal basis says so, and the question is filed for the editors
    filed = []

    async def feedback(sender, channel, value, article_id, missing=None):
        filed.append((article_id, missing))

    async def plain(article_id):
        return dict(HOWTO_ARTICLE)

    monkeypatch.setattr(actions.api, "feedback", feedback)
    monkeypatch.setattr(actions.api, "article", plain)
    kind, messages, _ = reply_to(monkeypatch, "Văn bản nào quy định?", NO_SIGN, elsewhere, slots=answered)
    assert kind == "fallback" and "chưa ghi văn bản quy định" in messages[0]["text"]
    assert filed == [(HOWTO_ARTICLE["id"], "Văn bản nào quy định?")]
    # no answer before it: searched as it is
    assert SCAM_ARTICLE["body"] in reply_to(monkeypatch, "van ban nao quy dinh", NO_SIGN, elsewhere)[1][0]["text"]


def test_yes_or_no_typed_to_was_it_useful_is_feedback_and_a_question_is_not(monkeypatch):
    recorded = []

    async def feedback(sender, channel, value, article_id, missing=None):
        recorded.append(value)

    monkeypatch.setattr(actions.api, "feedback", feedback)
    answered = [{"event": "bot", "text": "Câu trả lời có giúp được bác không?",
                 "data": {"buttons": [{"title": "Hướng dẫn từng bước", "payload": "/start_guide"},
                                      *actions.FEEDBACK_BUTTONS]}}]
    assert reply_to(monkeypatch, "có", NO_SIGN, found(), "affirm", action=actions.ActionSmalltalk,
                    events=answered)[0] == "feedback"
    kind, messages, _ = reply_to(monkeypatch, "không", NO_SIGN, found(), "deny", action=actions.ActionSmalltalk,
                                 events=answered)
    assert kind == "feedback" and "còn thiếu gì" in messages[0]["text"] and recorded == ["up", "down"]
    # during a guide, a yes after a side answer goes on with the guide
    async def article(article_id):
        return dict(HOWTO_ARTICLE, steps=["Mở VNeID.", "Bấm Quên mật khẩu."])

    monkeypatch.setattr(actions.api, "article", article)
    assert reply_to(monkeypatch, "tiếp đi cháu", NO_SIGN, found(), "guide_done", action=actions.ActionGuideNext,
                    events=answered, slots={"guide_article": HOWTO_ARTICLE["id"], "guide_step": 0})[0] == "guide_step"
    # a reply that tells a problem is not a verdict
    for problem in ("không thấy lần khám tháng trước", "ko thay the dau ca"):
        assert reply_to(monkeypatch, problem, NO_SIGN, found(HOWTO_ARTICLE), "deny",
                        action=actions.ActionSmalltalk, events=answered)[0] != "feedback"
    # a question of its own that starts with "có" or "ko" is answered, not counted
    for question in ["có cách nào khác không", "có hiệu lực từ ngày nào ạ", "ko đăng ký thì phạt bao nhiêu"]:
        assert reply_to(monkeypatch, question, NO_SIGN, found(HOWTO_ARTICLE), events=answered)[0] == "answer"
    assert recorded == ["up", "down"]


def test_a_secret_shared_while_telling_of_a_scam_names_the_scam_and_makes_it_the_subject(monkeypatch):
    text = "Nhân viên ngân hàng gọi bảo hoàn phí thường niên, xin số thẻ. Thẻ tôi số [số thẻ], đọc được không?"
    bank = dict(NO_SIGN, suspicious=True, patterns=[dict(ONE_SIGN["patterns"][0], name="Giả nhân viên ngân hàng")])
    kind, messages, _ = reply_to(monkeypatch, text, bank, found(), "share_personal_data",
                                 action=actions.ActionPiiWarning)
    assert kind == "pii_warning" and "lừa đảo: giả nhân viên ngân hàng" in messages[2]["text"]
    assert slots_set(actions.ActionPiiWarning, text, "share_personal_data", 0.9)["subject"] == \
        "Lừa đảo giả nhân viên ngân hàng"
    kind, messages, _ = reply_to(monkeypatch, text, NO_SIGN, found(), "share_personal_data",
                                 action=actions.ActionPiiWarning)
    assert kind == "pii_warning" and not any("lừa đảo:" in (m.get("text") or "") for m in messages)


def test_a_yes_no_question_about_learning_that_names_no_course_is_answered(monkeypatch):
    async def courses(query, group=None, level=None, placement=None, exclude=None):
        return {"group": None, "level": None, "courses": [dict(id="khoa-ai", title="AI", summary="AI")],
                "placement": []}

    monkeypatch.setattr(actions.api, "courses", courses)
    sure = found(HOWTO_ARTICLE, confident=True)
    assert reply_to(monkeypatch, "học xong có được cấp chứng nhận không ạ", NO_SIGN, sure, "find_course",
                    action=actions.ActionCourse)[0] == "answer"
    assert reply_to(monkeypatch, "có khóa nào về AI không", NO_SIGN, sure, "find_course",
                    action=actions.ActionCourse)[0] == "course"
    assert reply_to(monkeypatch, "học xong có được cấp chứng nhận không", NO_SIGN, found(HOWTO_ARTICLE),
                    "find_course", action=actions.ActionCourse)[0] == "course"  # the search is unsure
