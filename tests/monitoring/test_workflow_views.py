"""The sign-off, review, PDF, submitted-file and assurance pages: who reaches them, and what they do."""

import hashlib

import pytest
from django.test import TestCase
from django.urls import reverse

from monitoring import selectors, workflow_services
from monitoring.models import Return, ReturnComment, ReturnEvent, ReturnReview, ReturnSignOff
from tests import factories as f
from tests.monitoring.conftest_sign import EXPLANATION, build_return_cast, sign_all, submit_return

pytestmark = pytest.mark.django_db
S = Return.Status
# Measured: sign-off 38 (commissioner, draft: every part's checks), review 16, assurance list 6.
SIGNOFF_QUERIES = 42
REVIEW_QUERIES = 20
LIST_QUERIES = 8


def _url(name, rc, **extra):
    return reverse(f"monitoring:{name}", kwargs={**rc.kwargs, **extra})


def _read(field) -> bytes:
    with field.storage.open(field.name, "rb") as handle:
        return handle.read()


@pytest.fixture
def rc():
    return build_return_cast()


@pytest.fixture
def submitted():
    rc = build_return_cast()
    return rc, submit_return(rc)


def test_the_commissioner_sends_the_return_for_signoff_from_the_page(client, rc, django_assert_max_num_queries):
    client.force_login(rc.commissioner)
    with django_assert_max_num_queries(SIGNOFF_QUERIES):
        page = client.get(_url("signoff", rc))
    body = page.content.decode()
    assert page.status_code == 200
    assert selectors.return_content_hash(rc.ret) in body and "Send for sign-off" in body

    response = client.post(_url("signoff", rc), {"action": "send_for_signoff"})

    assert response.status_code == 302
    assert Return.objects.get(pk=rc.ret.pk).status == S.READY_FOR_SIGNOFF


def test_a_signatory_signs_their_slot_on_the_page(client, rc, django_assert_max_num_queries):
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    chair = rc.cast.signatories["hwb"]
    client.force_login(chair)
    with django_assert_max_num_queries(SIGNOFF_QUERIES):
        body = client.get(_url("signoff", rc)).content.decode()
    assert body.count('name="action" value="sign"') == 1  # their slot only
    content_hash = selectors.return_content_hash(rc.ret)

    response = client.post(
        _url("signoff", rc),
        {
            "action": "sign",
            "slot": "hwb",
            "hwb-slot_code": "hwb",
            "hwb-content_hash": content_hash,
            "hwb-signatory_name": "Cllr Maureen Worby",
            "hwb-position": "Chair",
            "hwb-signed_on_day": str(rc.ret.created_at.day),
            "hwb-signed_on_month": str(rc.ret.created_at.month),
            "hwb-signed_on_year": str(rc.ret.created_at.year),
        },
    )

    assert response.status_code == 302
    signoff = ReturnSignOff.objects.get(ret=rc.ret, slot__code="hwb")
    assert (signoff.signed_by, signoff.content_hash) == (chair, content_hash)


def test_signing_a_return_changed_since_the_page_opened_is_refused_and_shown(client, rc):
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    seen = selectors.return_content_hash(rc.ret)
    line = rc.ret.lines.first()
    type(line).objects.filter(pk=line.pk).update(explanation="Changed while the chair was reading")
    client.force_login(rc.cast.signatories["hwb"])

    response = client.post(
        _url("signoff", rc),
        {
            "action": "sign",
            "slot": "hwb",
            "hwb-slot_code": "hwb",
            "hwb-content_hash": seen,
            "hwb-signatory_name": "Cllr Maureen Worby",
            "hwb-position": "Chair",
            "hwb-signed_on_day": str(rc.ret.created_at.day),
            "hwb-signed_on_month": str(rc.ret.created_at.month),
            "hwb-signed_on_year": str(rc.ret.created_at.year),
        },
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "The return has changed since you opened this page" in body
    assert "Changed while the chair was reading" in body
    assert selectors.return_content_hash(rc.ret) in body  # the form now carries what the page shows
    assert not ReturnSignOff.objects.filter(ret=rc.ret).exists()


def test_a_signatory_cannot_post_a_signature_for_another_slot(client, rc):
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    client.force_login(rc.cast.signatories["council"])
    response = client.post(
        _url("signoff", rc),
        {"action": "sign", "slot": "hwb", "hwb-content_hash": selectors.return_content_hash(rc.ret)},
    )
    assert response.status_code == 403
    assert not ReturnSignOff.objects.exists()


def test_the_commissioner_submits_and_the_page_offers_the_files_with_their_sha256(client, rc):
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    sign_all(rc)
    client.force_login(rc.commissioner)

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(_url("signoff", rc), {"action": "submit"})

    assert response.status_code == 302
    submission = rc.ret.submissions.get()
    body = client.get(response["Location"]).content.decode()
    assert "Version 1 of the return has been submitted." in body
    assert submission.pdf_sha256 in body and submission.workbook_sha256 in body
    pdf_url = _url("submission_file", rc, version=1, kind="pdf")
    assert pdf_url in body
    download = client.get(pdf_url)
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == submission.pdf_sha256 == download["X-Content-SHA256"]


def test_submitted_files_are_downloaded_by_the_areas_readers_and_the_assurer(client, submitted):
    rc, submission = submitted
    for user in (rc.cast.viewer, rc.cast.signatories["ccg"], rc.cast.assurer, rc.cast.national_admin):
        client.force_login(user)
        response = client.get(_url("submission_file", rc, version=1, kind="xlsx"))
        assert response.status_code == 200, user
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == submission.workbook_sha256
    assert client.get(_url("submission_file", rc, version=1, kind="json")).status_code == 404
    assert client.get(_url("submission_file", rc, version=2, kind="pdf")).status_code == 404


def test_every_view_is_404_for_a_commissioner_of_another_area(client, submitted):
    rc, _ = submitted
    client.force_login(rc.cast.foreign_commissioner)
    for url in (
        _url("signoff", rc),
        _url("pdf", rc),
        _url("review", rc),
        _url("submission_file", rc, version=1, kind="pdf"),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "submit"}).status_code in (404, 405), url


def test_every_view_is_404_for_an_assurer_of_another_region(client, submitted):
    rc, _ = submitted
    client.force_login(rc.cast.foreign_assurer)
    for url in (
        _url("signoff", rc),
        _url("pdf", rc),
        _url("review", rc),
        _url("submission_file", rc, version=1, kind="pdf"),
    ):
        assert client.get(url).status_code == 404, url
    assert rc.ret.plan.hwb_area.name not in client.get(reverse("monitoring:assurance")).content.decode()


def test_the_regions_assurer_cannot_see_a_return_before_it_is_submitted(client, rc):
    client.force_login(rc.cast.assurer)
    assert client.get(_url("signoff", rc)).status_code == 404
    assert client.get(_url("review", rc)).status_code == 404


def test_an_assurer_holding_a_role_in_the_area_cannot_review_its_return(client, submitted):
    rc, _ = submitted
    both = rc.cast.commissioner
    f.MembershipFactory(user=both, role="assurer", region=rc.ret.plan.hwb_area.region, hwb_area=None)
    client.force_login(both)

    assert client.get(_url("review", rc)).status_code == 403
    outcome = rc.ret.plan.round.outcomes.first()
    assert (
        client.post(_url("review", rc), {"action": "outcome", "outcome": outcome.code, "summary": "Mine"}).status_code
        == 403
    )
    assert not ReturnReview.objects.exists()
    assert rc.ret.plan.hwb_area.name not in client.get(reverse("monitoring:assurance")).content.decode()


def test_the_assurer_sees_the_variance_highlighted_comments_and_records_the_outcome(
    client, submitted, django_assert_max_num_queries
):
    rc, submission = submitted
    assurer = rc.cast.assurer
    client.force_login(assurer)
    with django_assert_max_num_queries(LIST_QUERIES):
        listing = client.get(reverse("monitoring:assurance")).content.decode()
    assert _url("review", rc) in listing

    with django_assert_max_num_queries(REVIEW_QUERIES):
        body = client.get(_url("review", rc)).content.decode()
    assert "app-variance--beyond" in body and "Variance above 10%" in body and "-25.0%" in body
    assert EXPLANATION in body
    assert "Maintain provision of social care services" in body  # the condition not met
    assert "Winter pressures came early." in body  # the metric off track

    response = client.post(
        _url("review", rc), {"action": "comment", "part": "finance", "text": "Tell us when reablement catches up."}
    )
    assert response.status_code == 302
    comment = ReturnComment.objects.get(ret=rc.ret)
    assert (comment.part.key, comment.author) == ("finance", assurer)

    outcome = rc.ret.plan.round.outcomes.get(code="approved")
    response = client.post(_url("review", rc), {"action": "outcome", "outcome": outcome.code, "summary": "On track."})

    assert response.status_code == 302
    rc.ret.refresh_from_db()
    assert rc.ret.status == S.REVIEWED
    review = ReturnReview.objects.get(submission=submission)
    assert (review.outcome, review.assurer, review.summary) == (outcome, assurer, "On track.")
    assert review.decided_at is not None
    event = ReturnEvent.objects.get(ret=rc.ret, action="decide")
    assert (event.from_status, event.to_status) == (S.SUBMITTED, S.REVIEWED)
    assert _url("review", rc) not in client.get(reverse("monitoring:assurance")).content.decode()

    # The commissioners see the comment and the outcome on their sign-off page.
    client.force_login(rc.commissioner)
    page = client.get(_url("signoff", rc)).content.decode()
    assert "Tell us when reablement catches up." in page and outcome.label in page


def test_an_outcome_needs_a_summary(client, submitted):
    rc, _ = submitted
    client.force_login(rc.cast.assurer)
    outcome = rc.ret.plan.round.outcomes.first()
    response = client.post(_url("review", rc), {"action": "outcome", "outcome": outcome.code, "summary": ""})
    assert response.status_code == 200 and "Enter a summary of the review" in response.content.decode()
    assert Return.objects.get(pk=rc.ret.pk).status == S.SUBMITTED


def test_the_assurance_list_is_for_assurers_and_national_admins(client, submitted):
    rc, _ = submitted
    client.force_login(rc.cast.viewer)
    assert client.get(reverse("monitoring:assurance")).status_code == 403
    client.force_login(rc.cast.national_admin)
    assert rc.ret.plan.hwb_area.name in client.get(reverse("monitoring:assurance")).content.decode()
