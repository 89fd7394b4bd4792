"""The return's PDF: every part, the variance beyond the threshold with its explanation, the sign-off table."""

import io
import re
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader
from weasyprint import CSS, HTML
from weasyprint.formatting_structure import boxes as layout_boxes

from monitoring import pdf, services, signoff_selectors
from tests.monitoring.conftest_sign import EXPLANATION, build_return_cast, submit_return

pytestmark = pytest.mark.django_db
LONG_WORD = "Reablement" * 30  # no break point: it must wrap, not run off the page


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's words in reading order, a table cell's wrapped lines joined (as tests/governance do with pypdf)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _poppler_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "return.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_pdf_shows_the_parts_the_variance_and_its_explanation(tmp_path):
    rc = build_return_cast()

    data = pdf.return_pdf_bytes(rc.ret)
    text = _pdf_text(data, tmp_path)

    assert "Barking" in text and "Quarter 1 2017/18" in text
    for heading in ("National conditions", "Income and expenditure", "Metrics", "Narrative", "Sign-off"):
        assert heading in text
    assert "-25.0%" in text and "Variance above 10%" in text
    assert EXPLANATION in text
    # As printed (poppler): the tag sits in the variance column of the highlighted line.
    assert re.search(r"-25\.0%", _poppler_text(data, tmp_path))
    assert "The section 75 agreement is being signed again." in text
    assert "Winter pressures came early." in text
    assert "Integrated teams are live in two localities." in text
    assert "Not yet signed." in text


def test_the_submitted_pdf_has_the_sign_off_table_and_the_explanation(tmp_path):
    rc = build_return_cast()
    submission = submit_return(rc)
    with submission.pdf.open("rb") as handle:
        text = _pdf_text(handle.read(), tmp_path)
    for name in ("Cllr Maureen Worby", "Chris Naylor", "Conor Burke"):
        assert name in text
    assert EXPLANATION in text


def test_long_text_wraps_inside_the_page(tmp_path):
    rc = build_return_cast(filled=False)
    line = rc.ret.lines.first()
    services.save_lines(
        user=rc.commissioner,
        ret=rc.ret,
        changes=[services.LineChange(line.pk, line.version, line.planned, line.planned_year, LONG_WORD)],
    )
    data = pdf.return_pdf_bytes(rc.ret)
    path = tmp_path / "long.pdf"
    path.write_bytes(data)
    # Every word's box lies within the A4 page (595pt wide).
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    right_edges = [float(x) for x in re.findall(r'xMax="([0-9.]+)"', boxes)]
    assert right_edges and max(right_edges) <= 595
    assert "Reablement" in _pdf_text(data, tmp_path)


def _boxes_past_the_right_margin(ret) -> list[str]:
    """Tables and cells of the laid-out PDF that reach past the page's right margin (WeasyPrint's own layout)."""
    html = pdf.return_html(signoff_selectors.live_document(ret))
    stylesheet = CSS(filename=str(pdf._template_dir() / pdf.STYLESHEET))
    document = HTML(string=html).render(stylesheets=[stylesheet], presentational_hints=True)
    found = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        right = page_box.content_box_x() + page_box.width
        for box in page_box.descendants():
            is_table = isinstance(box, (layout_boxes.TableBox, layout_boxes.TableCellBox))
            if is_table and box.position_x + box.margin_width() > right + 0.5:
                found.append(f"page {number}: {type(box).__name__} {box.element_tag}")
    return found


def test_every_table_of_the_pdf_keeps_within_the_page_margins():
    """A column's width includes its padding, so the widths given add up to the page; a variance tag wraps in its cell."""
    rc = build_return_cast()
    line = rc.ret.lines.first()
    label = "Joint assessment and discharge service including the community equipment service " * 2
    rc.ret.lines.filter(pk=line.pk).update(label=label.strip())
    assert _boxes_past_the_right_margin(rc.ret) == []


def test_the_pdf_page_is_served_to_the_areas_readers(client, django_assert_max_num_queries):
    rc = build_return_cast()
    client.force_login(rc.cast.viewer)
    with django_assert_max_num_queries(22):  # measured 18
        response = client.get(reverse("monitoring:pdf", kwargs=rc.kwargs))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
