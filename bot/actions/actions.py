"""Custom actions: answers, step-by-step guides, scam check, personal-data warning, courses,
handoff and feedback. Content comes from the gateway (`gateway_api`); every reply ends with a
`custom.meta` message that tells the gateway what kind of turn this was (CONTRACT.md `kind`).
"""
from __future__ import annotations

import abc
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import gateway_api as api
from retrieval.accents import has_diacritics
from retrieval.normalize import STOPWORDS, canonical, fold
from retrieval.phrases import folded_phrase
from actions.replies import (DEFAULT_HOTLINE, EMPTY_PROMPT, FEEDBACK_BUTTONS, GUIDE_BUTTONS, HOTLINES, NOT_FOUND,
                             PLATFORM, PLATFORM_TOPICS, REPORT, SMALLTALK, address_of, hotline_of, meta, say, source_of,
                             speaks_to_reader)

FAILURES_BEFORE_HANDOFF = 2
SCAM_TOPIC = "scam"
HANDOFF_LEAD = "Tôi đã chuyển cuộc trò chuyện cho người hỗ trợ trực tiếp. Họ sẽ nhắn lại {addr} ngay tại đây."
ALTERNATIVE_MARGIN = 0.02  # a second article scoring this close is offered beside the answer
VERDICT_WORDS = 5  # a typed verdict on an answer is short: "không, vẫn chưa hiểu lắm"
TELLS_PROBLEM = re.compile(r"(khong|chua) (thay|hien|vao|mo|nhan|tai|dang|bam|quet|chay)\b")  # folded, at the start
FOLLOW_UP_WORDS = 8  # a message this short may lean on the last answer: "thế giờ phải làm gì"
LEANING_WORDS = 12  # how long a follow-up that says "còn …" or points back may be
FOLLOW_UP_INTENTS = {"ask_question", "check_scam", "out_of_scope"}  # what a follow-up question is taken for
NOT_FEEDBACK_INTENTS = {"request_human", "share_personal_data", "check_scam", "greet", "goodbye", "thanks", "feedback_up"}
# Asking what the bot can do, rather than greeting it (folded, teencode expanded: "bot lm dc j")
MENU_ASKED = re.compile(r"\b(menu|help|tro giup|chuc nang|(giup|lam|ho tro) (duoc )?(gi|nhung gi|viec gi))\b")
STEP_BY_STEP = re.compile(r"\b(tung buoc|step by step)\b")  # asked for a guide, in folded text
# Asking which document the last answer rests on (folded text).
LEGAL_BASIS_ASKED = re.compile(r"\b(van ban nao|van ban gi|quy dinh nao|quy dinh o dau|luat nao|nghi dinh nao|thong tu nao|"
                               r"quyet dinh nao|can cu (vao )?(dau|nao|gi)|co so phap ly|theo (van ban|quy dinh|luat) nao)\b")
# Words that point back to the last turn: "căn cứ pháp lý của mức phạt này là văn bản nào", "sao tin này
# nằm chung với tin thật" (folded text).
POINTS_BACK = re.compile(r"\b(nay|do|ay|tren|vua roi)$|\b(nay|do|ay|tren|vua roi) (la|thi|o|co|duoc|can)\b"
                         r"|\b(tin|tin nhan|so|app|ung dung|cai|trang|link|ma|tai khoan|the|viec|chuyen|bai|cach|nguoi"
                         r"|cuoc goi) (nay|do|ay)\b")
EFFECTIVE_DATE_ASKED = re.compile(r"\b(hieu luc|ap dung) (tu )?(khi nao|bao gio|ngay nao|luc nao)\b")
# Telling of money sent or a code given already (folded, teencode expanded): "tôi lỡ chuyển 20 triệu".
ALREADY_DONE = re.compile(r"\b(lo|da|trot) (chuyen|nap|gui|dua|doc|cai|bam|nhap)\b|\b(chuyen|nap|gui) (xong|roi)\b"
                          r"|\bmat (het )?tien\b|\bbi lua (mat|roi)\b")
# Typed answers to a yes/no question, by the intent they are classified as, else by their first word
# (folded) after words of politeness; a reply ending so is a question of its own.
YES_NO_REPLIES = {"affirm": "yes", "guide_done": "yes", "feedback_up": "yes", "deny": "no", "guide_not_yet": "no",
                  "feedback_down": "no", "guide_stop": "stop"}
YES_NO_FIRST_WORDS = {"co": "yes", "roi": "yes", "vang": "yes", "da": "yes", "chua": "no", "khong": "no", "ko": "no",
                      "dung": "stop", "thoi": "stop"}
POLITE_WORDS = {"da", "vang", "u", "uh", "ok"}
QUESTION_ENDINGS = {"khong", "ko", "k", "hong", "chua", "nao", "gi", "j", "sao", "dau", "ai", "bao nhieu"}
# Particles and terms of address that may close a question: "có hiệu lực từ ngày nào ạ".
CLOSING_WORDS = {"a", "ha", "nhe", "nha", "nhi", "vay", "the", "z", "oi", "chau", "con", "em", "anh", "chi", "bac",
                 "ban", "ad", "chu", "ong", "ba"}
YES_NO_ENDINGS = {"khong", "ko", "k", "hong", "chua"}
# A learner asking for a course names one (folded text); "học xong có được cấp chứng nhận không" does not.
COURSE_ASKED = re.compile(r"\b(khoa|lop|hoc gi|hoc tiep|hoc cai gi)\b")
# A course asked for by name: "khóa học", "lớp nào" (canonical text); without accents, "khoa hoc" is
# also "khoa học" (science), as in "Bộ Khoa học và Công nghệ".
COURSE_NAMED = re.compile(r"\b(khóa học|khóa nào|lớp học|lớp nào)\b")
COURSE_NAMED_FOLDED = re.compile(r"\b(khoa hoc|khoa nao|lop hoc|lop nao)\b(?! (va )?cong nghe)")
SURE_OFF_TOPIC = 0.8  # the classifier's confidence in out_of_scope above which a message is not a follow-up


def channel_of(tracker: Tracker) -> str:
    return (tracker.latest_message.get("metadata") or {}).get("channel") or "web"


def entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


def intent_of(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def asks_a_question(text: str) -> bool:
    """A typed message that carries a question of its own, beyond a short answer or a button."""
    return not text.startswith("/") and ("?" in text or len(text.split()) >= 15)


def unsure_guess(tracker: Tracker) -> str | None:
    """The classifier's best guess when it was too unsure to decide (None when it decided)."""
    if intent_of(tracker) != "nlu_fallback":
        return None
    return next((i["name"] for i in tracker.latest_message.get("intent_ranking") or [] if i["name"] != "nlu_fallback"),
                None)


def meant_intent(tracker: Tracker) -> str | None:
    """The intent, or the classifier's best guess when it was too unsure to decide."""
    return unsure_guess(tracker) or intent_of(tracker)


def named_topic(tracker: Tracker) -> str | None:
    """The knowledge-base topic of the topic or platform named in the latest message."""
    return entity(tracker, "topic") or PLATFORM_TOPICS.get(entity(tracker, "platform") or "")


def topic_of(tracker: Tracker) -> str:
    """What the conversation is about: what the person named, else the last article's topic."""
    return named_topic(tracker) or (tracker.get_slot("last_article") or "").split("-")[0]


def plain_words(text: str) -> list[str]:
    """The words of a message, folded and lower-cased, punctuation dropped."""
    return re.findall(r"\w+", fold(text).lower())


def points_back(text: str) -> bool:
    return bool(POINTS_BACK.search(" ".join(plain_words(text))))


def word_pairs(text: str) -> set[str]:
    """Pairs of neighbouring content words, folded, teencode expanded: "stk" gives "so tai", "tai
    khoan"; "hạn thì" is no pair, as "thì" says nothing of the subject."""
    folded = folded_phrase(text).split()
    return {f"{a} {b}" for a, b in zip(folded, folded[1:]) if a not in STOPWORDS and b not in STOPWORDS}


def names_a_course(text: str) -> bool:
    if has_diacritics(text):
        return bool(COURSE_NAMED.search(canonical(text)))
    return bool(COURSE_NAMED_FOLDED.search(fold(text).lower()))


def says_what_about(text: str) -> bool:
    """"còn …", "thế còn …": the last answer's question, asked of something else ("con …" typed
    without any accent too, where it is not "con", the child)."""
    words = re.findall(r"\w+", canonical(text))[:2]
    word = "còn" if has_diacritics(text) else "con"
    return words[:1] == [word] or (words[1:] == [word] and words[0] in ("thế", "vậy", "à", "ủa", "the", "vay", "a", "ua"))


async def search_in_context(tracker: Tracker, text: str) -> dict | None:
    """The search for the text. A short question the search is unsure of ("thế giờ tôi phải làm gì",
    "mất bao lâu"; one that starts "còn …" or points back, "sao tin này nằm chung với tin thật", may
    be longer) is searched again after the subject of the last answer or scam warning, unless the
    classifier is sure it is something else (off-topic, unless it starts "còn …"), or the message
    names the subject of the article it found (two words of its title in a row): with the subject in
    front, any text finds the last article."""
    found = await api.search(text)
    subject = tracker.get_slot("subject")
    what_about = says_what_about(text)
    meant, unsure = meant_intent(tracker), intent_of(tracker) == "nlu_fallback"  # an unsure guess says little
    confidence = (tracker.latest_message.get("intent") or {}).get("confidence") or 0
    sure_off_topic = meant == "out_of_scope" and confidence >= SURE_OFF_TOPIC and not what_about
    best = found["results"][0] if found and found["results"] and not found["abstained"] else None
    names_its_own = bool(best and word_pairs(text) & word_pairs(best["title"]))  # "thế mật khẩu phải mấy ký tự"
    longest = LEANING_WORDS if what_about or points_back(text) else FOLLOW_UP_WORDS
    if (not subject or (found and found.get("confident")) or sure_off_topic
            or not (unsure or meant in FOLLOW_UP_INTENTS)
            or named_topic(tracker) or len(text.split()) > longest or names_its_own):
        return found
    in_context = await api.search(f"{subject}. {text}")
    return in_context if in_context and in_context.get("confident") else found


def buttons_just_offered(tracker: Tracker) -> list[dict]:
    """The buttons of the bot's turn before the latest message (read back to the message before it)."""
    buttons: list[dict] = []
    users_seen = 0
    for event in reversed(tracker.events):
        users_seen += event.get("event") == "user"
        if users_seen == 2:
            break
        if users_seen and event.get("event") == "bot":
            buttons += (event.get("data") or {}).get("buttons") or []
    return buttons


def without_closing(words: list[str]) -> list[str]:
    """Folded words without the particles and terms of address that close them ("… ngày nào ạ")."""
    end = len(words)
    while end > 1 and words[end - 1] in CLOSING_WORDS:
        end -= 1
    return words[:end]


def ends_as_question(words: list[str]) -> bool:
    """Folded words that end in a question word, before any closing particle: "… ngày nào ạ",
    "… phạt bao nhiêu", "… được không cháu"; not a lone reply word ("dạ chưa cháu ạ")."""
    words = without_closing(words)
    return len(words) > 1 and (words[-1] in QUESTION_ENDINGS or " ".join(words[-2:]) in QUESTION_ENDINGS)


def typed_yes_no(tracker: Tracker) -> str | None:
    """"có", "rồi", "chưa", "không", "dừng", typed as a reply to a yes/no question: yes, no or stop. By
    the classifier's reading, else by the first word of a short reply that is not itself a question
    ("có, bác vẫn gọi video cho con", but not "có cách nào khác không" or "ko đăng ký thì phạt bao nhiêu")."""
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/") or asks_a_question(text):
        return None
    words = plain_words(text)
    while len(words) > 1 and words[0] in POLITE_WORDS:  # "dạ chưa", "vâng, rồi ạ"
        words = words[1:]
    short_reply = len(words) == 1 or 1 < len(words) <= FOLLOW_UP_WORDS and not ends_as_question(words)
    return (YES_NO_REPLIES.get(meant_intent(tracker) or "")
            or (YES_NO_FIRST_WORDS.get(words[0]) if short_reply else None))


def says_what_was_missing(tracker: Tracker) -> bool:
    """A typed message after 👎 asked what the answer missed is the reply to that question, whatever
    it was classified as, unless it asks for a person, shares a secret, tells of a scam or is small talk."""
    text = tracker.latest_message.get("text") or ""
    return (bool(tracker.get_slot("awaiting_feedback")) and not text.startswith("/")
            and meant_intent(tracker) not in NOT_FEEDBACK_INTENTS)


class BaseAction(Action, metaclass=abc.ABCMeta):
    """Every action knows how to address the user and remembers it. A typed answer to the question
    just asked (a placement question, "was it useful?", or what the answer missed after 👎) is taken
    as that answer, whichever intent it was classified as."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        addr = address_of(tracker)
        reply = typed_yes_no(tracker)
        offered = buttons_just_offered(tracker) if reply else []
        text = tracker.latest_message.get("text") or ""
        # during a guide, "tiếp đi" after a side answer is the guide's next step, not a verdict on the
        # answer; "không thấy lần khám tháng trước", "ko thấy thẻ đâu" tell a problem, not a verdict
        verdict = (reply in ("yes", "no") and FEEDBACK_BUTTONS[0] in offered and not tracker.get_slot("guide_article")
                   and len(text.split()) <= VERDICT_WORDS and not TELLS_PROBLEM.match(folded_phrase(text)))
        if PLACEMENT_BUTTONS[0] in offered:
            events = await ActionCourse().act(dispatcher, tracker, addr, reply)
        elif PLACEMENT_OFFER in offered and reply == "yes":  # "có" to "… trả lời vài câu hỏi ngắn … nhé?"
            events = await ActionCourse().act(dispatcher, tracker, addr, "start")
        elif verdict:
            events = await ActionFeedback().act(dispatcher, tracker, addr, "up" if reply == "yes" else "down")
        elif says_what_was_missing(tracker):
            events = await record_missing(dispatcher, tracker, addr)
        else:
            events = await self.act(dispatcher, tracker, addr)
        # "what was missing?" is asked of the next message only
        asked = [SlotSet("awaiting_feedback", False)] if tracker.get_slot("awaiting_feedback") else []
        return [SlotSet("address", addr), *asked, *events]

    @abc.abstractmethod
    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, addr: str) -> list:
        """The action itself; returns its events."""


async def handoff(dispatcher: CollectingDispatcher, tracker: Tracker, addr: str, lead: str) -> list:
    """Queue the conversation for a human and give the official channel for its topic meanwhile."""
    await api.handoff(tracker.sender_id, channel_of(tracker))
    say(dispatcher, addr, f"{lead}\nTrong lúc chờ, {{addr}} có thể: {HOTLINES.get(topic_of(tracker), DEFAULT_HOTLINE)}\n"
                          "Xin đừng gửi mã OTP hay mật khẩu cho bất kỳ ai.")
    meta(dispatcher, "handoff")
    return [SlotSet("failures", 0)]


async def answer_article(dispatcher: CollectingDispatcher, tracker: Tracker, addr: str, found: dict,
                         alternatives: list[dict] = (), kind: str = "answer") -> list:
    """The article's text, its source and legal basis, a close alternative, an offer to guide step by
    step, and the feedback question."""
    basis = f"\nCăn cứ: {found['legal_basis']}" if found.get("legal_basis") else ""
    say(dispatcher, addr, f"{found['body']}\n\n(Nguồn: {found['title']}){basis}", readdress=speaks_to_reader(found))
    events: list = [SlotSet("last_article", found["id"]), SlotSet("subject", found["title"]), SlotSet("failures", 0)]
    guide, step = tracker.get_slot("guide_article"), int(tracker.get_slot("guide_step") or 0)
    if guide and guide != found["id"]:
        say(dispatcher, addr, f"{{Addr}} đang làm dở một hướng dẫn (bước {step + 1}). Khi xong việc này, bấm để quay lại.",
            [{"title": "Tiếp tục hướng dẫn", "payload": "/guide_repeat"}])
    if alternatives:
        say(dispatcher, addr, "Nếu {addr} hỏi việc khác, có thể là:", [
            {"title": r["title"], "payload": f'/choose_article{{"article_id":"{r["id"]}"}}'} for r in alternatives])
    # what was shown, for a typed "cái thứ hai" or "hướng dẫn từng bước"
    events.append(SlotSet("clarify_options", [found["id"], *(r["id"] for r in alternatives)] if alternatives else None))
    buttons = list(FEEDBACK_BUTTONS)
    if found.get("steps"):
        buttons.insert(0, {"title": "Hướng dẫn từng bước", "payload": f'/start_guide{{"article_id":"{found["id"]}"}}'})
    say(dispatcher, addr, "Câu trả lời có giúp được {addr} không?", buttons)
    meta(dispatcher, kind, sources=[source_of(found)])
    return events


async def warn_of_scam(dispatcher: CollectingDispatcher, addr: str, report: dict) -> list:
    """Signs found, what to do now, how to report; never says that something is safe."""
    pattern = report["patterns"][0] if report["patterns"] else None
    if report["suspicious"]:
        verdict = scam_verdict(report)
    else:
        verdict = ("Tôi chưa thấy dấu hiệu lừa đảo rõ ràng, nhưng không thể khẳng định là an toàn. "
                   "Nếu có ai đòi tiền, mã OTP hay bảo cài ứng dụng lạ, đó là lừa đảo.")
    signs = [s["label"] for s in report["signs"]]
    signs += [f"Số gọi từ đầu số nước ngoài ({n})" for n in report["foreign_numbers"]]
    signs += [f"Đường link đáng ngờ ({link})" for link in report["risky_links"]]
    say(dispatcher, addr, verdict + ("\nDấu hiệu tôi thấy:\n" + "\n".join(f"- {s}" for s in signs) if signs else ""))
    advice = pattern["advice"] if pattern else [
        "Không chuyển tiền, không đưa mã OTP, mật khẩu cho bất kỳ ai.",
        "Không bấm vào đường link lạ, không cài ứng dụng theo lời người lạ.",
        "Gọi lại cho người thân hoặc cơ quan bằng số {addr} đã biết để xác minh.",
    ]
    say(dispatcher, addr, "{Addr} nên làm ngay:\n" + "\n".join(f"{i}. {a}" for i, a in enumerate(advice, 1)))
    say(dispatcher, addr, REPORT)
    meta(dispatcher, "scam_warning")
    return [scam_subject(report)]


def scam_verdict(report: dict) -> str:
    pattern = report["patterns"][0] if report["patterns"] else None
    return (f"⚠️ Rất có thể đây là lừa đảo: {pattern['name'].lower()}." if pattern
            else "⚠️ Tin nhắn, cuộc gọi này có dấu hiệu lừa đảo.")


def scam_subject(report: dict) -> SlotSet:
    """The scam named is the subject of a follow-up ("lỡ chuyển rồi thì sao")."""
    pattern = report["patterns"][0] if report["patterns"] else None
    return SlotSet("subject", f"Lừa đảo {pattern['name'].lower()}" if pattern else "Lừa đảo qua mạng")


async def sure_answer(text: str) -> dict | None:
    """The first article, when the search is sure of it."""
    found = await api.search(text)
    return found["results"][0] if found and found.get("confident") else None


async def victims_article(text: str) -> dict | None:
    """The scam article the search is sure of for a message telling what was already done."""
    best = await sure_answer(text)
    return best if best and best["topic"] == SCAM_TOPIC else None


async def basis_asked(tracker: Tracker, text: str) -> tuple[dict, bool] | None:
    """The last answer's article, and whether the date was asked, when a short follow-up, or one that
    points back to it, asks which document it rests on ("văn bản nào quy định?", "căn cứ của mức phạt
    này là văn bản nào") or since when it applies ("áp dụng từ ngày nào")."""
    folded, last = fold(text).lower(), tracker.get_slot("last_article")
    if not last or named_topic(tracker) or (len(text.split()) > FOLLOW_UP_WORDS and not points_back(text)):
        return None
    asks_document, asks_date = LEGAL_BASIS_ASKED.search(folded), EFFECTIVE_DATE_ASKED.search(folded)
    article = await api.article(last) if asks_document or asks_date else None
    return (article, bool(asks_date)) if article else None


async def tell_basis(dispatcher, tracker: Tracker, addr: str, text: str, article: dict, asks_date: bool) -> list:
    """The article's legal basis, and since when it applies when that was asked; an article that
    records none says so, and the question is filed for the editors rather than guessed from a search."""
    if not article.get("legal_basis"):
        await api.feedback(tracker.sender_id, channel_of(tracker), "down", article["id"], text)
        say(dispatcher, addr, f"Bài \"{article['title']}\" chưa ghi văn bản quy định. Tôi đã ghi lại để cán bộ bổ sung.")
        meta(dispatcher, "fallback", fallback=True)
        return []
    since = ""
    if asks_date and article.get("valid_from"):
        year, month, day = str(article["valid_from"]).split("-")
        since = f"Nội dung này áp dụng từ {int(day)}/{int(month)}/{year}.\n"
    say(dispatcher, addr, f"{since}Căn cứ: {article['legal_basis']}\n(Nguồn: {article['title']})")
    meta(dispatcher, "answer", sources=[source_of(article)])
    return []


async def answer_question(dispatcher, tracker: Tracker, addr: str, text: str, asked_about_scam: bool,
                          found: dict | None = None) -> list:
    """A scam warning when the text shows scam signs (or asks about one that search cannot answer),
    else the best article, else a fallback; two fallbacks in a row hand over to a human. A scam
    article answering a message to be checked, or one with a sign of a scam, is a scam warning: the
    person is telling what happened to them, in words the signal lists may not hold."""
    if not re.search(r"\w", text):  # "?", "...": nothing asked yet, so not a failed attempt either
        say(dispatcher, addr, EMPTY_PROMPT)
        meta(dispatcher, "fallback", fallback=True)
        return []
    asked = await basis_asked(tracker, text)
    if asked:
        return await tell_basis(dispatcher, tracker, addr, text, *asked)
    report = await api.scam_check(text)
    if report and report["suspicious"]:
        # someone who has already paid or shared needs what to do now, which a scam article gives
        victim = await victims_article(text) if ALREADY_DONE.search(folded_phrase(text)) else None
        if victim:
            return await answer_article(dispatcher, tracker, addr, victim, kind="scam_warning")
        return await warn_of_scam(dispatcher, addr, report)
    found = found or await search_in_context(tracker, text)
    # An unsure guess of a request for a human (a long message telling a problem, then asking for
    # someone), of an off-topic question, of a learner's group just asked for, or of "done" during a
    # guide, is followed unless the search is sure of an answer.
    guess = unsure_guess(tracker) if not (found and found.get("confident")) else None
    if guess == "request_human":
        return await handoff(dispatcher, tracker, addr, HANDOFF_LEAD)
    if guess == "out_of_scope":
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
    if guess == "tell_group" and tracker.get_slot("course_query") and not tracker.get_slot("learner_group"):
        return await ActionCourse().act(dispatcher, tracker, addr)  # a typed answer to "which group?"
    if guess == "guide_done" and tracker.get_slot("guide_article"):  # "roi" after a step
        return await ActionGuideNext().act(dispatcher, tracker, addr)
    if not found or found["abstained"] or not found["results"]:
        if report and asked_about_scam and (report["signs"] or report["patterns"] or "lua dao" in fold(text).lower()):
            return await warn_of_scam(dispatcher, addr, report)
        failures = int(tracker.get_slot("failures") or 0) + 1
        if failures >= FAILURES_BEFORE_HANDOFF:
            return await handoff(dispatcher, tracker, addr,
                                 "Tôi chưa giúp được {addr} hai lần liền, nên tôi nhờ người hỗ trợ trực tiếp.")
        hotline = HOTLINES.get(named_topic(tracker) or "")
        say(dispatcher, addr, NOT_FOUND + (f"\nVề việc này, {{addr}} cũng có thể: {hotline}" if hotline else ""))
        meta(dispatcher, "fallback", fallback=True)
        return [SlotSet("failures", failures)]
    results = found["results"]
    if found.get("clarify"):
        say(dispatcher, addr, "Ý {addr} là:", [
            {"title": r["title"], "payload": f'/choose_article{{"article_id":"{r["id"]}"}}'} for r in results[:2]])
        meta(dispatcher, "clarify", sources=[source_of(r) for r in results[:2]])
        return [SlotSet("clarify_options", [r["id"] for r in results[:2]])]
    if results[0].get("steps") and STEP_BY_STEP.search(fold(text).lower()):  # "chỉ từng bước …": guide at once
        return await start_guide(dispatcher, addr, results[0])
    close = [r for r in results[1:2] if results[0]["score"] - r["score"] < ALTERNATIVE_MARGIN]
    shows_signs = bool(report and (report["signs"] or report["patterns"]))
    warns = results[0]["topic"] == SCAM_TOPIC and (asked_about_scam or shows_signs)
    return await answer_article(dispatcher, tracker, addr, results[0], alternatives=close,
                                kind="scam_warning" if warns else "answer")


class ActionAnswer(BaseAction):
    def name(self) -> str:
        return "action_answer"

    async def act(self, dispatcher, tracker, addr):
        text = tracker.latest_message.get("text") or ""
        if names_a_course(text):  # "có lớp nào dạy … không", taken for a question
            return await ActionCourse().act(dispatcher, tracker, addr)
        return await answer_question(dispatcher, tracker, addr, text, asked_about_scam=False)


async def record_missing(dispatcher: CollectingDispatcher, tracker: Tracker, addr: str) -> list:
    """What the last answer missed, typed after 👎: filed for the editors, and answered as well when
    it asks a question or names something another article answers."""
    text = tracker.latest_message.get("text") or ""
    await api.feedback(tracker.sender_id, channel_of(tracker), "down", tracker.get_slot("last_article"), text)
    say(dispatcher, addr, "Cảm ơn {addr}. Tôi đã ghi lại để cán bộ bổ sung nội dung.")
    found = await api.search(text)
    another = bool(found and found.get("confident") and found["results"][0]["id"] != tracker.get_slot("last_article"))
    if not (asks_a_question(text) or another):
        meta(dispatcher, "feedback")
        return []
    return await answer_question(dispatcher, tracker, addr, text, asked_about_scam=False, found=found)


class ActionOutOfScope(BaseAction):
    """Out of scope for the dialogue model, unless the knowledge base is sure it holds the answer:
    a digital-skills question in words the NLU examples do not cover is still answered."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def act(self, dispatcher, tracker, addr):
        text = tracker.latest_message.get("text") or ""
        asked = await basis_asked(tracker, text)  # "van ban nao quy dinh", taken for off-topic
        if asked:
            return await tell_basis(dispatcher, tracker, addr, text, *asked)
        found = await search_in_context(tracker, text)
        if found and found.get("confident"):
            return await answer_article(dispatcher, tracker, addr, found["results"][0])
        dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionChooseArticle(BaseAction):
    """A button of the clarification, or a typed "cái thứ hai"."""

    def name(self) -> str:
        return "action_choose_article"

    @staticmethod
    def typed_choice(tracker: Tracker) -> str | None:
        options = tracker.get_slot("clarify_options") or []
        text = fold(tracker.latest_message.get("text") or "").lower()
        second = re.search(r"\b(2|hai|sau|duoi)\b", text)
        index = 1 if second else 0
        return options[index] if len(options) > index else None

    async def act(self, dispatcher, tracker, addr):
        article_id = entity(tracker, "article_id") or self.typed_choice(tracker)
        found = await api.article(article_id) if article_id else None
        if not found:
            say(dispatcher, addr, NOT_FOUND)
            meta(dispatcher, "fallback", fallback=True)
            return []
        return await answer_article(dispatcher, tracker, addr, found)


async def send_step(dispatcher, addr: str, article: dict, step: int) -> None:
    steps = article["steps"]
    say(dispatcher, addr, f"Bước {step + 1}/{len(steps)}: {steps[step]}", GUIDE_BUTTONS, readdress=speaks_to_reader(article))
    meta(dispatcher, "guide_step", sources=[source_of(article)])


class GuideAction(BaseAction):
    """An action on the guide in progress (slots guide_article, guide_step; kept by the tracker store)."""

    async def current(self, dispatcher, tracker, addr) -> dict | None:
        article_id = tracker.get_slot("guide_article")
        article = await api.article(article_id) if article_id else None
        if not article or not article.get("steps"):
            say(dispatcher, addr, "Hiện {addr} chưa làm hướng dẫn nào. {Addr} muốn làm việc gì, cứ hỏi tôi nhé.")
            meta(dispatcher, "guide_step")
            return None
        return article


async def start_guide(dispatcher: CollectingDispatcher, addr: str, article: dict) -> list:
    say(dispatcher, addr, f"Mình làm từng bước: {article['title']}. Xong mỗi bước, {{addr}} bấm \"Xong rồi\".")
    await send_step(dispatcher, addr, article, 0)
    return [SlotSet("guide_article", article["id"]), SlotSet("guide_step", 0), SlotSet("last_article", article["id"]),
            SlotSet("subject", article["title"])]


async def procedure_named(text: str) -> dict | None:
    """The article with steps the search is sure a typed message names, if any."""
    best = await sure_answer(text) if not text.startswith("/") else None
    return best if best and best.get("steps") else None


class ActionGuideStart(BaseAction):
    """The guide of the button's article, of the procedure the message names ("chỉ từng bước đổi số
    điện thoại"), else of the last answer, or of an article shown beside it when it has no steps."""

    def name(self) -> str:
        return "action_guide_start"

    @staticmethod
    async def shown_beside(tracker: Tracker, answered: dict) -> dict:
        """The first article with steps offered beside the answer ("Cách cài sinh trắc học …"), else the answer."""
        for option in tracker.get_slot("clarify_options") or []:
            shown = await api.article(option) if option != answered["id"] else None
            if shown and shown.get("steps"):
                return shown
        return answered

    async def act(self, dispatcher, tracker, addr):
        article_id, article = entity(tracker, "article_id"), None
        text = tracker.latest_message.get("text") or ""
        if not article_id:
            article = await procedure_named(text)
        article_id = article_id or tracker.get_slot("last_article")
        if not article and article_id:
            article = await api.article(article_id)
        if article and not article.get("steps") and not entity(tracker, "article_id"):
            article = await self.shown_beside(tracker, article)
        if not article or not article.get("steps"):
            lead = "Câu trả lời vừa rồi không có các bước để làm theo. " if article else ""
            say(dispatcher, addr, lead + "{Addr} muốn làm việc gì? Hãy hỏi tôi trước, ví dụ \"quên mật khẩu VNeID\", "
                                         "rồi bấm \"Hướng dẫn từng bước\".")
            meta(dispatcher, "guide_step")
            return []
        return await start_guide(dispatcher, addr, article)


class ActionGuideNext(GuideAction):
    def name(self) -> str:
        return "action_guide_next"

    async def act(self, dispatcher, tracker, addr):
        article = await self.current(dispatcher, tracker, addr)
        if not article:
            return []
        step = int(tracker.get_slot("guide_step") or 0) + 1
        if step >= len(article["steps"]):
            say(dispatcher, addr, f"Xong rồi! {{Addr}} đã làm hết các bước: {article['title']}. Giỏi lắm ạ!\n"
                                  "Hướng dẫn này có giúp được {addr} không?", FEEDBACK_BUTTONS)
            meta(dispatcher, "guide_step", sources=[source_of(article)])
            return [SlotSet("guide_article", None), SlotSet("guide_step", None), SlotSet("last_article", article["id"])]
        await send_step(dispatcher, addr, article, step)
        return [SlotSet("guide_step", step)]


class ActionGuideRepeat(GuideAction):
    def name(self) -> str:
        return "action_guide_repeat"

    async def act(self, dispatcher, tracker, addr):
        article = await self.current(dispatcher, tracker, addr)
        if article:
            await send_step(dispatcher, addr, article, int(tracker.get_slot("guide_step") or 0))
        return []


class ActionGuideHelp(GuideAction):
    """"Chưa được": encouragement, the step again, where to get help, and a human on offer. With no
    guide running ("bấm mãi không được"), a question or a problem the search is sure of is answered,
    the last answer is offered step by step, or the person is asked what they are doing."""

    def name(self) -> str:
        return "action_guide_help"

    async def act(self, dispatcher, tracker, addr):
        if not tracker.get_slot("guide_article"):
            return await self.without_guide(dispatcher, tracker, addr)
        article = await self.current(dispatcher, tracker, addr)
        if not article:
            return []
        step = int(tracker.get_slot("guide_step") or 0)
        hotline = hotline_of(article)
        say(dispatcher, addr, f"Không sao ạ, mình thử lại chậm nhé.\nBước {step + 1}: {article['steps'][step]}\n"
                              "Kiểm tra mạng, chữ trên màn hình, rồi làm lại đúng từng chữ.\n"
                              + (f"Nếu vẫn chưa được: {hotline}" if hotline
                                 else "Nếu vẫn chưa được, {addr} bấm \"Gặp người hỗ trợ\"."),
            [{"title": "Nói lại", "payload": "/guide_repeat"}, {"title": "Xong rồi", "payload": "/guide_done"},
             {"title": "Gặp người hỗ trợ", "payload": "/request_human"}, {"title": "Dừng", "payload": "/guide_stop"}],
            readdress=speaks_to_reader(article))
        meta(dispatcher, "guide_step", sources=[source_of(article)])
        return []

    @staticmethod
    async def without_guide(dispatcher, tracker, addr) -> list:
        text = tracker.latest_message.get("text") or ""
        if asks_a_question(text):
            return await answer_question(dispatcher, tracker, addr, text, asked_about_scam=False)
        found = await api.search(text)
        if found and found.get("confident"):  # "không thấy lần khám tháng trước": the problem has an answer
            return await answer_question(dispatcher, tracker, addr, text, asked_about_scam=False, found=found)
        last = tracker.get_slot("last_article")
        article = await api.article(last) if last else None
        human = {"title": "Gặp người hỗ trợ", "payload": "/request_human"}
        if article and article.get("steps"):
            say(dispatcher, addr, f"Không sao ạ. Mình làm lại từng bước nhé: {article['title']}.",
                [{"title": "Hướng dẫn từng bước", "payload": f'/start_guide{{"article_id":"{article["id"]}"}}'}, human])
            meta(dispatcher, "guide_step", sources=[source_of(article)])
            return []
        say(dispatcher, addr, "Không sao ạ. {Addr} đang làm việc gì mà chưa được? Nhắn cho tôi tên việc đó, ví dụ "
                              "\"không nhận được mã OTP khi đăng nhập VNeID\", tôi sẽ chỉ cách.", [human])
        meta(dispatcher, "guide_step")
        return []


def stop_guide(dispatcher: CollectingDispatcher, addr: str) -> list:
    say(dispatcher, addr, "Đã dừng hướng dẫn. Khi cần, {addr} cứ hỏi lại tôi nhé.")
    meta(dispatcher, "guide_step")
    return [SlotSet("guide_article", None), SlotSet("guide_step", None)]


class ActionGuideStop(BaseAction):
    def name(self) -> str:
        return "action_guide_stop"

    async def act(self, dispatcher, tracker, addr):
        return stop_guide(dispatcher, addr)


class ActionSmalltalk(BaseAction):
    """Greetings, thanks, goodbyes, who the bot is, yes and no, in the user's form of address; during
    a guide, "yes" ("ok") moves to the next step and "no" ("thôi") stops."""

    def name(self) -> str:
        return "action_smalltalk"

    async def act(self, dispatcher, tracker, addr):
        intent = intent_of(tracker)
        if intent == "deny" and tracker.get_slot("guide_article"):
            return stop_guide(dispatcher, addr)
        if intent == "affirm" and tracker.get_slot("guide_article"):  # "ok", "vâng" after a step: done
            return await ActionGuideNext().act(dispatcher, tracker, addr)
        say(dispatcher, addr, SMALLTALK[intent])
        asked_for_menu = intent == "greet" and MENU_ASKED.search(folded_phrase(tracker.latest_message.get("text") or ""))
        meta(dispatcher, "menu" if asked_for_menu else "smalltalk")  # the greeting lists what the bot does
        return []


class ActionScamCheck(BaseAction):
    """A message, call or link to check; a plain question about scams gets its article."""

    def name(self) -> str:
        return "action_scam_check"

    async def act(self, dispatcher, tracker, addr):
        return await answer_question(dispatcher, tracker, addr, tracker.latest_message.get("text") or "",
                                     asked_about_scam=True)


PII_NAMES = {"otp": "mã OTP", "id_number": "số định danh (số căn cước)", "password": "mật khẩu",
             "card_number": "số thẻ ngân hàng"}


class ActionPiiWarning(BaseAction):
    def name(self) -> str:
        return "action_pii_warning"

    async def act(self, dispatcher, tracker, addr):
        found = (tracker.latest_message.get("metadata") or {}).get("pii") or []
        text = tracker.latest_message.get("text") or ""
        if not found and "[" not in text:  # the gateway masked nothing: a question about codes, not a secret
            return await answer_question(dispatcher, tracker, addr, text, asked_about_scam=False)
        shared = ", ".join(PII_NAMES[k] for k in found if k in PII_NAMES) or "thông tin bí mật"
        say(dispatcher, addr, f"⚠️ {{Addr}} vừa gửi {shared}. Xin đừng gửi những thông tin này cho bất kỳ ai, "
                              "kể cả trợ lý này. Tôi đã che đi và không lưu lại.")
        say(dispatcher, addr, "Không ai được phép hỏi mã OTP hay mật khẩu của {addr}: công an, ngân hàng, "
                              "tình nguyện viên cũng không. Ai đòi những thông tin này là kẻ lừa đảo.\n"
                              "Tôi không đăng nhập hộ được. {Addr} tự nhập mã vào đúng ứng dụng mình đang dùng, "
                              "hoặc nhờ người thân tin cậy ngồi bên cạnh hướng dẫn.")
        # "người xưng nhân viên ngân hàng xin số thẻ …": the scam told of is named too, and followed up
        report = await api.scam_check(text)
        if report and report["suspicious"]:
            say(dispatcher, addr, f"{scam_verdict(report)}\n{REPORT}")
        meta(dispatcher, "pii_warning")
        return [scam_subject(report)] if report and report["suspicious"] else []


PLACEMENT_BUTTONS = [
    {"title": "Rồi", "payload": '/find_course{"placement":"yes"}'},
    {"title": "Chưa", "payload": '/find_course{"placement":"no"}'},
    {"title": "Dừng", "payload": '/find_course{"placement":"stop"}'},
]
PLACEMENT_OFFER = {"title": "Trả lời câu hỏi", "payload": '/find_course{"placement":"start"}'}
LEVEL_NAMES = {"co-ban": "cơ bản", "trung-binh": "trung bình", "nang-cao": "nâng cao"}
GROUP_BUTTONS = [
    {"title": "Người dân", "payload": '/tell_group{"group":"citizen"}'},
    {"title": "Học sinh, sinh viên", "payload": '/tell_group{"group":"student"}'},
    {"title": "Cán bộ, công chức", "payload": '/tell_group{"group":"civil_servant"}'},
    {"title": "Người lao động", "payload": '/tell_group{"group":"worker"}'},
]


class ActionCourse(BaseAction):
    """Courses that fit the learner. Asks their group once, then offers a short placement (one
    yes/no question per competence domain) that sets their level and weak domains; remembers the
    profile, and "học tiếp gì" suggests courses not suggested before."""

    def name(self) -> str:
        return "action_course"

    @staticmethod
    async def asked_of_the_platform(query: str) -> dict | None:
        """The search's sure answer to a yes/no question about learning that asks for no course ("học
        xong có được cấp chứng nhận không", "học trên nền tảng có mất tiền không")."""
        words = without_closing(plain_words(query))
        if (query.startswith("/") or not words or words[-1] not in YES_NO_ENDINGS
                or COURSE_ASKED.search(fold(query).lower())):
            return None
        found = await api.search(query)
        return found if found and found.get("confident") else None

    async def act(self, dispatcher, tracker, addr, placement: str | None = None):
        """`placement`: a typed answer to the placement question (else it comes from a button)."""
        query = tracker.latest_message.get("text") or ""
        if intent_of(tracker) == "tell_group" and asks_a_question(query):  # "Em là sinh viên..., làm ở đâu?"
            return await answer_question(dispatcher, tracker, addr, query, asked_about_scam=False)
        found = None if placement else await self.asked_of_the_platform(query)
        if found:
            return await answer_question(dispatcher, tracker, addr, query, asked_about_scam=False, found=found)
        group = entity(tracker, "group") or tracker.get_slot("learner_group")
        answers = dict(tracker.get_slot("placement_answers") or {})
        step = placement or entity(tracker, "placement")  # a placement button: start, yes, no or stop
        previous = tracker.get_slot("course_query") or ""
        if query.startswith("/") or placement:  # a button or a typed yes/no: suggest from what they asked before
            query = previous
        elif meant_intent(tracker) == "tell_group":  # "bác làm ruộng", after what they asked
            query = f"{previous} {query}".strip()
        if step in ("start", "yes", "no"):
            questions = (await api.courses("", group) or {}).get("placement") or []
            if step != "start" and len(answers) < len(questions):
                answers[questions[len(answers)]["domain"]] = step == "yes"
            if len(answers) < len(questions):  # the next question
                number, question = len(answers) + 1, questions[len(answers)]["question"]
                say(dispatcher, addr, f"Câu {number}/{len(questions)}: {question}", PLACEMENT_BUTTONS)
                meta(dispatcher, "course")
                return [SlotSet("placement_answers", answers)]
        seen = list(tracker.get_slot("courses_seen") or [])
        wants_next = "tiep" in fold(query).split() and bool(seen)  # "học tiếp gì": what comes next
        found = await api.courses(query, group, tracker.get_slot("learner_level"), answers,
                                  seen if wants_next else [])
        if not found or not found["courses"]:
            say(dispatcher, addr, NOT_FOUND)
            meta(dispatcher, "fallback", fallback=True)
            return []
        group, level = group or found["group"], found["level"]
        if step in ("yes", "no", "stop") and level:
            say(dispatcher, addr, f"Cảm ơn {{addr}}. Theo câu trả lời, {{addr}} nên học ở mức {LEVEL_NAMES[level]}.")
        elif wants_next:
            say(dispatcher, addr, "Bước tiếp theo cho {addr}:")
        else:
            say(dispatcher, addr, PLATFORM)
        lines = [f"{i}. {c['title']}: {c['summary']}" for i, c in enumerate(found["courses"], 1)]
        if not group:
            tail, buttons = "\n{Addr} thuộc nhóm nào? Chọn để tôi gợi ý sát hơn.", GROUP_BUTTONS
        elif not level:
            tail, buttons = "\n{Addr} trả lời vài câu hỏi ngắn để tôi gợi ý đúng trình độ nhé?", [PLACEMENT_OFFER]
        else:
            tail, buttons = "\nHọc xong, {addr} nhắn \"học tiếp gì\" để tôi gợi ý bước tiếp theo.", []
        say(dispatcher, addr, "Khóa học gợi ý:\n" + "\n".join(lines) + tail, buttons)
        meta(dispatcher, "course")
        return [SlotSet("learner_group", group), SlotSet("learner_level", level), SlotSet("placement_answers", answers),
                SlotSet("courses_seen", list(dict.fromkeys(seen + [c["id"] for c in found["courses"]]))),
                SlotSet("course_query", query or previous)]


class ActionHandoff(BaseAction):
    def name(self) -> str:
        return "action_handoff"

    async def act(self, dispatcher, tracker, addr):
        # "cho mình kịch bản hướng dẫn từng bước để giúp một bác kích hoạt VNeID", taken for a request for a person
        text = tracker.latest_message.get("text") or ""
        procedure = await procedure_named(text) if STEP_BY_STEP.search(fold(text).lower()) else None
        if procedure:
            return await start_guide(dispatcher, addr, procedure)
        return await handoff(dispatcher, tracker, addr, HANDOFF_LEAD)


class ActionFeedback(BaseAction):
    def name(self) -> str:
        return "action_feedback"

    async def act(self, dispatcher, tracker, addr, value: str | None = None) -> list[Any]:
        """`value`: "up" or "down" from a typed yes or no (else the intent of the button tells)."""
        value = value or ("up" if intent_of(tracker) == "feedback_up" else "down")
        await api.feedback(tracker.sender_id, channel_of(tracker), value, tracker.get_slot("last_article"))
        if value == "up":
            say(dispatcher, addr, "Cảm ơn {addr}! {Addr} cần hỏi gì thêm cứ nhắn nhé.")
            meta(dispatcher, "feedback")
            return []
        say(dispatcher, addr, "Xin lỗi {addr}. Câu trả lời còn thiếu gì? {Addr} nhắn ngắn gọn, "
                              "tôi sẽ chuyển cho cán bộ bổ sung.")
        meta(dispatcher, "feedback")
        return [SlotSet("awaiting_feedback", True)]
