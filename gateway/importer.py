"""Lesson materials (Markdown, DOCX, PDF) to draft knowledge-base articles for an editor to finish.

    drafts = import_document("bai-1.docx", data, topic="vneid", author="editor1")

Each heading starts a section; each section with body text becomes one draft article dict that
`retrieval.kb.from_dict` accepts, with review status "draft". Numbered list items become steps.
"""
from __future__ import annotations

import io
import re
import unicodedata
from pathlib import PureWindowsPath

from retrieval.kb import TOPICS
from retrieval.normalize import fold

MAX_BYTES = 10 * 1024 * 1024
MAX_SLUG = 60
FORMATS = {".md": "markdown", ".markdown": "markdown", ".docx": "docx", ".pdf": "pdf"}

MD_HEADING = re.compile(r"^#{1,3}\s+(.+?)(?:\s+#+)?$")
# "1. ...", "1) ...", "Bước 1: ..."; the space after the mark keeps "1.000.000 đồng" out.
STEP = re.compile(r"^(?:bước\s*)?\d{1,2}\s*[.):]\s+(.+)$", re.IGNORECASE)
LIST_LINE = re.compile(r"^(?:\d+\.|[-*+])\s")
PAGE_NUMBER = re.compile(r"^(?:trang\s*)?[-–\s]*\d{1,4}(?:\s*/\s*\d{1,4})?[-–\s]*$", re.IGNORECASE)


class DocumentError(ValueError):
    """A file that cannot be imported; the message says what to do next."""


def import_document(filename: str, data: bytes, topic: str, author: str) -> list[dict]:
    """Draft article dicts, one per section of the document, in document order."""
    name = PureWindowsPath(filename).name  # also strips a browser's "C:\fakepath\"
    ext = PureWindowsPath(name).suffix.lower()
    if topic not in TOPICS:
        raise DocumentError(f"unknown topic '{topic}': choose one of {', '.join(TOPICS)}")
    if ext not in FORMATS:
        what = f"file type '{ext}'" if ext else f"file '{name}' without an extension"
        raise DocumentError(f"unsupported {what}: upload a .docx, .pdf or .md file")
    if not data:
        raise DocumentError(f"{name} is empty: upload a file that contains the lesson text")
    if len(data) > MAX_BYTES:
        raise DocumentError(f"{name} is {len(data) / 2**20:.1f} MB, over the 10 MB limit: "
                            "split it into smaller files or remove large images")
    blocks = {"markdown": _markdown_blocks, "docx": _docx_blocks, "pdf": _pdf_blocks}[FORMATS[ext]](name, data)
    if not blocks:
        hint = ("it looks like a scanned PDF: run OCR on it or upload the original DOCX"
                if ext == ".pdf" else "add the lesson text and upload it again")
        raise DocumentError(f"{name} contains no text: {hint}")
    drafts = _drafts(blocks, name, topic, author)
    if not drafts:
        raise DocumentError(f"{name} has headings but no text under them: nothing to import")
    return drafts


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _line_blocks(lines: list[str], heading, continues) -> list[tuple[str, str]]:
    """(kind, text) blocks from text lines; kind is "heading", "step" or "text".

    `heading(i)` is the heading title of line i or None; `continues(i)` says line i carries on the
    paragraph or list item above it.
    """
    blocks: list[tuple[str, str]] = []
    for i, line in enumerate(lines):
        if not line:
            continue
        step = STEP.match(line)
        title = None if step else heading(i)
        if title:
            blocks.append(("heading", title))
        elif step:
            blocks.append(("step", step.group(1)))
        elif blocks and blocks[-1][0] != "heading" and continues(i) and not LIST_LINE.match(line):
            kind, text = blocks[-1]
            blocks[-1] = (kind, f"{text} {line}")
        else:
            blocks.append(("text", line))
    return blocks


def _markdown_blocks(name: str, data: bytes) -> list[tuple[str, str]]:
    try:
        lines = [_clean(line) for line in data.decode("utf-8-sig").splitlines()]
    except UnicodeDecodeError:
        raise DocumentError(f"{name} is not UTF-8 text: save it with UTF-8 encoding and upload again") from None
    return _line_blocks(lines, lambda i: (m := MD_HEADING.match(lines[i])) and m.group(1),
                        lambda i: i > 0 and bool(lines[i - 1]))


def _docx_blocks(name: str, data: bytes) -> list[tuple[str, str]]:
    import docx

    try:
        paragraphs = docx.Document(io.BytesIO(data)).paragraphs
    except Exception:  # a damaged or fake DOCX raises zip, XML or key errors alike
        raise DocumentError(f"{name} is not a readable DOCX file: open it in Word, "
                            "save it as .docx again and upload that") from None
    blocks = []
    for paragraph in paragraphs:
        text = _clean(paragraph.text)
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "").lower()
        step = STEP.match(text)
        if style.startswith(("heading", "title")) or (not step and _bold_line(paragraph, text)):
            blocks.append(("heading", text))
        elif style.startswith("list number"):
            blocks.append(("step", text))
        elif step:
            blocks.append(("step", step.group(1)))
        else:
            blocks.append(("text", text))
    return blocks


def _bold_line(paragraph, text: str) -> bool:
    """A short, entirely bold paragraph is a heading typed without a heading style."""
    runs = [run for run in paragraph.runs if run.text.strip()]
    return bool(runs) and all(run.bold for run in runs) and len(text.split()) <= 12 and text[-1] not in ".,;"


def _pdf_blocks(name: str, data: bytes) -> list[tuple[str, str]]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        locked = reader.is_encrypted and not reader.decrypt("")
        pages = [] if locked else [page.extract_text() or "" for page in reader.pages]
    except Exception:  # pypdf raises many error types on damaged files
        raise DocumentError(f"{name} is not a readable PDF file: open it in a PDF reader, "
                            "export it as PDF again or upload the original DOCX") from None
    if locked:
        raise DocumentError(f"{name} is password-protected: remove the password and upload it again")
    lines = [line for page in pages for line in map(_clean, page.splitlines())
             if line and not PAGE_NUMBER.match(line)]
    # A line that reaches the right margin was wrapped: the next line carries on its paragraph,
    # unless the wrapped line ends a sentence and the next one starts a new sentence.
    full = max(40, 0.7 * max(map(len, lines), default=0))

    def continues(i: int) -> bool:
        previous = lines[i - 1] if i > 0 else ""
        return len(previous) >= full and not (previous[-1] in ".!?" and lines[i][0].isupper())

    def heading(i: int) -> str | None:
        """A short line standing alone ("Bài 1: ...", "I. ...", "LƯU Ý"), followed by body text."""
        line = lines[i]
        alone = i + 1 < len(lines) and not continues(i) and not continues(i + 1)
        short = len(line.split()) <= 12 and line[0].isupper() and line[-1] not in ".,;:!"
        return line if alone and short else None

    return _line_blocks(lines, heading, continues)


def _slug(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(title).lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0]
    return slug or "bai"


def _body(blocks: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """Markdown body and steps of one section; steps are numbered per run of consecutive items."""
    paragraphs, steps, number = [], [], 0
    for kind, text in blocks:
        number = number + 1 if kind == "step" else 0
        if kind == "step":
            steps.append(text)
            text = f"{number}. {text}"
        if paragraphs and LIST_LINE.match(text) and LIST_LINE.match(paragraphs[-1].rsplit("\n", 1)[-1]):
            paragraphs[-1] += "\n" + text  # consecutive list items stay one tight list
        else:
            paragraphs.append(text)
    return "\n\n".join(paragraphs), steps


def _drafts(blocks: list[tuple[str, str]], name: str, topic: str, author: str) -> list[dict]:
    stem = PureWindowsPath(name).stem.replace("_", " ")
    sections: list[tuple[str, list]] = []
    for kind, text in blocks:
        if kind == "heading":
            sections.append((text.strip("*_#: ") or stem, []))
        else:
            if not sections:  # text before the first heading: a section named after the file
                sections.append((stem, []))
            sections[-1][1].append((kind, text))
    drafts, ids = [], set()
    for title, section in sections:
        if not section:
            continue  # a heading with nothing under it, such as the document title
        body, steps = _body(section)
        base = article_id = f"{topic}-{_slug(title)}"
        suffix = 2
        while article_id in ids:
            article_id, suffix = f"{base}-{suffix}", suffix + 1
        ids.add(article_id)
        drafts.append({
            "id": article_id, "title": title, "topic": topic, "audience": ["citizen"],
            "questions": [title], "steps": steps, "sources": [{"title": name, "url": ""}],
            "review": {"status": "draft", "author": author,
                       "note": f"imported from {name}: add questions, a source url and valid_from"},
            "body": body,
        })
    return drafts
