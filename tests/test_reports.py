"""Usage reports and the quarterly summary from known rows, against SQLite and PostgreSQL."""
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from gateway.reports import (METRICS, quarter_bounds, quarterly_summary, quarterly_text, rows_for_csv, to_csv,
                             to_xlsx, usage)
from gateway.store import FeedbackRow, HandoffRow, MessageRow, Store, UnansweredRow

from databases import database_url  # noqa: F401  (fixture)

START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 3)
# sender, channel, when the question came (2026, UTC), the reply's kind (None: a human owns the
# conversation and the bot stays silent), the cited article's topic, the learner's group
TURNS = [
    ("alice", "web", "10-01 08:00", "answer", "vneid", "citizen"),
    ("alice", "web", "10-01 08:05", "guide_step", "vneid", "citizen"),
    ("bob", "zalo", "10-01 09:00", "fallback", None, None),
    ("bob", "zalo", "10-01 09:10", "answer", "scam", None),
    ("carol", "telegram", "10-02 10:00", "handoff", None, "student"),
    ("carol", "telegram", "10-02 10:05", None, None, None),
    ("alice", "web", "10-02 23:30", "scam_warning", "scam", "citizen"),  # already 10-03 in Vietnam
    ("dave", "zalo", "10-03 07:00", "course", "framework", "worker"),
    ("dave", "zalo", "10-03 07:05", "clarify", None, "worker"),
    ("erin", "web", "10-03 12:00", "quiz", "basics", None),  # a kind the report does not know: answered
    ("zed", "web", "09-30 23:59", "answer", "vneid", "citizen"),  # before the period
    ("zed", "web", "10-04 00:00", "fallback", None, None),  # after the period, inside Q4
]
# sender, channel, value, rated article, when
FEEDBACK = [("alice", "web", "up", "vneid-cai-dat", "10-01 08:06"), ("bob", "zalo", "down", "scam-lua", "10-01 09:11"),
            ("alice", "web", "up", "scam-nhan-dien", "10-02 23:31"), ("dave", "zalo", "up", None, "10-03 07:06"),
            ("zed", "web", "down", None, "10-04 00:00:02")]
HANDOFFS = [("carol", "telegram", "closed", "10-02 10:00:30"), ("bob", "zalo", "waiting", "10-03 08:00"),
            ("zed", "web", "closed", "09-30 12:00")]
UNANSWERED = [("bob", "zalo", "fallback", "10-01 09:00"), ("bob", "zalo", "thumbs_down", "10-01 09:11"),
              ("zed", "web", "fallback", "10-04 00:00"), ("zed", "web", "fallback", "09-30 08:00")]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-{text}+00:00")


def rows():
    for sender, channel, when, kind, topic, group in TURNS:
        yield MessageRow(sender=sender, channel=channel, role="user", text="Cho tôi hỏi", created_at=at(when))
        later = at(when) + dt.timedelta(seconds=1)
        yield (MessageRow(sender=sender, channel=channel, role="human", text="Cán bộ phường đây ạ", created_at=later)
               if kind is None else
               MessageRow(sender=sender, channel=channel, role="bot", text="Trả lời", kind=kind, topic=topic,
                          learner_group=group, created_at=later))
    for sender, channel, value, article, when in FEEDBACK:
        yield FeedbackRow(sender=sender, channel=channel, value=value, article_id=article, created_at=at(when))
    for sender, channel, status, when in HANDOFFS:
        yield HandoffRow(sender=sender, channel=channel, summary="cần hỗ trợ", status=status, created_at=at(when))
    for sender, channel, reason, when in UNANSWERED:
        yield UnansweredRow(sender=sender, channel=channel, text="câu hỏi", reason=reason, created_at=at(when))


@pytest.fixture
def engine(database_url):
    store = Store(database_url)
    with Session(store.engine) as session, session.begin():
        session.add_all(list(rows()))
    if store.engine.dialect.name != "postgresql":
        yield store.engine
        return
    # a session time zone east of UTC: the report's days must stay UTC days
    engine = create_engine(store.engine.url, connect_args={"options": "-c timezone=Asia/Ho_Chi_Minh"})
    yield engine
    engine.dispose()
    store.engine.dispose()


def metrics(*values):
    return dict(zip(METRICS, values))


def test_usage_counts_every_breakdown(engine):
    report = usage(engine, START, END)
    assert report["start"] == "2026-10-01" and report["end"] == "2026-10-03"
    assert report["totals"] == metrics(5, 10, 9, 7, 1, 0.778, 0.111, 3, 1, 0.75, 2)
    assert report["by_day"] == [
        {"day": "2026-10-01", **metrics(2, 4, 4, 3, 1, 0.75, 0.25, 1, 1, 0.5, 0)},
        {"day": "2026-10-02", **metrics(2, 3, 2, 1, 0, 0.5, 0.0, 1, 0, 1.0, 1)},
        {"day": "2026-10-03", **metrics(2, 3, 3, 3, 0, 1.0, 0.0, 1, 0, 1.0, 1)},
    ]
    assert report["by_channel"] == [
        {"channel": "telegram", **metrics(1, 2, 1, 0, 0, 0.0, 0.0, 0, 0, 0.0, 1)},
        {"channel": "web", **metrics(2, 4, 4, 4, 0, 1.0, 0.0, 2, 0, 1.0, 0)},
        {"channel": "zalo", **metrics(2, 4, 4, 3, 1, 0.75, 0.25, 1, 1, 0.5, 1)},
    ]
    # questions go under their reply's topic and group; feedback under the rated article's topic
    assert report["by_topic"] == [
        {"topic": "-", **metrics(3, 4, 3, 1, 1, 0.333, 0.333, 1, 0, 1.0, 2)},
        {"topic": "basics", **metrics(1, 1, 1, 1, 0, 1.0, 0.0, 0, 0, 0.0, 0)},
        {"topic": "framework", **metrics(1, 1, 1, 1, 0, 1.0, 0.0, 0, 0, 0.0, 0)},
        {"topic": "scam", **metrics(2, 2, 2, 2, 0, 1.0, 0.0, 1, 1, 0.5, 0)},
        {"topic": "vneid", **metrics(1, 2, 2, 2, 0, 1.0, 0.0, 1, 0, 1.0, 0)},
    ]
    assert report["by_group"] == [
        {"group": "-", **metrics(3, 4, 3, 2, 1, 0.667, 0.333, 3, 1, 0.75, 2)},
        {"group": "citizen", **metrics(1, 3, 3, 3, 0, 1.0, 0.0, 0, 0, 0.0, 0)},
        {"group": "student", **metrics(1, 1, 1, 0, 0, 0.0, 0.0, 0, 0, 0.0, 0)},
        {"group": "worker", **metrics(1, 2, 2, 2, 0, 1.0, 0.0, 0, 0, 0.0, 0)},
    ]


def test_an_empty_period_has_zero_days_and_no_rows(engine):
    report = usage(engine, dt.date(2027, 1, 1), dt.date(2027, 1, 2))
    assert report["totals"] == metrics(*[0] * 11)
    assert [row["day"] for row in report["by_day"]] == ["2027-01-01", "2027-01-02"]
    assert report["by_channel"] == report["by_topic"] == report["by_group"] == []


def test_csv_and_xlsx(engine):
    report = usage(engine, START, END)
    header, rows = rows_for_csv(report)
    assert header == ["dimension", "key", *METRICS] and len(rows) == 1 + 3 + 3 + 5 + 4
    lines = to_csv(report).splitlines()
    assert lines[0] == ("dimension,key,conversations,messages,replies,answered,fallbacks,answer_rate,"
                        "fallback_rate,thumbs_up,thumbs_down,thumbs_up_rate,handoffs")
    assert lines[1] == "total,2026-10-01/2026-10-03,5,10,9,7,1,0.778,0.111,3,1,0.75,2"
    assert "channel,zalo,2,4,4,3,1,0.75,0.25,1,1,0.5,1" in lines

    book = load_workbook(io.BytesIO(to_xlsx(report)))
    assert book.sheetnames == ["Summary", "By day", "By channel", "By topic", "By group"]
    assert book["Summary"]["A1"].font.bold and book["Summary"]["B4"].value == 5  # conversations
    sheet = book["By group"]
    assert [c.value for c in sheet[1]][:3] == ["group", "label", "conversations"]
    assert [c.value for c in sheet[3]][:4] == ["citizen", "Người dân", 1, 3]
    assert sheet.column_dimensions["B"].width > len("Cán bộ, công chức, viên chức") - 5


def test_quarter_bounds():
    assert quarter_bounds(2026, 4) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter_bounds(2026, 1) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert quarter_bounds(2028, 1)[1] == dt.date(2028, 3, 31) and quarter_bounds(2026, 3)[1] == dt.date(2026, 9, 30)


def test_quarterly_summary_and_text(engine):
    summary = quarterly_summary(engine, 2026, 4)
    assert (summary["start"], summary["end"]) == ("2026-10-01", "2026-12-31")
    assert summary["totals"] == metrics(6, 11, 10, 7, 2, 0.7, 0.2, 3, 2, 0.6, 2)
    assert summary["by_group"][0] == {"group": "-", **metrics(4, 5, 4, 2, 2, 0.5, 0.5, 3, 2, 0.6, 2)}
    assert summary["by_channel"][1] == {"channel": "web", **metrics(3, 5, 5, 4, 1, 0.8, 0.2, 2, 1, 0.667, 0)}
    assert [row["topic"] for row in summary["top_topics"]] == ["scam", "vneid", "basics", "framework"]
    assert summary["unanswered"] == 3
    assert summary["handoffs"] == {"total": 2, "waiting": 1, "active": 0, "closed": 1}
    assert any("VNeID" in figure for figure in summary["to_fill_by_unit"])

    text = quarterly_text(summary)
    assert "Quý IV/2026 (từ ngày 01/10/2026 đến ngày 31/12/2026)" in text
    assert "Số câu hỏi tiếp nhận: 11; số câu trả lời: 10, trong đó trả lời được 7 (70,0%)" in text
    assert "- Người lao động trong doanh nghiệp: 2 câu hỏi, 1 người hỏi" in text
    assert "- Nhận diện, phòng tránh lừa đảo: 2 câu hỏi, 2 người hỏi" in text
    assert "- Tỷ lệ dân số trưởng thành có điện thoại thông minh: ........" in text


def test_invalid_periods_are_refused(engine):
    with pytest.raises(ValueError, match="before it starts"):
        usage(engine, END, START)
    for quarter in (0, 5):
        with pytest.raises(ValueError, match="quarter must be 1, 2, 3 or 4"):
            quarter_bounds(2026, quarter)
    with pytest.raises(ValueError, match="quarter"):
        quarterly_summary(engine, 2026, 5)
