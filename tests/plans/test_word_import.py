"""Importing a Word plan: conversion, matching to the round's sections, hostile files, and the pages."""

import functools
import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Membership
from plans import services
from plans.models import Answer, Plan, RelatedDocument, Risk, WordImport
from plans.word_import import (
    Block,
    SectionTarget,
    WordRejected,
    check_docx,
    convert,
    html_to_blocks,
    split_into_pieces,
)
from rounds.models import PlanningRound, Question
from tests.factories import HwbAreaFactory, MembershipFactory, PlanFactory, WordImportFactory
from tests.plans.word_documents import APPROACH, RISK_ROWS, UNPLACED, national_template_2025, part, rewritten

# --- Conversion (no database) ---------------------------------------------------------------


def test_numbered_lists_keep_their_numbering_and_a_list_starting_at_2_stays_2():
    blocks = html_to_blocks('<ol><li>One</li><li>Two</li></ol><ol start="2"><li>Later</li></ol><p>2. Typed</p>')
    assert [b.text for b in blocks] == ["1. One\n2. Two", "2. Later", "2. Typed"]


def test_nested_lists_bold_and_links_become_markdown():
    blocks = html_to_blocks(
        '<ul><li>Outer<ol><li>Inner</li></ol></li></ul><p><strong>Bold</strong> and <a href="https://x.org/a">a link</a>'
        ' and <a href="file:///etc/passwd">not a link</a></p>'
    )
    assert blocks[0].text == "- Outer\n  1. Inner"
    assert blocks[1].text == "**Bold** and [a link](https://x.org/a) and not a link"


def test_markdown_typed_into_a_paragraph_stays_text():
    [block] = html_to_blocks("<p># not a heading * and &lt;script&gt;</p>")
    assert block.text == "\\# not a heading \\* and \\<script\\>"


def test_a_table_becomes_a_markdown_table():
    [block] = html_to_blocks(
        "<table><tr><td><p>A</p></td><td><p>B|C</p></td></tr><tr><td>1</td><td>2</td></tr></table>"
    )
    assert block.rows == [["A", "B|C"], ["1", "2"]]
    assert block.markdown() == "| A | B\\|C |\n| --- | --- |\n| 1 | 2 |"


SECTIONS = [
    SectionTarget(
        key="1a", heading="Plan details", number="a)", group_heading="1) PLAN DETAILS", questions=(("11", "Summary"),)
    ),
    SectionTarget(
        key="vision-b", heading="Integration", number="b)", group_heading="Vision", questions=(("12", "Integration"),)
    ),
    SectionTarget(key="approach", heading="Overall approach", questions=(("13", "Overall approach"),)),
    SectionTarget(key="risks", heading="Risks and mitigations", table="risks"),
]


def _pieces(blocks):
    return split_into_pieces(blocks, SECTIONS, lambda table, rows: ([{"cells": r} for r in rows[1:]], []))


def test_headings_match_by_text_key_and_numbering_within_their_group():
    blocks = [
        Block("heading", text="1) Plan details", level=1),
        Block("heading", text="a) Plan details", level=2),
        Block("text", text="Summary text"),
        Block("heading", text="Vision b)", level=2),
        Block("text", text="Integration text"),
        Block("heading", text="Our overall approach to integration", level=2),
        Block("text", text="Approach text"),
        Block("heading", text="Sub heading", level=3),
        Block("text", text="More approach"),
        Block("heading", text="Something else", level=2),
        Block("text", text="First stray"),
        Block("text", text="Second stray"),
        Block("heading", text="Risks and mitigations", level=2),
        Block("table", rows=[["Risk"], ["A risk"]]),
    ]
    pieces = _pieces(blocks)
    assert [(p["target"], p["markdown"]) for p in pieces[:3]] == [
        ("11", "Summary text"),
        ("12", "Integration text"),
        ("13", "Approach text\n\n##### Sub heading\n\nMore approach"),
    ]
    assert [(p["target"], p["markdown"]) for p in pieces[3:5]] == [("", "First stray"), ("", "Second stray")]
    assert pieces[5]["kind"] == "rows" and pieces[5]["rows"] == [{"cells": ["A risk"]}]


# --- Hostile files ----------------------------------------------------------------------------

CONTENT_TYPES = "[Content_Types].xml"
DOCUMENT_RELS = "word/_rels/document.xml.rels"


def _with_relationship(data: bytes, rel: str, part_name: str = DOCUMENT_RELS) -> bytes:
    rels = part(data, part_name).replace(b"</Relationships>", rel.encode() + b"</Relationships>")
    return rewritten(data, replace={part_name: rels})


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@functools.cache
def _hostile():
    good = national_template_2025()
    macro_types = part(good, CONTENT_TYPES).replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    external = 'TargetMode="External"'
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 200
    return {
        "docm content type": (rewritten(good, replace={CONTENT_TYPES: macro_types}), "macros"),
        "vbaProject.bin": (rewritten(good, add={"word/vbaProject.bin": b"\0" * 100}), "macros"),
        "remote image": (
            _with_relationship(
                good,
                f'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
                f'Target="http://evil.example/track.png" {external}/>',
            ),
            "will not fetch",
        ),
        "linked OLE object": (
            _with_relationship(
                good,
                f'<Relationship Id="rId98" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject" '
                f'Target="\\\\server\\share\\x.xls" {external}/>',
            ),
            "will not fetch",
        ),
        "huge embedded media": (
            rewritten(good, add={"word/media/image1.png": png + os.urandom(6 * 1024 * 1024)}),
            "picture or object",
        ),
        "zip bomb": (rewritten(good, add={"word/media/bomb.bin": b"\0" * (30 * 1024 * 1024)}), "zip bomb"),
        "malformed document.xml": (
            rewritten(good, replace={"word/document.xml": part(good, "word/document.xml")[:-40]}),
            "not well-formed",
        ),
        "entity expansion": (
            rewritten(
                good,
                replace={"word/document.xml": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>'},
            ),
            "document type declaration",
        ),
        "renamed PNG": (png, "not a Word document"),
        "renamed PDF": (b"%PDF-1.7\n" + b"x" * 500, "not a Word document"),
        "renamed text": (b"Our BCF plan\n" * 50, "not a Word document"),
        "encrypted (OLE2)": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password-protected"),
        "too many parts": (rewritten(good, add={f"word/x{i}.xml": b"<a/>" for i in range(400)}), "parts"),
        "path outside the package": (rewritten(good, add={"../../etc/cron.d/x": b"x"}), "outside"),
        "absolute path": (rewritten(good, add={"/etc/passwd": b"x"}), "outside"),
        "zip without a document": (
            _zip({CONTENT_TYPES: b"<Types/>", "word/other.xml": b"<a/>"}),
            "not a Word document",
        ),
        "damaged zip": (good[:2000], "damaged"),
        "too many paragraphs": (
            rewritten(
                good,
                replace={
                    "word/document.xml": b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                    b"<w:body>" + b"<w:p/>" * 3001 + b"</w:body></w:document>"
                },
            ),
            "paragraphs",
        ),
        "empty": (b"", "empty"),
    }


HOSTILE_NAMES = [
    "docm content type",
    "vbaProject.bin",
    "remote image",
    "linked OLE object",
    "huge embedded media",
    "zip bomb",
    "malformed document.xml",
    "entity expansion",
    "renamed PNG",
    "renamed PDF",
    "renamed text",
    "encrypted (OLE2)",
    "too many parts",
    "path outside the package",
    "absolute path",
    "zip without a document",
    "too many paragraphs",
    "damaged zip",
    "empty",
]


@functools.cache
def hostile(name: str) -> tuple[bytes, str]:
    """One hostile file (built when a test first asks for it) and words its refusal must contain."""
    return _hostile()[name]


def test_every_hostile_file_is_tested():
    assert sorted(HOSTILE_NAMES) == sorted(_hostile())


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_file_is_refused_with_a_clear_message(name):
    data, words = hostile(name)
    with pytest.raises(WordRejected) as refused:
        check_docx(data)
    assert words in refused.value.message


def test_an_attached_template_on_another_computer_is_ignored_with_a_note():
    good = national_template_2025()
    rel = (
        '<Relationship Id="rId97" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
        'Target="file:///C:/Users/x/Normal.dotm" TargetMode="External"/>'
    )
    settings_rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{rel}</Relationships>"
    ).encode()
    blocks, notes = convert(rewritten(good, add={"word/_rels/settings.xml.rels": settings_rels}))
    assert any("template on another computer" in note for note in notes)
    assert any(b.text == APPROACH for b in blocks)


def test_pictures_are_left_out_and_never_opened():
    html_blocks = html_to_blocks('<p>Before <img src="http://evil.example/x.png" alt="chart"> after</p>')
    assert html_blocks[0].text == "Before after"


# --- Services and pages -----------------------------------------------------------------------


@pytest.fixture
def plan(db):
    call_command("load_round", "2025-26", verbosity=0)
    return PlanFactory(round=PlanningRound.objects.get(slug="2025-26"), hwb_area=HwbAreaFactory(name="Wordshire"))


@pytest.fixture
def commissioner(plan):
    return MembershipFactory(hwb_area=plan.hwb_area, role=Membership.Role.COMMISSIONER).user


def _upload(data: bytes, name="plan.docx"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _url(plan: Plan, name: str, **kwargs) -> str:
    return reverse(name, kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, **kwargs})


def _question(plan, key) -> Question:
    return Question.objects.get(section__round=plan.round, key=key)


def test_the_national_template_is_split_into_its_sections_with_risks_as_rows(plan, commissioner):
    record = services.start_word_import(user=commissioner, plan=plan, upload=_upload(national_template_2025()))
    by_target = {p["target"]: p for p in record.pieces if p["target"]}
    approach = by_target[str(_question(plan, "approach").pk)]
    assert approach["markdown"] == f"{APPROACH}\n\n1. Integrated neighbourhood teams\n2. One assessment for each person"
    prevention = by_target[str(_question(plan, "prevention").pk)]
    assert "2. Falls prevention in every care home" in prevention["markdown"]
    assert [r["values"]["description"] for r in by_target["risks"]["rows"]] == [r[0] for r in RISK_ROWS]
    assert by_target["risks"]["rows"][0]["values"]["values"] == {"likelihood": 3, "impact": 4}
    assert by_target["documents"]["rows"][0]["values"]["title"] == "Joint Health and Wellbeing Strategy"
    assert [p["markdown"] for p in record.pieces if not p["target"]] == [UNPLACED]
    assert not Answer.objects.filter(plan=plan).exists() and not Risk.objects.filter(plan=plan).exists()


def test_applying_saves_answers_and_rows_in_one_edit_and_reassigns_a_piece(plan, commissioner):
    record = services.start_word_import(user=commissioner, plan=plan, upload=_upload(national_template_2025()))
    stray = next(p for p in record.pieces if not p["target"])
    carers = _question(plan, "carers")
    services.apply_word_import(
        user=commissioner,
        plan=plan,
        word_import_id=record.pk,
        placements={stray["id"]: str(carers.pk)},
        decisions={},
        seen_versions={},
    )
    answers = dict(Answer.objects.filter(plan=plan).values_list("question__key", "text"))
    assert answers["carers"] == f"Carers get a break through the respite service.\n\n{UNPLACED}"
    assert Risk.objects.filter(plan=plan).count() == 2
    assert RelatedDocument.objects.get(plan=plan).url == "https://example.org/jhws"
    record.refresh_from_db()
    assert record.status == WordImport.Status.APPLIED


def test_a_non_empty_answer_is_never_overwritten_without_a_decision(client, plan, commissioner):
    approach = _question(plan, "approach")
    Answer.objects.create(plan=plan, question=approach, text="Typed in the portal.")
    record = services.start_word_import(user=commissioner, plan=plan, upload=_upload(national_template_2025()))
    client.force_login(commissioner)
    url = _url(plan, "plans:word_import_preview", import_id=record.pk)
    page = client.get(url).content.decode()
    assert "Typed in the portal." in page and APPROACH in page
    data = {f"piece-{p['id']}": p["target"] for p in record.pieces} | {"action": "apply"}
    response = client.post(url, data)
    assert "Choose what to do with the answer" in response.content.decode()
    assert Answer.objects.get(plan=plan, question=approach).text == "Typed in the portal."
    assert not Risk.objects.filter(plan=plan).exists()
    response = client.post(url, data | {f"decision-{approach.pk}": "append", f"version-{approach.pk}": "1"})
    assert response.status_code == 302
    assert Answer.objects.get(plan=plan, question=approach).text.startswith(f"Typed in the portal.\n\n{APPROACH}")


def test_uploading_a_hostile_file_through_the_page_saves_nothing(client, plan, commissioner):
    client.force_login(commissioner)
    data, _ = hostile("vbaProject.bin")
    response = client.post(_url(plan, "plans:word_import"), {"document": _upload(data)})
    assert response.status_code == 200
    assert "The document was not imported. The document contains macros" in response.content.decode()
    assert not WordImport.objects.exists()


def test_discarding_a_preview_leaves_the_plan_unchanged(client, plan, commissioner):
    client.force_login(commissioner)
    response = client.post(_url(plan, "plans:word_import"), {"document": _upload(national_template_2025())})
    record = WordImport.objects.get()
    assert response.url == _url(plan, "plans:word_import_preview", import_id=record.pk)
    response = client.post(response.url, {"action": "discard"})
    record.refresh_from_db()
    assert record.status == WordImport.Status.DISCARDED
    assert not Answer.objects.filter(plan=plan).exists()


def test_overview_links_to_the_import_for_an_editor_only(client, plan, commissioner):
    client.force_login(commissioner)
    assert "Import from a Word document" in client.get(_url(plan, "plans:plan_overview")).content.decode()
    viewer = MembershipFactory(hwb_area=plan.hwb_area, role=Membership.Role.VIEWER).user
    client.force_login(viewer)
    assert "Import from a Word document" not in client.get(_url(plan, "plans:plan_overview")).content.decode()
    assert client.get(_url(plan, "plans:word_import")).status_code == 403


def test_another_areas_import_and_another_users_preview_are_not_found(client, plan, commissioner):
    record = WordImportFactory(
        plan=plan,
        user=commissioner,
        pieces=[{"id": 1, "kind": "text", "heading": "", "markdown": "ZQX secret", "target": ""}],
    )
    outsider = MembershipFactory(role=Membership.Role.COMMISSIONER).user
    client.force_login(outsider)
    url = _url(plan, "plans:word_import_preview", import_id=record.pk)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "discard"}).status_code == 404
    colleague = MembershipFactory(hwb_area=plan.hwb_area, role=Membership.Role.COMMISSIONER).user
    client.force_login(colleague)
    assert client.get(url).status_code == 404
    record.refresh_from_db()
    assert record.status == WordImport.Status.PREVIEW
    # The outsider's own plan does not reach this plan's import either.
    own = PlanFactory(round=plan.round, hwb_area=outsider.memberships.get().hwb_area)
    client.force_login(outsider)
    assert client.get(_url(own, "plans:word_import_preview", import_id=record.pk)).status_code == 404


def test_the_preview_page_makes_a_fixed_number_of_queries(client, plan, commissioner, django_assert_max_num_queries):
    record = services.start_word_import(user=commissioner, plan=plan, upload=_upload(national_template_2025()))
    client.force_login(commissioner)
    with django_assert_max_num_queries(25):
        assert client.get(_url(plan, "plans:word_import_preview", import_id=record.pk)).status_code == 200
