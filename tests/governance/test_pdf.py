"""The Part 1 PDF carries every heading, answer and table row, in template order, readably."""

import functools
import html
import io
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from governance.pdf import render_plan_pdf
from plans import models as pm
from plans.markdown import render_markdown
from rounds import models as rm
from tests import factories as f

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf"

# --- Reading the PDF back --------------------------------------------------------------------


class _TextOf(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def plain(text_or_html: str) -> str:
    """Whitespace-normalised text, as a reader would see it."""
    # List bullets are drawn separately from their items, so they are no part of the words.
    text = html.unescape(text_or_html).replace("•", " ")
    text = re.sub(r"(?<=\w-)\n(?=\w)", "", text)  # a line broken after a hyphen ("NHS-\ncommissioned")
    return re.sub(r"\s+", " ", text).strip()


def markdown_texts(text: str) -> list[str]:
    """The text runs of rendered Markdown (paragraphs, list items, table cells), in order.

    Compared run by run because a table split across pages repeats its header row in between.
    """
    parser = _TextOf()
    parser.feed(str(render_markdown(text)))
    return [run for run in (plain(part) for part in parser.parts) if run]


@functools.lru_cache(maxsize=4)
def raw_pages(pdf: bytes) -> tuple[str, ...]:
    """Each page's extracted text, line breaks kept; extracted once per PDF (it is slow)."""
    return tuple(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def page_texts(pdf: bytes) -> list[str]:
    return [plain(text) for text in raw_pages(pdf)]


def body_text(pdf: bytes, plan: pm.Plan) -> str:
    """The pages after the cover, without the running header, footer and watermark, as one text."""
    pages = page_texts(pdf)
    total = len(pages)
    cleaned = []
    for number, text in enumerate(pages, start=1):
        text = text.replace(f"Page {number} of {total}", " ")
        text = re.sub(r"\bDRAFT\b", " ", text)
        for running in (
            f"{plan.hwb_area.name} Better Care Fund plan",
            plan.round.name,
            f"Version {plan.version}, {plan.get_status_display().lower()}",
        ):
            text = text.replace(running, " ", 1)
        cleaned.append(text)
    return plain(" ".join(cleaned))


def assert_in_order(text: str, expected: list[str]):
    position = 0
    for item in expected:
        found = text.find(item, position)
        assert found >= 0, f"{item!r} not found after position {position}: …{text[position : position + 300]}…"
        position = found + len(item)


@pytest.fixture
def plan(db):
    return f.PlanWithContentFactory()


@pytest.fixture
def pdf(plan):
    return render_plan_pdf(plan)


# --- Tests -----------------------------------------------------------------------------------


def test_pdf_has_every_section_heading_and_answer_in_template_order(plan, pdf):
    text = body_text(pdf, plan)
    contents_end = text.find("Risks") + len("Risks")  # the last contents entry
    expected = []
    group = None
    for section in rm.Section.objects.filter(round=plan.round).order_by("order"):
        if section.group_heading and section.group_heading != group:
            group = section.group_heading
            expected.append(group)
        expected.append(section.title)
        for question in section.questions.order_by("order"):
            if question.label.lower() != section.heading.lower():  # else the heading says it
                expected.append(question.label)
            answer = pm.Answer.objects.filter(plan=plan, question=question).first()
            if answer is None:
                expected.append("Not answered")
            elif question.kind == "narrative":
                expected += markdown_texts(answer.text)
            elif question.kind == "text":
                expected.append(answer.text)
            elif question.kind == "date":
                expected.append(f"{answer.date:%-d %B %Y}")
            elif question.kind == "money":
                expected.append(f"£{answer.money:,.2f}")
        if section.national_condition_id:
            for cq in section.national_condition.questions.order_by("order"):
                response = cq.responses.get(plan=plan)
                expected += [cq.prompt, response.get_status_display(), *markdown_texts(response.narrative)]
    assert_in_order(text[contents_end:], expected)


def test_pdf_has_every_table_row(plan, pdf):
    text = body_text(pdf, plan)
    assert_in_order(
        text,
        [
            "Signed on behalf of the Clinical Commissioning Group",
            "Northern, Eastern and Western Devon CCG",
            "Paul O'Sullivan",
            "Managing Director Partnerships",
            "3 Feb 2014",
            "Signed on behalf of the Council",
            "Plymouth City Council",
            "Carole Burgoyne",
            "Strategic Director for People",
            "Signed on behalf of the Health and Wellbeing Board",
            "Not signed",
        ],
    )
    for document in plan.documents.all():
        assert_in_order(text, [document.ref, document.title, document.synopsis, document.url])
    for scheme in plan.schemes.all():
        assert_in_order(
            text,
            [
                scheme.reference,
                scheme.name,
                scheme.scheme_type.label,
                scheme.area_of_spend.label,
                scheme.lead_commissioner.label,
            ],
        )
    for risk in plan.risks.all():
        assert_in_order(text, [risk.description, risk.rating.label, risk.mitigating_actions])
    assert_in_order(
        text,
        [
            "Summary of Part 2: schemes, finance and metrics",
            "CCG minimum contribution",
            "£5,000,000.00",
            "£18,000,000.00",
            "£23,000,000.00",
            "Disabled Facilities Grant",
            "Total income",
            "£5,700,000.00",
            "£19,532,000.00",
            "£25,232,000.00",
            "S1 Integrated community reablement",
            "£13,000,000.00",
            "S2 Risk stratification and care co-ordination",
            "Total expenditure",
            "£25,232,000.00",
            "Integrated care planning",  # by-type rows follow the code list's order, then label
            "Reablement",
        ],
    )


def test_unanswered_questions_say_not_answered_rather_than_vanishing(plan, pdf):
    text = body_text(pdf, plan)
    assert_in_order(text, ["Boundary Differences", "Not answered", "Date agreed at Health and Well-Being Board"])
    assert_in_order(text, ["Patient, service user and public engagement", "Not answered", "e) Related documentation"])


def contents_entries(pdf: bytes) -> tuple[int, list[tuple[str, int]]]:
    """(index of the contents page, [(entry title, printed page number)]) read from the contents page(s)."""
    entries: list[tuple[str, int]] = []
    first = None
    for index, page in enumerate(raw_pages(pdf)):
        lines = page.splitlines()
        if first is None and "Contents" not in lines[:3]:
            continue
        if first is not None and not any(re.search(r"\.{3,}\s*\d+\s*$", line) for line in lines):
            break
        first = index if first is None else first
        pending = ""  # a long title wraps; its first line has no leader
        for line in lines:
            match = re.match(r"^(.+?)\s*\.{3,}\s*(\d+)\s*$", line)
            if match:
                entries.append((plain(f"{pending} {match[1]}"), int(match[2])))
                pending = ""
            elif line.strip() not in ("Contents", "DRAFT"):
                pending = f"{pending} {line}"  # the running header and footer come last, and are dropped
        last = index
    assert first is not None, "No contents page"
    return last, entries


def page_starting_a_line_with(pdf: bytes, title: str, after: int) -> int:
    """The first page (numbered from 1) after `after` with a line that is exactly the title (a heading)."""
    pattern = re.compile(r"(^|\n)\s*" + r"\s+".join(re.escape(word) for word in title.split()) + r"\s*(\n|$)")
    for index, page in enumerate(raw_pages(pdf)):
        if index > after and pattern.search(page):
            return index + 1
    raise AssertionError(f"{title!r} is not a heading on any page")


def expected_contents(plan: pm.Plan, part2_titles: list[str]) -> list[str]:
    titles: list[str] = []
    for section in rm.Section.objects.filter(round=plan.round, part=1).order_by("order"):
        if section.group_heading and section.group_heading not in titles:
            titles.append(section.group_heading)
        titles.append(section.title)
    return [*titles, "Summary of Part 2: schemes, finance and metrics", *part2_titles]


def assert_contents_page_numbers_match(pdf: bytes, expected_titles: list[str]):
    """The contents lists every heading, and each printed number is the page where that heading is."""
    contents_end, entries = contents_entries(pdf)
    assert [title for title, _ in entries] == expected_titles
    for title, printed in entries:
        assert page_starting_a_line_with(pdf, title, after=contents_end) == printed, title
    # The bookmarks land on the same pages.
    bookmarks = dict(outline_pages(pdf))
    for title, printed in entries:
        assert bookmarks[title] == printed, title
    return entries


def outline_pages(pdf: bytes) -> list[tuple[str, int]]:
    reader = PdfReader(io.BytesIO(pdf))

    def walk(items):
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                yield item.title, reader.get_destination_page_number(item) + 1

    return list(walk(reader.outline))


def test_contents_page_numbers_match_the_pages_where_sections_begin(db):
    # Long answers push sections onto later pages, so the numbers are worth checking.
    plan = f.PlanWithContentFactory(part_one__long_answers=True)
    pdf = render_plan_pdf(plan)
    entries = assert_contents_page_numbers_match(
        pdf, expected_contents(plan, ["Income to the pooled budget", "Planned expenditure"])
    )
    assert len({number for _, number in entries}) > 3, "the long plan should spread over several pages"


def test_headings_are_pdf_bookmarks_in_template_order(plan, pdf):
    titles = [title for title, _ in outline_pages(pdf)]
    assert titles[:2] == ["Cover", "Contents"]
    assert titles[2:7] == [
        "1) PLAN DETAILS",
        "a) Summary of Plan",
        "b) Authorisation and signoff",
        "c) Service provider engagement",
        "d) Patient, service user and public engagement",
    ]
    assert titles[-3:] == [
        "Summary of Part 2: schemes, finance and metrics",
        "Income to the pooled budget",
        "Planned expenditure",
    ]
    # Headings typed inside answers ("Who took part") are not part of the document outline.
    assert "Who took part" not in titles


def test_draft_plan_has_the_draft_mark_on_every_page(plan, pdf):
    pages = page_texts(pdf)
    assert len(pages) > 4
    for number, text in enumerate(pages, start=1):
        assert re.search(r"\bDRAFT\b", text), f"page {number} has no DRAFT mark"


@pytest.mark.parametrize("status", sorted(pm.Plan.Status.values[3:]))
def test_submitted_plan_has_no_draft_mark(db, status):
    plan = f.PlanWithContentFactory(status=status)
    pdf = render_plan_pdf(plan)
    pages = page_texts(pdf)
    if status == pm.Plan.Status.SUBMITTED:  # kept to compare with a draft's pages
        (ARTIFACTS / "factory").mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "factory" / "submitted.pdf").write_bytes(pdf)
    for number, text in enumerate(pages, start=1):
        assert "DRAFT" not in text, f"page {number} of a {status} plan says DRAFT"
    assert plan.get_status_display() in pages[0]


def test_cover_shows_area_round_version_status_and_date(plan, pdf):
    cover = page_texts(pdf)[0]
    for fact in ["Plymouth", "E06000026", "Better Care Fund 2014/15 to 2015/16", "Version 1", "Draft", "Part 1"]:
        assert fact in cover
    assert re.search(
        r"\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}", cover
    )


def test_running_header_and_footer_on_every_page_after_the_cover(plan, pdf):
    pages = page_texts(pdf)
    for number, text in enumerate(pages[1:], start=2):
        assert "Plymouth Better Care Fund plan" in text
        assert "Better Care Fund 2014/15 to 2015/16" in text
        assert "Version 1, draft" in text
        assert f"Page {number} of {len(pages)}" in text


def test_pdf_is_tagged_pdf_ua_with_title_language_and_embedded_fonts(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == "Plymouth Better Care Fund plan, Part 1: Better Care Fund 2014/15 to 2015/16"
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfuaid:part="1"' in xmp

    font_names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), f"{font['/BaseFont']} not embedded"
            font_names.add(str(font["/BaseFont"]).split("+")[-1])
    assert font_names and all(name.startswith("Liberation") for name in font_names), font_names


def test_page_images_of_the_factory_plan_are_saved_for_inspection(plan, pdf):
    out = ARTIFACTS / "factory"
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(out / "plan.pdf"), str(out / "page")], check=True)
    assert list(out.glob("page-*.png"))


def structure_roles(pdf: bytes) -> list[str]:
    """The roles in the PDF's structure tree (what a screen reader navigates), depth first."""
    roles: list[str] = []

    def walk(node):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            if "/S" in node:
                roles.append(str(node["/S"]))
            if "/K" in node:
                walk(node["/K"])
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/StructTreeRoot"])
    return roles


def test_structure_tree_has_one_title_then_headings_tables_and_lists(pdf):
    roles = structure_roles(pdf)
    assert roles.count("/H1") == 1  # the document title on the cover
    headings = [role for role in roles if re.fullmatch(r"/H\d", role)]
    assert headings[:3] == ["/H1", "/H2", "/H2"]  # title, contents, first group
    assert headings.count("/H3") == rm.Section.objects.count() + 2  # every section, and the Part 2 summary's two
    for role in ["/Table", "/THead", "/TH", "/TD", "/L", "/LI", "/Link", "/Caption"]:
        assert role in roles, role


def test_the_public_rendering_shows_sign_off_roles_and_dates_but_no_signatory(db):
    """Open data's copy (pdf_bytes(public=True)): one template, without names, positions or delegation details."""
    from governance.models import SignOff
    from governance.pdf import part1_content_hash, part1_html
    from governance.snapshots import read_plan_snapshot

    plan = f.PlanWithContentFactory()
    slot = rm.SignOffSlot.objects.filter(round=plan.round).first() or f.SignOffSlotFactory(round=plan.round)
    signatory = {
        "signatory_name": "Ottoline Brackenbury",
        "position": "Director of Lighthouses",
        "under_delegation": True,
        "delegating_body": "Board of Lighthouses",
    }
    if not SignOff.objects.filter(plan=plan, slot=slot, voided_at__isnull=True).update(**signatory):
        f.SignOffFactory(plan=plan, slot=slot, **signatory)
    snapshot = read_plan_snapshot(plan)

    signed_copy = plain(part1_html(snapshot))
    public_copy = plain(part1_html(snapshot, public=True))

    assert "Ottoline Brackenbury" in signed_copy
    for personal in ("Ottoline Brackenbury", "Director of Lighthouses", "Board of Lighthouses"):
        assert personal not in public_copy
    assert slot.title in public_copy and "Date signed" in public_copy
    assert "does not name the people who signed it off" in public_copy
    assert part1_content_hash(snapshot, public=True) != part1_content_hash(snapshot)


def test_a_long_money_table_starts_under_its_heading_and_a_short_one_stays_whole(db):
    """Kept whole, a 40-row table was pushed past its heading, leaving the heading alone on a page."""
    plan = f.PlanWithContentFactory()
    year = plan.round.years.order_by("order").first()
    scheme_type = rm.CodeListEntry.objects.get(round=plan.round, list="scheme_type", code="reablement")
    for n in range(10, 50):
        scheme = f.PartTwoSchemeFactory(plan=plan, reference=f"S{n}", name=f"Long scheme {n}", scheme_type=scheme_type)
        f.ExpenditureAmountFactory(line=f.ExpenditureLineFactory(plan=plan, scheme=scheme), year=year)
    pdf = render_plan_pdf(plan)
    pages = page_texts(pdf)

    def pages_with(text: str) -> list[int]:
        return [n for n, page in enumerate(pages) if text in page]

    heading = page_starting_a_line_with(pdf, "Planned expenditure", after=2) - 1
    assert pages_with("Planned expenditure by scheme Scheme 2014/15")[0] == heading  # the 40-row table starts there
    assert pages_with("S49 Long scheme 49 £250,000.00")[0] > heading  # and runs on
    # The by-type table (two rows and a total) fits on a page, so it is kept whole.
    assert len(pages_with("Planned expenditure by scheme type")) == 1
    assert pages_with("Planned expenditure by scheme type") == pages_with("Integrated care planning £2,700,000.00")
