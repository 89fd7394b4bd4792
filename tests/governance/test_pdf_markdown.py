"""The Part 1 PDF's Markdown (issue 14): links never point at the server's files, numbered lists keep
their number, bracketed links are links, and hostile saved Markdown still gives a PDF.

Each test renders a real PDF with WeasyPrint and reads it back with pypdf.
"""

import io
import subprocess

import pytest
from pypdf import PdfReader

from governance.pdf import render_plan_pdf
from plans import models as pm
from tests import factories as f
from tests.governance.test_pdf import ARTIFACTS, body_text, structure_roles
from tests.governance.test_pdf_xss import walk_objects
from tests.plans.test_markdown import (
    BRACKETS_20K,
    ISSUE_NESTED_LISTS_300,
    LIST_INTERRUPTED_BY_A_PARAGRAPH,
    NESTED_LISTS_300,
)

UNSAFE_LINKS = (
    "Read [the password file](/etc/passwd), [the share](//evil.example/share/x.pdf),"
    " [the stylesheet](part1.css), [the templates](../../templates/pdf/part1.html) and [nothing]()."
)


def set_answer(plan: pm.Plan, text: str) -> None:
    # Changed in place (update), so the plan keeps the sign-offs the PDF shows.
    pm.Answer.objects.filter(plan=plan, question__key="vision").update(text=text)


def link_uris(pdf: bytes) -> list[str]:
    return [str(obj["/URI"]) for obj in walk_objects(PdfReader(io.BytesIO(pdf))) if "/URI" in obj]


@pytest.fixture
def plan(db):
    return f.PlanWithContentFactory()


def test_pdf_links_never_point_at_server_files(plan):
    set_answer(plan, UNSAFE_LINKS + "\n\nSee [NHS England](https://www.england.nhs.uk).")
    pdf = render_plan_pdf(plan)
    uris = link_uris(pdf)
    assert "https://www.england.nhs.uk" in uris
    for uri in uris:
        assert uri.startswith(("https://", "http://", "mailto:")), uri
        assert "evil.example" not in uri and "passwd" not in uri
    text = body_text(pdf, plan)
    for words in ("the password file", "the share", "the stylesheet", "the templates", "nothing"):
        assert words in text  # shown as text


def test_pdf_has_no_base_url_for_a_relative_link_to_resolve_against(plan, monkeypatch):
    """Even a relative link that reached WeasyPrint some other way could not become a file:// link."""
    from governance import pdf as part1

    html = part1.render_part1_html(plan).replace("</body>", '<p><a href="/etc/passwd">relative</a></p></body>', 1)
    assert 'href="/etc/passwd"' in html
    monkeypatch.setattr(part1, "render_part1_html", lambda _plan: html)
    uris = link_uris(part1.render_plan_pdf(plan))
    assert any("passwd" in uri for uri in uris)
    assert not any(uri.startswith("file:") for uri in uris), uris


def test_numbered_list_starting_at_2_shows_2_in_the_pdf(plan):
    set_answer(plan, LIST_INTERRUPTED_BY_A_PARAGRAPH)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "numbered-list-start.pdf"
    path.write_bytes(render_plan_pdf(plan))
    subprocess.run(["pdftoppm", "-png", "-r", "60", path, ARTIFACTS / "numbered-list-start"], check=True)
    # pypdf leaves out list markers (they are artifacts, not content); poppler draws the page as printed.
    lines = [
        line.strip()
        for line in subprocess.run(
            ["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
    ]
    assert "1. Agree the pooled budget" in lines
    assert "2. Sign the section 75 agreement" in lines


def test_bracketed_link_is_a_link_in_the_pdf(plan):
    set_answer(plan, "Guidance is at <https://www.england.nhs.uk/bcf>.")
    pdf = render_plan_pdf(plan)
    assert "https://www.england.nhs.uk/bcf" in link_uris(pdf)
    text = body_text(pdf, plan)
    assert "Guidance is at https://www.england.nhs.uk/bcf." in text
    assert "<https://" not in text


def test_pdf_of_a_plan_with_hostile_saved_markdown_is_still_made(plan):
    set_answer(plan, NESTED_LISTS_300)
    plan.condition_responses.update(narrative=BRACKETS_20K)
    plan.risks.update(mitigating_actions=ISSUE_NESTED_LISTS_300)
    pdf = render_plan_pdf(plan)
    text = body_text(pdf, plan)
    assert "Shown as plain text: its lists or quotes are nested more than 10 levels deep." in text
    assert "Shown as plain text: it is longer than 100,000 characters." in text
    assert text.count("- level 299") >= 2
    assert "[[[[[[[[[[" in text


def test_headings_after_a_table_in_an_answer_stay_below_the_templates_headings(plan):
    """A Markdown table is wrapped in a div of its own; the heading after it is still the answer's."""
    set_answer(
        plan,
        "# Before the table\n\n| Service | Beds |\n| --- | --- |\n| Reablement | 12 |\n\n# After the table\n\nText.",
    )
    pdf = render_plan_pdf(plan)
    roles = structure_roles(pdf)
    assert roles.count("/H1") == 1  # the document title only
    assert "After the table" in body_text(pdf, plan)
