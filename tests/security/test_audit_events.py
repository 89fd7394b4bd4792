"""Sign-off, submission, the assurance decision and downloads reach the security audit log."""

import pytest
from django.urls import reverse

from accounts.models import SecurityEvent
from governance import services
from rounds.models import KeyLineOfEnquiry, OutcomeCategory
from tests.governance.conftest import sign_all, submit_signed
from tests.governance.workflow_plans import build_workflow_plan

pytestmark = pytest.mark.django_db
A = SecurityEvent.Action


@pytest.fixture
def decided(django_capture_on_commit_callbacks):
    cast = build_workflow_plan()
    with django_capture_on_commit_callbacks(execute=True):
        services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
        sign_all(cast)
    submit_signed(cast)  # and its files are rendered, so the assurer can start
    with django_capture_on_commit_callbacks(execute=True):
        ratings = {k.pk: ("met", "Clear.") for k in KeyLineOfEnquiry.objects.filter(round=cast.plan.round)}
        services.rate_kloes(user=cast.assurer, plan=cast.plan, ratings=ratings)
        outcome = OutcomeCategory.objects.get(round=cast.plan.round, code="approved")
        services.decide(user=cast.assurer, plan=cast.plan, outcome=outcome, summary="Sound.", conditions=[])
    cast.plan.refresh_from_db()
    return cast


def test_each_signature_the_submission_and_the_decision_are_recorded_with_who_and_which_area(decided):
    plan = decided.plan
    signed = SecurityEvent.objects.filter(action=A.SIGNED, plan_id=plan.pk)
    assert {e.user for e in signed} == set(decided.signatories.values())
    submitted = SecurityEvent.objects.get(action=A.SUBMITTED, plan_id=plan.pk)
    assert submitted.user == decided.commissioner and submitted.hwb_area == plan.hwb_area
    decision = SecurityEvent.objects.get(action=A.DECISION, plan_id=plan.pk)
    assert decision.user == decided.assurer and decision.detail["to_status"] == "approved"


def test_a_refused_workflow_step_is_recorded(decided):
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied, whatever the wording
        services.send_for_signoff(user=decided.foreign_commissioner, plan=decided.plan)
    event = SecurityEvent.objects.get(action=A.TRANSITION_REFUSED)
    assert event.user == decided.foreign_commissioner


def test_downloading_a_submitted_file_is_recorded(client, decided):
    plan = decided.plan
    client.force_login(decided.viewer)
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, "version": plan.version}
    response = client.get(reverse("governance:download", kwargs={**kwargs, "kind": "xlsx"}))
    assert response.status_code == 200
    event = SecurityEvent.objects.get(action=A.EXPORT_DOWNLOADED)
    assert event.user == decided.viewer and event.detail == {"submission": plan.version, "kind": "xlsx"}


def test_downloading_an_export_is_recorded(client, decided, django_capture_on_commit_callbacks):
    plan = decided.plan
    client.force_login(decided.viewer)
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
    with django_capture_on_commit_callbacks(execute=True):
        job = client.post(
            reverse("governance:export_request", kwargs={**kwargs, "kind": "xlsx"}), HTTP_ACCEPT="application/json"
        ).json()
    status = client.get(job["status_url"]).json()
    assert client.get(status["download_url"]).status_code == 200
    event = SecurityEvent.objects.get(action=A.EXPORT_DOWNLOADED)
    assert event.plan_id == plan.pk and event.detail["kind"] == "xlsx" and event.user == decided.viewer


def test_audit_never_breaks_the_request_it_records(client, decided, monkeypatch):
    # If the audit insert fails, the user's request still succeeds (and the failure is logged).
    from accounts import security

    monkeypatch.setattr(security.SecurityEvent.objects, "create", lambda **kw: 1 / 0)
    assert security.record(A.PERMISSION_DENIED) is None
