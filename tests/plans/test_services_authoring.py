"""Saving sections and table rows: completion rules, optimistic locking, history, uploads."""

import datetime
import hashlib
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from plans import drafts, services
from plans.editing import StaleEdit
from plans.forms import DocumentForm, check_upload
from plans.models import Answer, ConditionResponse, Plan, RelatedDocument, Risk, SectionProgress, UnsavedDraft
from tests.plans.authoring import build_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def a():
    return build_round()


def _answers(loaded: int = 0, **values):
    """Question key → the new value, each with the answer's version the user loaded."""
    return {key: services.AnswerEdit(value, loaded) for key, value in values.items()}


def _status(a, key):
    progress = SectionProgress.objects.filter(plan=a.plan, section=a.sections[key]).first()
    return progress.status if progress else "not_started"


def test_saving_a_section_stores_answers_and_marks_it_in_progress(a):
    s1a = a.sections["1a"]
    services.save_section(
        user=a.commissioner,
        plan=a.plan,
        section=s1a,
        answers=_answers(local_authority="Torbay Council", total_pool=Decimal("12500000.00")),
    )
    assert Answer.objects.get(plan=a.plan, question__key="local_authority").text == "Torbay Council"
    assert Answer.objects.get(plan=a.plan, question__key="total_pool").money == Decimal("12500000.00")
    assert _status(a, "1a") == "in_progress"


def test_completing_needs_every_required_answer(a):
    s1a = a.sections["1a"]
    with pytest.raises(ValidationError):
        services.save_section(
            user=a.commissioner,
            plan=a.plan,
            section=s1a,
            answers=_answers(local_authority="Torbay Council"),
            complete=True,
        )
    # Nothing half-saved when completion is refused.
    assert not Answer.objects.filter(plan=a.plan).exists()
    services.save_section(
        user=a.commissioner,
        plan=a.plan,
        section=s1a,
        answers=_answers(
            s1a,
            local_authority="Torbay Council",
            date_agreed=datetime.date(2014, 3, 27),
            total_pool=Decimal("1.00"),
            boundary="",
        ),
        complete=True,
    )
    assert _status(a, "1a") == "completed"


def test_a_save_over_a_newer_save_is_refused_and_keeps_both_texts(a):
    s1c = a.sections["1c"]
    qid = s1c.questions.get().pk
    services.save_section(
        user=a.commissioner,
        plan=a.plan,
        section=s1c,
        answers={"provider_engagement": services.AnswerEdit("First draft")},
    )
    # Both load version 1; the colleague saves first.
    services.save_section(
        user=a.colleague,
        plan=a.plan,
        section=s1c,
        answers={"provider_engagement": services.AnswerEdit("Colleague's text", 1)},
    )
    with pytest.raises(StaleEdit) as stale:
        services.save_section(
            user=a.commissioner,
            plan=a.plan,
            section=s1c,
            answers={"provider_engagement": services.AnswerEdit("My own text", 1)},
        )
    [conflict] = stale.value.conflicts
    assert (conflict.key, conflict.attribute) == ("provider_engagement", "text")
    assert conflict.theirs == "Colleague's text"
    assert conflict.yours == "My own text"
    assert conflict.by == "Sam Colleague"
    answer = Answer.objects.get(plan=a.plan, question_id=qid)
    assert (answer.text, answer.version) == ("Colleague's text", 2)


def test_an_untouched_field_does_not_conflict_with_a_colleagues_change(a):
    s1a = a.sections["1a"]
    services.save_section(
        user=a.commissioner,
        plan=a.plan,
        section=s1a,
        answers=_answers(local_authority="Torbay", boundary="None"),
    )
    services.save_section(
        user=a.colleague,
        plan=a.plan,
        section=s1a,
        answers=_answers(loaded=1, local_authority="Torbay Council", boundary="None"),
    )
    # This user changed only the boundary; their stale local authority must not overwrite or conflict.
    services.save_section(
        user=a.commissioner,
        plan=a.plan,
        section=s1a,
        answers=_answers(loaded=1, local_authority="Torbay", boundary="Coterminous"),
    )
    values = dict(Answer.objects.filter(plan=a.plan).values_list("question__key", "text"))
    assert values["local_authority"] == "Torbay Council"
    assert values["boundary"] == "Coterminous"


def test_every_save_is_recorded_in_history_with_who(a):
    s1c = a.sections["1c"]
    qid = s1c.questions.get().pk
    services.save_section(
        user=a.commissioner, plan=a.plan, section=s1c, answers={"provider_engagement": services.AnswerEdit("One")}
    )
    services.save_section(
        user=a.colleague,
        plan=a.plan,
        section=s1c,
        answers={"provider_engagement": services.AnswerEdit("One two", 1)},
    )
    answer = Answer.objects.get(plan=a.plan, question_id=qid)
    history = list(answer.history.order_by("history_date"))
    assert [h.text for h in history] == ["One", "One two"]
    assert [h.version for h in history] == [1, 2]
    assert history[1].updated_by == a.colleague


def test_condition_in_progress_keeps_target_date_and_conflicts_per_field(a):
    s2c = a.sections["2c"]
    cq1, cq2 = s2c.national_condition.questions.order_by("order")
    services.save_section(
        user=a.commissioner,
        plan=a.plan,
        section=s2c,
        answers={},
        conditions={
            cq1.pk: services.ConditionEdit(
                status="in_progress", target_date=datetime.date(2015, 3, 31), narrative="Rolling out"
            ),
            cq2.pk: services.ConditionEdit(status="yes", target_date=None, narrative="Done"),
        },
        complete=True,
    )
    response = ConditionResponse.objects.get(plan=a.plan, question=cq1)
    assert response.target_date == datetime.date(2015, 3, 31)
    assert _status(a, "2c") == "completed"
    services.save_section(
        user=a.colleague,
        plan=a.plan,
        section=s2c,
        answers={},
        conditions={
            cq1.pk: services.ConditionEdit(
                status="in_progress", target_date=datetime.date(2015, 3, 31), narrative="Theirs", version=1
            )
        },
    )
    with pytest.raises(StaleEdit) as stale:
        services.save_section(
            user=a.commissioner,
            plan=a.plan,
            section=s2c,
            answers={},
            conditions={cq1.pk: services.ConditionEdit(status="yes", narrative="Mine", version=1)},
        )
    assert [(c.key, c.attribute) for c in stale.value.conflicts] == [(str(cq1.pk), "narrative")]


def test_only_commissioners_of_a_draft_plan_may_save(a):
    s1c = a.sections["1c"]
    for user in (a.viewer, a.outsider):
        with pytest.raises(PermissionDenied):
            services.save_section(
                user=user, plan=a.plan, section=s1c, answers={"provider_engagement": services.AnswerEdit("x")}
            )
    Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.SUBMITTED)
    with pytest.raises(PermissionDenied):
        services.save_section(
            user=a.commissioner, plan=a.plan, section=s1c, answers={"provider_engagement": services.AnswerEdit("x")}
        )


def test_a_successful_save_discards_the_unsaved_draft(a):
    s1c = a.sections["1c"]
    drafts.save_draft(user=a.commissioner, plan=a.plan, form_key="section:1c", data={"q_provider_engagement": "typing"})
    services.save_section(
        user=a.commissioner,
        plan=a.plan,
        section=s1c,
        answers={"provider_engagement": services.AnswerEdit("Saved")},
    )
    assert not UnsavedDraft.objects.filter(plan=a.plan, form_key="section:1c").exists()


def _risk_values(a, **overrides):
    values = {
        "description": "Savings in acute activity are not realised",
        "rating_id": a.codes["risk_high"].pk,
        "mitigating_actions": "Monthly monitoring",
        "owner": "Director of Finance",
        "values": {"concerns_nhs_providers": True},
    }
    values.update(overrides)
    return values


def test_risk_rows_are_versioned_and_conflicts_keep_both(a):
    risk = services.save_risk(user=a.commissioner, plan=a.plan, risk_id=None, values=_risk_values(a), version=0)
    assert _status(a, "3") == "in_progress"
    services.save_risk(
        user=a.colleague, plan=a.plan, risk_id=risk.pk, values=_risk_values(a, owner="Chief Executive"), version=1
    )
    with pytest.raises(StaleEdit) as clash:
        services.save_risk(
            user=a.commissioner, plan=a.plan, risk_id=risk.pk, values=_risk_values(a, owner="Finance lead"), version=1
        )
    conflicts = clash.value.conflicts
    assert [(c.attribute, c.theirs, c.yours) for c in conflicts] == [("owner", "Chief Executive", "Finance lead")]
    # A change to a different field merges cleanly.
    services.save_risk(
        user=a.commissioner,
        plan=a.plan,
        risk_id=risk.pk,
        values=_risk_values(a, rating_id=a.codes["risk_medium"].pk),
        version=1,
    )
    risk.refresh_from_db()
    assert (risk.owner, risk.rating_id, risk.version) == ("Chief Executive", a.codes["risk_medium"].pk, 3)
    assert risk.history.count() == 3


def test_a_risk_rating_must_come_from_the_rounds_scale(a):
    other = a.codes["type_carers"]
    with pytest.raises(ValidationError):
        services.save_risk(
            user=a.commissioner, plan=a.plan, risk_id=None, values=_risk_values(a, rating_id=other.pk), version=0
        )


def test_removing_a_row_changed_since_it_was_shown_is_refused(a):
    risk = services.save_risk(user=a.commissioner, plan=a.plan, risk_id=None, values=_risk_values(a), version=0)
    services.save_risk(user=a.colleague, plan=a.plan, risk_id=risk.pk, values=_risk_values(a, owner="X"), version=1)
    with pytest.raises(StaleEdit):
        services.remove_row(user=a.commissioner, plan=a.plan, model=Risk, row_id=risk.pk, version=1, table="risks")
    assert Risk.objects.filter(pk=risk.pk).exists()
    services.remove_row(user=a.commissioner, plan=a.plan, model=Risk, row_id=risk.pk, version=2, table="risks")
    assert not Risk.objects.filter(pk=risk.pk).exists()


# --- Uploads ---------------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_uploads_are_checked_by_content_not_name():
    assert check_upload(SimpleUploadedFile("plan.pdf", PDF_BYTES)) == "pdf"
    assert check_upload(SimpleUploadedFile("anything.bin", _docx_bytes())) == "docx"
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    for name, content in [
        ("report.pdf", exe),
        ("report.pdf", b"<html><script>alert(1)</script></html>"),
        ("report.docx", b"PK\x03\x04" + b"\x00" * 100),
    ]:
        with pytest.raises(ValidationError):
            check_upload(SimpleUploadedFile(name, content))


def test_a_zip_that_is_not_a_word_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/evil.html", "<script/>")
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("x.docx", buffer.getvalue()))


def test_oversized_uploads_are_refused(settings):
    settings.MAX_UPLOAD_SIZE = 1024
    with pytest.raises(ValidationError, match="smaller than"):
        check_upload(SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * 2048))


def test_an_uploaded_file_is_stored_under_a_generated_name(a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    form = DocumentForm(
        {"title": "Joint health and wellbeing strategy", "version": "0"},
        {"upload": SimpleUploadedFile("../../etc/passwd <script>.pdf", PDF_BYTES)},
        round=a.round,
    )
    assert form.is_valid(), form.errors
    result = services.save_document(
        user=a.commissioner,
        plan=a.plan,
        document_id=None,
        values=form.values(),
        version=0,
        upload=form.cleaned_data["upload"],
        upload_kind=form.upload_kind,
    )
    document = RelatedDocument.objects.get(pk=result.pk)
    assert document.original_filename == "passwd <script>.pdf"
    stored = document.file.name.rsplit("/", 1)[-1]
    assert stored == f"{hashlib.sha256(PDF_BYTES).hexdigest()}.pdf"  # named by its content
    assert document.file.read() == PDF_BYTES


def test_replacing_or_removing_an_uploaded_file_keeps_the_old_one(
    a, settings, tmp_path, django_capture_on_commit_callbacks
):
    """A submission's snapshot may name the old file: it is never deleted (see test_submission_immutable.py)."""
    settings.MEDIA_ROOT = tmp_path

    def upload(document_id, version, data):
        form = DocumentForm(
            {"title": "Strategy", "version": str(version)},
            {"upload": SimpleUploadedFile("s.pdf", data)},
            round=a.round,
        )
        assert form.is_valid(), form.errors
        return services.save_document(
            user=a.commissioner,
            plan=a.plan,
            document_id=document_id,
            values=form.values(),
            version=version,
            upload=form.cleaned_data["upload"],
            upload_kind=form.upload_kind,
        )

    first = upload(None, 0, PDF_BYTES)
    old_path = tmp_path / first.file.name
    with django_capture_on_commit_callbacks(execute=True):
        second = upload(first.pk, 1, PDF_BYTES + b"% revised\n")
    new_path = tmp_path / RelatedDocument.objects.get(pk=second.pk).file.name
    assert new_path != old_path and new_path.exists()
    assert old_path.read_bytes() == PDF_BYTES
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_row(
            user=a.commissioner, plan=a.plan, model=RelatedDocument, row_id=second.pk, version=None, table="documents"
        )
    assert old_path.exists() and new_path.exists()
