"""Importing lesson materials (Markdown, DOCX, PDF) as draft articles: fixtures are built at test time."""
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from gateway.importer import DocumentError, import_document
from retrieval.kb import from_dict
from retrieval.kb_check import ID_RE

FONTS = Path("/usr/share/fonts/truetype/dejavu")

MARKDOWN = """# Hướng dẫn sử dụng VNeID

## Đăng nhập VNeID
Bác cần có tài khoản định danh điện tử mức 2
trước khi đăng nhập.

1. Mở ứng dụng VNeID trên điện thoại.
2) Nhập số định danh cá nhân và mật khẩu.
3. Nhập mã xác thực gửi về điện thoại.

## Quên mật khẩu
Chọn "Quên mật khẩu" ở màn hình đăng nhập, rồi làm theo hướng dẫn.
"""


def valid_drafts(drafts: list[dict], topic: str) -> dict[str, dict]:
    """Checks every draft follows the article format; returns them by title."""
    ids = [draft["id"] for draft in drafts]
    assert len(set(ids)) == len(ids)
    for draft in drafts:
        article = from_dict(draft)
        assert article.review["status"] == "draft"
        assert article.review["author"] == "bientap"
        assert ID_RE.match(article.id) and article.id.startswith(f"{topic}-")
        assert len(article.id) <= len(topic) + 1 + 60
        assert article.questions == [article.title]
        assert article.body
    return {draft["title"]: draft for draft in drafts}


def read(path: Path) -> bytes:
    return path.read_bytes()


def test_markdown_sections_become_drafts(tmp_path):
    path = tmp_path / "bai-1.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    drafts = import_document(path.name, read(path), "vneid", "bientap")

    by_title = valid_drafts(drafts, "vneid")
    assert list(by_title) == ["Đăng nhập VNeID", "Quên mật khẩu"]  # the title-only "#" heading is skipped
    login = by_title["Đăng nhập VNeID"]
    assert login["id"] == "vneid-dang-nhap-vneid"
    assert login["steps"] == ["Mở ứng dụng VNeID trên điện thoại.", "Nhập số định danh cá nhân và mật khẩu.",
                              "Nhập mã xác thực gửi về điện thoại."]
    assert "tài khoản định danh điện tử mức 2 trước khi đăng nhập." in login["body"]
    assert "1. Mở ứng dụng VNeID trên điện thoại.\n2. Nhập số định danh" in login["body"]
    assert by_title["Quên mật khẩu"]["steps"] == []
    assert login["sources"] == [{"title": "bai-1.md", "url": ""}]
    assert "bai-1.md" in login["review"]["note"]


def test_repeated_titles_get_unique_ids_and_text_before_a_heading_is_kept(tmp_path):
    text = "Lời mở đầu của bài học.\n\n## Lưu ý\nMột.\n\n## Lưu ý\nHai.\n\n## Trống\n"
    drafts = import_document("Bai_hoc_so_2.markdown", text.encode(), "scam", "bientap")

    valid_drafts(drafts, "scam")
    assert [(d["id"], d["body"]) for d in drafts] == [
        ("scam-bai-hoc-so-2", "Lời mở đầu của bài học."),
        ("scam-luu-y", "Một."), ("scam-luu-y-2", "Hai.")]


def test_long_titles_are_cut_to_a_short_slug():
    title = "Hướng dẫn chi tiết cách đăng ký tài khoản định danh điện tử mức hai cho người cao tuổi ở nông thôn"
    [draft] = import_document("a.md", f"## {title}\nNội dung.".encode(), "vneid", "bientap")

    valid_drafts([draft], "vneid")
    assert draft["id"].startswith("vneid-huong-dan-chi-tiet-cach-dang-ky")
    assert not draft["id"].endswith("-")


def test_docx_headings_and_lists(tmp_path):
    document = docx.Document()
    document.add_heading("Bài 2: Cổng Dịch vụ công", 0)
    document.add_heading("Đăng nhập Cổng Dịch vụ công", 1)
    document.add_paragraph("Cổng Dịch vụ công quốc gia cho phép nộp hồ sơ trực tuyến.")
    for item in ("Vào trang dichvucong.gov.vn", "Chọn Đăng nhập bằng VNeID", "Quét mã QR bằng ứng dụng"):
        document.add_paragraph(item, style="List Number")
    document.add_heading("Nộp hồ sơ", 2)
    document.add_paragraph("Bước 1: Tìm thủ tục cần làm.")
    document.add_paragraph("Bước 2: Điền tờ khai và đính kèm giấy tờ.")
    document.add_paragraph("Sau khi nộp, bác theo dõi kết quả trong mục Quản lý hồ sơ.")
    path = tmp_path / "Bai 2.DOCX"
    document.save(path)

    drafts = import_document(path.name, read(path), "dichvucong", "bientap")

    by_title = valid_drafts(drafts, "dichvucong")
    assert list(by_title) == ["Đăng nhập Cổng Dịch vụ công", "Nộp hồ sơ"]
    login = by_title["Đăng nhập Cổng Dịch vụ công"]
    assert login["id"] == "dichvucong-dang-nhap-cong-dich-vu-cong"
    assert login["steps"] == ["Vào trang dichvucong.gov.vn", "Chọn Đăng nhập bằng VNeID", "Quét mã QR bằng ứng dụng"]
    assert "1. Vào trang dichvucong.gov.vn\n2. Chọn Đăng nhập bằng VNeID\n3. Quét mã QR" in login["body"]
    submit = by_title["Nộp hồ sơ"]
    assert submit["steps"] == ["Tìm thủ tục cần làm.", "Điền tờ khai và đính kèm giấy tờ."]
    assert submit["body"].endswith("bác theo dõi kết quả trong mục Quản lý hồ sơ.")


class LessonPdf(FPDF):
    def footer(self):
        self.set_y(-15)
        self.set_font("DejaVu", size=9)
        self.cell(0, 10, f"Trang {self.page_no()}", align="C")


def lesson_pdf(path: Path) -> None:
    pdf = LessonPdf()
    pdf.add_font("DejaVu", fname=str(FONTS / "DejaVuSans.ttf"))
    bold = FONTS / "DejaVuSans-Bold.ttf"
    pdf.add_font("DejaVu", style="B", fname=str(bold if bold.exists() else FONTS / "DejaVuSans.ttf"))
    pdf.add_page()

    def write(text: str, heading: bool = False) -> None:
        pdf.set_font("DejaVu", "B" if heading else "", 14 if heading else 11)
        pdf.multi_cell(0, 8 if heading else 6, text, new_x="LMARGIN", new_y="NEXT")

    write("Bài 1: Đăng nhập VNeID", heading=True)
    write("Ứng dụng VNeID là ứng dụng định danh điện tử của Bộ Công an. Người dân dùng tài khoản định danh "
          "mức 2 để làm thủ tục hành chính trên Cổng Dịch vụ công quốc gia mà không cần mang giấy tờ.")
    write("1. Mở ứng dụng VNeID trên điện thoại và chọn mục Đăng nhập bằng tài khoản định danh điện tử "
          "đã được kích hoạt trước đó.")
    write("2. Nhập số định danh cá nhân và mật khẩu.")
    write("Bước 3: Nhập mã xác thực gửi về điện thoại.")
    pdf.add_page()
    write("Phần 2: Quên mật khẩu", heading=True)
    write("Nếu quên mật khẩu, bác chọn Quên mật khẩu ở màn hình đăng nhập.")
    write("Mức phạt từ 500.000 đồng đến 1.000.000 đồng.")
    pdf.output(str(path))


def test_pdf_headings_steps_and_vietnamese_text(tmp_path):
    path = tmp_path / "bai-1.pdf"
    lesson_pdf(path)

    drafts = import_document(path.name, read(path), "vneid", "bientap")

    by_title = valid_drafts(drafts, "vneid")
    assert list(by_title) == ["Bài 1: Đăng nhập VNeID", "Phần 2: Quên mật khẩu"]
    login = by_title["Bài 1: Đăng nhập VNeID"]
    assert login["id"] == "vneid-bai-1-dang-nhap-vneid"
    # The wrapped first step is joined back into one line.
    assert login["steps"] == [
        "Mở ứng dụng VNeID trên điện thoại và chọn mục Đăng nhập bằng tài khoản định danh điện tử "
        "đã được kích hoạt trước đó.",
        "Nhập số định danh cá nhân và mật khẩu.", "Nhập mã xác thực gửi về điện thoại."]
    assert "mà không cần mang giấy tờ.\n\n1. Mở ứng dụng VNeID" in login["body"]
    assert "Đăng nhập" in login["body"]
    forgot = by_title["Phần 2: Quên mật khẩu"]
    assert forgot["body"] == ("Nếu quên mật khẩu, bác chọn Quên mật khẩu ở màn hình đăng nhập.\n\n"
                              "Mức phạt từ 500.000 đồng đến 1.000.000 đồng.")
    assert all("Trang" not in draft["body"] for draft in drafts)  # page footers are dropped


def blank_pdf(path: Path, **encryption) -> None:
    pdf = FPDF()
    if encryption:
        pdf.set_encryption(**encryption)
    pdf.add_page()
    pdf.output(str(path))


@pytest.mark.parametrize("name, data, topic, message", [
    ("bai.txt", b"text", "vneid", "unsupported file type '.txt': upload a .docx, .pdf or .md file"),
    ("bai", b"text", "vneid", "unsupported file 'bai' without an extension: upload a .docx"),
    ("bai.md", b"", "vneid", "bai.md is empty"),
    ("bai.docx", b"not a zip file at all", "vneid", "bai.docx is not a readable DOCX file"),
    ("bai.pdf", b"%PDF-1.4 garbage \x00\xff", "vneid", "bai.pdf is not a readable PDF file"),
    ("bai.md", "## Tiêu đề".encode(), "thoitiet", "unknown topic 'thoitiet': choose one of vneid,"),
    ("bai.md", b"x" * (10 * 1024 * 1024 + 1), "vneid", "over the 10 MB limit"),
    ("bai.md", "\n\n   \n".encode(), "vneid", "bai.md contains no text"),
    ("bai.md", "# Bài 1\n## Phần 1\n".encode(), "vneid", "has headings but no text under them"),
    ("bai.md", "Tiếng Việt".encode("utf-16"), "vneid", "is not UTF-8 text"),
])
def test_bad_input_is_a_document_error_saying_what_to_do(name, data, topic, message):
    with pytest.raises(DocumentError) as error:
        import_document(name, data, topic, "bientap")
    assert message in str(error.value)


def test_scanned_pdf_without_text_is_explained(tmp_path):
    path = tmp_path / "scan.pdf"
    blank_pdf(path)
    with pytest.raises(DocumentError, match="no text: it looks like a scanned PDF: run OCR"):
        import_document(path.name, read(path), "vneid", "bientap")


def test_password_protected_pdf_is_explained(tmp_path):
    path = tmp_path / "khoa.pdf"
    blank_pdf(path, owner_password="chu", user_password="mo")
    with pytest.raises(DocumentError, match="password-protected: remove the password"):
        import_document(path.name, read(path), "vneid", "bientap")
