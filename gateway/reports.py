"""Usage reports from the conversation log: totals and breakdowns by day, channel, topic and target
group, CSV and XLSX exports, and the quarterly summary a ward or commune pastes into the periodic
report the movement's plans ask for ("định kỳ hằng quý ... báo cáo kết quả thực hiện").

Periods are whole UTC days, `start` and `end` included; the same SQL runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import and_, case, distinct, func, literal_column, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gateway.store import FeedbackRow, HandoffRow, MessageRow, UnansweredRow
from retrieval.courses import GROUPS

METRICS = ("conversations", "messages", "replies", "answered", "fallbacks", "answer_rate", "fallback_rate",
           "thumbs_up", "thumbs_down", "thumbs_up_rate", "handoffs")
DIMENSIONS = ("day", "channel", "topic", "group")
OUTCOME_COLUMNS = ["day", "channel", "topic", "outcome", "replies"]
NONE = "-"  # no topic, no known target group
LABELS = {
    "channel": {"web": "Trang web", "telegram": "Telegram", "zalo": "Zalo"},
    "topic": {"vneid": "VNeID, định danh điện tử", "dichvucong": "Dịch vụ công trực tuyến",
              "scam": "Nhận diện, phòng tránh lừa đảo", "payment": "Thanh toán số", "health": "Y tế số",
              "movement": "Phong trào Bình dân học vụ số", "framework": "Khung kỹ năng số",
              "basics": "Kỹ năng số cơ bản", "volunteer": "Tình nguyện viên, Tổ công nghệ số", NONE: "Chưa rõ chủ đề"},
    "group": {**GROUPS, NONE: "Chưa rõ nhóm đối tượng"},
}
# What the plans (KH 01-KH/BCĐTW and the city, ward and school plans carrying it out) ask units to
# report that a chat assistant cannot measure: the unit fills these in from its own records.
TO_FILL_BY_UNIT = (
    "Tỷ lệ cán bộ, công chức, viên chức và người lao động khu vực công có kiến thức, kỹ năng số",
    "Tỷ lệ học sinh, sinh viên được trang bị kiến thức, kỹ năng số và kỹ năng an toàn trên môi trường số",
    "Tỷ lệ người dân trưởng thành có tri thức cơ bản về chuyển đổi số, kỹ năng số",
    "Tỷ lệ người dân trưởng thành được xác nhận đạt phổ cập kỹ năng số trên nền tảng VNeID",
    "Tỷ lệ người lao động trong doanh nghiệp, hợp tác xã có kiến thức, kỹ năng số",
    "Tỷ lệ dân số trưởng thành có điện thoại thông minh",
    "Tỷ lệ dân số trưởng thành tại đô thị có tài khoản thanh toán điện tử",
    "Tỷ lệ hộ gia đình được phổ biến về mục đích, ý nghĩa của Phong trào",
    "Số lớp tập huấn, buổi học cộng đồng, điểm lưu động và số người tham dự (người cao tuổi, khuyết tật)",
    "Số người tham gia, hoàn thành khóa học trên nền tảng MOOCs Bình dân học vụ số",
    "Số Tổ công nghệ số cộng đồng, Đại sứ số đang hoạt động và số người được hướng dẫn",
    "Khó khăn, vướng mắc và đề xuất giải pháp",
)


def usage(engine: Engine, start: dt.date, end: dt.date) -> dict:
    """{"start", "end", "totals": {metric: n}, "by_<dimension>": [{<dimension>: key, metric: n, ...}]}.

    Messages count user messages, replies bot messages; answered replies are those of any kind but
    fallback and handoff. User messages carry no topic or group, so a question is counted under the
    topic and group of the bot reply that follows it ("-" when none: no cited article, no known
    group, or a human owns the conversation); conversations there are the senders of those questions,
    so one sender can count in several rows. Feedback counts under the topic of the rated article
    and under group "-"; handoffs under topic and group "-". by_day lists every day of the period."""
    lo, hi = _bounds(start, end)
    m = _turns(engine, lo, hi).c
    user, bot = m.role == "user", m.role == "bot"
    counts = {"conversations": func.count(distinct(case((user, m.sender)))),
              "messages": func.count(case((user, 1))), "replies": func.count(case((bot, 1))),
              "fallbacks": func.count(case((and_(bot, m.kind == "fallback"), 1))),
              "handoff_replies": func.count(case((and_(bot, m.kind == "handoff"), 1)))}
    keys = {"total": literal_column("''"),  # a constant: one row, no grouping
            "day": m.day, "channel": m.channel, "topic": m.turn_topic, "group": m.turn_group}
    f = _in_period(engine, FeedbackRow, lo, hi).c
    h = _in_period(engine, HandoffRow, lo, hi).c
    tables = {dim: defaultdict(Counter) for dim in keys}
    with Session(engine) as session:
        for dim, key in keys.items():
            query = select(key, *counts.values())
            for value, *numbers in session.execute(query if dim == "total" else query.group_by(key)):
                tables[dim][_key(value)].update(dict(zip(counts, numbers)))
        for day, channel, article, value, n in session.execute(
                select(f.day, f.channel, f.article_id, f.value, func.count())
                .group_by(f.day, f.channel, f.article_id, f.value)):
            topic = article.split("-")[0] if article else NONE  # as gateway.chat derives a reply's topic
            _add(tables, "thumbs_up" if value == "up" else "thumbs_down", n, day, channel, topic)
        for day, channel, n in session.execute(select(h.day, h.channel, func.count()).group_by(h.day, h.channel)):
            _add(tables, "handoffs", n, day, channel, NONE)
    days = [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
    return {"start": start.isoformat(), "end": end.isoformat(), "totals": _metrics(tables["total"][""]),
            "by_day": [{"day": day, **_metrics(tables["day"][day])} for day in days],
            **{f"by_{dim}": [{dim: key, **_metrics(c)} for key, c in sorted(tables[dim].items())]
               for dim in ("channel", "topic", "group")}}


def outcomes(engine: Engine, start: dt.date, end: dt.date) -> list[dict]:
    """Bot replies per day, channel, topic and outcome (`kind`), "-" where there is none."""
    m = _in_period(engine, MessageRow, *_bounds(start, end)).c
    columns = (m.day, m.channel, func.coalesce(m.topic, NONE), func.coalesce(m.kind, NONE))
    with Session(engine) as session:
        rows = session.execute(select(*columns, func.count()).where(m.role == "bot").group_by(*columns)
                               .order_by(*columns)).all()
    return [{"day": _key(day), "channel": channel, "topic": topic, "outcome": kind, "replies": n}
            for day, channel, topic, kind, n in rows]


def outcomes_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=OUTCOME_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def rows_for_csv(report: dict) -> tuple[list[str], list[list]]:
    """One table: the totals (dimension "total", key "start/end"), then every breakdown row."""
    header = ["dimension", "key", *METRICS]
    rows = [["total", f"{report['start']}/{report['end']}", *(report["totals"][m] for m in METRICS)]]
    rows += [[dim, row[dim], *(row[m] for m in METRICS)] for dim in DIMENSIONS for row in report[f"by_{dim}"]]
    return header, rows


def to_csv(report: dict) -> str:
    header, rows = rows_for_csv(report)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def to_xlsx(report: dict) -> bytes:
    """A Summary sheet (period and totals), then a sheet per breakdown, its keys labelled in Vietnamese."""
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    _fill(summary, ["metric", "value"],
          [["start", report["start"]], ["end", report["end"]], *([m, report["totals"][m]] for m in METRICS)])
    for dim in DIMENSIONS:
        _fill(book.create_sheet(f"By {dim}"), [dim, "label", *METRICS],
              [[row[dim], _label(dim, row[dim]), *(row[m] for m in METRICS)] for row in report[f"by_{dim}"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a calendar quarter."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1, 2, 3 or 4, not {quarter!r}")
    after = dt.date(year + quarter // 4, 3 * quarter % 12 + 1, 1)
    return dt.date(year, 3 * quarter - 2, 1), after - dt.timedelta(days=1)


def quarterly_summary(engine: Engine, year: int, quarter: int) -> dict:
    """The quarter's totals, by_group and by_channel tables, top_topics (10 at most, "-" left out),
    unanswered questions, handoffs by current status, and the figures the unit must fill in."""
    start, end = quarter_bounds(year, quarter)
    report = usage(engine, start, end)
    lo, hi = _bounds(start, end)
    h = _in_period(engine, HandoffRow, lo, hi).c
    with Session(engine) as session:
        unanswered = session.scalar(select(func.count()).select_from(_in_period(engine, UnansweredRow, lo, hi)))
        statuses = dict(session.execute(select(h.status, func.count()).group_by(h.status)).all())
    topics = sorted((row for row in report["by_topic"] if row["topic"] != NONE),
                    key=lambda row: (-row["messages"], row["topic"]))
    return {"year": year, "quarter": quarter, "start": report["start"], "end": report["end"],
            "totals": report["totals"], "by_group": report["by_group"], "by_channel": report["by_channel"],
            "top_topics": topics[:10], "unanswered": unanswered,
            "handoffs": {"total": report["totals"]["handoffs"],
                         **{status: statuses.get(status, 0) for status in ("waiting", "active", "closed")}},
            "to_fill_by_unit": list(TO_FILL_BY_UNIT)}


def quarterly_text(summary: dict) -> str:
    """Plain Vietnamese text for the unit's quarterly report."""
    t, h = summary["totals"], summary["handoffs"]
    quarter = ("I", "II", "III", "IV")[summary["quarter"] - 1]
    lines = [
        "KẾT QUẢ SỬ DỤNG TRỢ LÝ ẢO HỖ TRỢ PHONG TRÀO “BÌNH DÂN HỌC VỤ SỐ”",
        f"Quý {quarter}/{summary['year']} (từ ngày {_vn_date(summary['start'])} đến ngày {_vn_date(summary['end'])})",
        "", "1. Kết quả chung",
        f"- Số người đã hỏi trợ lý ảo (tính theo cuộc trò chuyện): {t['conversations']}",
        f"- Số câu hỏi tiếp nhận: {t['messages']}; số câu trả lời: {t['replies']}, trong đó trả lời được "
        f"{t['answered']} ({_pct(t['answer_rate'])}), chưa trả lời được {t['fallbacks']} ({_pct(t['fallback_rate'])})",
        f"- Số lượt chuyển cán bộ, tình nguyện viên hỗ trợ trực tiếp: {h['total']} (đã xử lý xong: {h['closed']})",
        f"- Đánh giá của người dùng: {t['thumbs_up']} lượt hài lòng, {t['thumbs_down']} lượt chưa hài lòng "
        f"(tỷ lệ hài lòng {_pct(t['thumbs_up_rate'])})",
        f"- Số câu hỏi chưa có câu trả lời phù hợp, cần bổ sung nội dung: {summary['unanswered']}",
        *_section("2. Theo nhóm đối tượng phổ cập", summary["by_group"], "group"),
        *_section("3. Theo kênh tiếp cận", summary["by_channel"], "channel"),
        *_section("4. Chủ đề được hỏi nhiều nhất", summary["top_topics"], "topic"),
        "", "5. Số liệu đơn vị tự điền (trợ lý ảo không đo được)",
        *(f"- {figure}: ........" for figure in summary["to_fill_by_unit"]),
        "", "Ghi chú: số liệu mục 1-4 là số lượt hỏi đáp với trợ lý ảo, không thay thế số người được "
        "tập huấn hay được đánh giá đạt phổ cập kỹ năng số.",
    ]
    return "\n".join(lines) + "\n"


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as [first instant, instant after the last day) in UTC."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    return (dt.datetime.combine(start, dt.time.min, dt.timezone.utc),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, dt.timezone.utc))


def _in_period(engine: Engine, model, lo: dt.datetime, hi: dt.datetime, *columns):
    """The model's rows created in [lo, hi), with their UTC `day` (PostgreSQL's date() would use the
    session's time zone; SQLite keeps the UTC wall-clock time) and any extra columns."""
    created = model.created_at
    day = func.date(func.timezone("UTC", created) if engine.dialect.name == "postgresql" else created)
    return select(model, day.label("day"), *columns).where(created >= lo, created < hi).subquery()


def _turns(engine: Engine, lo: dt.datetime, hi: dt.datetime):
    """Messages in [lo, hi) with `turn_topic` and `turn_group`: for a user message, those of the bot
    reply right after it in the sender's conversation (NULL when none), else the message's own."""
    def following(column):
        return func.lead(column).over(partition_by=MessageRow.sender, order_by=MessageRow.id)

    replied = and_(MessageRow.role == "user", following(MessageRow.role) == "bot")
    return _in_period(engine, MessageRow, lo, hi,
                      case((replied, following(MessageRow.topic)), else_=MessageRow.topic).label("turn_topic"),
                      case((replied, following(MessageRow.learner_group)),
                           else_=MessageRow.learner_group).label("turn_group"))


def _key(value) -> str:
    """A group key as text: NULL is "-", a date (PostgreSQL) or date string (SQLite) is ISO."""
    return NONE if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)


def _add(tables: dict, metric: str, n: int, day, channel: str, topic: str) -> None:
    for dim, key in (("total", ""), ("day", _key(day)), ("channel", channel), ("topic", topic), ("group", NONE)):
        tables[dim][key][metric] += n


def _metrics(c: Counter) -> dict:
    answered = c["replies"] - c["fallbacks"] - c["handoff_replies"]
    return {"conversations": c["conversations"], "messages": c["messages"], "replies": c["replies"],
            "answered": answered, "fallbacks": c["fallbacks"], "answer_rate": _rate(answered, c["replies"]),
            "fallback_rate": _rate(c["fallbacks"], c["replies"]), "thumbs_up": c["thumbs_up"],
            "thumbs_down": c["thumbs_down"], "thumbs_up_rate": _rate(c["thumbs_up"], c["thumbs_up"] + c["thumbs_down"]),
            "handoffs": c["handoffs"]}


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def _fill(sheet, header: list, rows: list) -> None:
    """Header in bold and frozen, then the rows; columns as wide as their longest value."""
    for row in (header, *rows):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = min(max(len(str(c.value)) for c in column) + 2, 60)


def _section(title: str, rows: list, dim: str) -> list[str]:
    lines = [f"- {_label(dim, row[dim])}: {row['messages']} câu hỏi, {row['conversations']} người hỏi"
             for row in rows]
    return ["", title, *(lines or ["- Chưa có số liệu"])]


def _label(dim: str, key: str) -> str:
    """A key as a Vietnamese reader would have it: 01/10/2026, Trang web, Người dân..."""
    return _vn_date(key) if dim == "day" else LABELS[dim].get(key, key)


def _pct(rate: float) -> str:
    return f"{rate * 100:.1f}%".replace(".", ",")


def _vn_date(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y")
