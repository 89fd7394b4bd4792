"""Uploads: XML entity tricks in workbooks are refused, files are stored under generated names, and
nothing is served from a path a user chooses.

Type-by-content, size limits and zip bombs are covered where they are built
(tests/plans/test_services_authoring.py, tests/plans/test_xss.py, tests/finance/test_malformed_workbooks.py);
the tests here add what those do not: entity expansion, external entities and paths.
"""

import io
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from finance import workbook
from finance.selectors import part_two_for_plan, workbook_content_hash
from finance.services import apply_workbook_import
from finance.workbook_import import WorkbookRejected
from plans.models import RelatedDocument
from tests.finance.demo_plans import build_barking_and_dagenham

pytestmark = pytest.mark.django_db

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n' for i in range(1, 10)
    )
    + "]>\n"
)
XXE = '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'


def with_doctype(data: bytes, member_suffix: str, doctype: str, entity: str) -> bytes:
    """The workbook with a DOCTYPE put in front of one XML part and the entity used in its first cell."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.endswith(member_suffix):
                text = content.decode("utf-8")
                text = text[text.index("?>") + 2 :] if text.startswith("<?xml") else text
                if "<t>" in text:
                    text = text.replace("<t>", f"<t>{entity}", 1)
                elif "<t " in text:
                    text = text.replace('<t xml:space="preserve">', f'<t xml:space="preserve">{entity}', 1)
                content = (doctype + text).encode("utf-8")
            target.writestr(info, content)
    return out.getvalue()


@pytest.fixture
def bd():
    plan, user = build_barking_and_dagenham()
    return plan, user, workbook.render_plan_workbook(plan)


def part_with_text(data: bytes) -> str:
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    return "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else "xl/worksheets/sheet1.xml"


def test_openpyxl_parses_with_defusedxml_here():
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML, "defusedxml must be installed so openpyxl refuses entity declarations"


@pytest.mark.parametrize(("doctype", "entity"), [(BILLION_LAUGHS, "&lol9;"), (XXE, "&secret;")], ids=["laughs", "xxe"])
def test_openpyxl_itself_refuses_entity_tricks(bd, doctype, entity):
    _, _, data = bd
    poisoned = with_doctype(data, part_with_text(data), doctype, entity)
    started = time.monotonic()
    with pytest.raises(Exception) as raised:
        openpyxl.load_workbook(io.BytesIO(poisoned))
    assert time.monotonic() - started < 10
    chain, error = [], raised.value
    while error is not None:
        chain.append(type(error).__name__)
        error = error.__cause__ or error.__context__
    assert any(name.endswith("Forbidden") for name in chain), chain  # defusedxml's EntitiesForbidden/DTDForbidden


@pytest.mark.parametrize(("doctype", "entity"), [(BILLION_LAUGHS, "&lol9;"), (XXE, "&secret;")], ids=["laughs", "xxe"])
@pytest.mark.parametrize("part", ["text", "xl/workbook.xml", "[Content_Types].xml"])
def test_a_workbook_with_an_entity_trick_is_refused_quickly_and_changes_nothing(bd, doctype, entity, part):
    plan, user, data = bd
    member = part_with_text(data) if part == "text" else part
    poisoned = with_doctype(data, member, doctype, entity)
    before = workbook_content_hash(part_two_for_plan(plan))
    started = time.monotonic()
    with pytest.raises(WorkbookRejected) as rejected:
        apply_workbook_import(user=user, plan=plan, data=poisoned)
    assert time.monotonic() - started < 10, "entity expansion was attempted"
    messages = " ".join(e.message for e in rejected.value.errors)
    assert "root:" not in messages  # /etc/passwd never reaches the user
    assert workbook_content_hash(part_two_for_plan(plan)) == before


# --- Stored names and serving ---------------------------------------------------------------


def test_media_files_are_not_served_at_a_url(client, settings, bd):
    plan, user, _ = bd
    client.force_login(user)
    assert client.get(f"{settings.MEDIA_URL}exports/anything.xlsx").status_code == 404
    assert client.get(f"{settings.MEDIA_URL}../bcf_portal/settings.py").status_code == 404


def test_an_upload_named_with_a_path_is_stored_under_a_generated_name_inside_media(client, settings, tmp_path, bd):
    plan, user, _ = bd
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(user)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    upload = SimpleUploadedFile("../../../../etc/cron.d/evil.pdf", pdf, content_type="application/pdf")
    url = f"/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/documents/add/"
    response = client.post(url, {"title": "Evidence", "ref": "D9", "synopsis": "", "url": "", "upload": upload})
    assert response.status_code in (200, 302)
    document = RelatedDocument.objects.get(plan=plan, title="Evidence")
    stored = Path(document.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert "evil" not in stored.name and ".." not in document.file.name
    assert document.original_filename == "evil.pdf"

    download = client.get(f"/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/documents/{document.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "/" not in download["Content-Disposition"].split("filename", 1)[1]
    assert b"".join(download.streaming_content) == pdf


def test_a_document_cannot_be_pointed_at_a_file_outside_media(client, settings, tmp_path, bd):
    plan, user, _ = bd
    settings.MEDIA_ROOT = tmp_path / "media"
    document = RelatedDocument.objects.create(plan=plan, title="Forged", ref="D8")
    # A row forged to point outside media (e.g. by a bug elsewhere) is refused by the storage.
    RelatedDocument.objects.filter(pk=document.pk).update(file="../../../../etc/passwd")
    client.force_login(user)
    response = client.get(f"/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/documents/{document.pk}/download/")
    assert response.status_code == 400  # Django's answer to SuspiciousFileOperation
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"root:" not in body
