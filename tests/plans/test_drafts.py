"""Unsaved drafts: the services and the autosave / Markdown preview endpoints."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import Membership
from plans import drafts
from plans.models import Plan, UnsavedDraft
from tests.factories import DEMO_PASSWORD, HwbAreaFactory, MembershipFactory, PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan():
    return PlanFactory()


@pytest.fixture
def commissioner(plan):
    return MembershipFactory(hwb_area=plan.hwb_area).user


def autosave_url(plan):
    return reverse("plans:autosave", kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code})


def preview_url(plan):
    return reverse("plans:markdown_preview", kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code})


# --- services ----------------------------------------------------------------------------


def test_save_draft_keeps_one_draft_per_user_plan_and_form(plan, commissioner):
    drafts.save_draft(user=commissioner, plan=plan, form_key="section:1a", data={"q-vision": "First"})
    drafts.save_draft(user=commissioner, plan=plan, form_key="section:1a", data={"q-vision": "Second"})

    assert UnsavedDraft.objects.count() == 1
    assert drafts.get_draft(user=commissioner, plan=plan, form_key="section:1a").data == {"q-vision": "Second"}


def test_drafts_are_private_to_the_user_who_typed_them(plan, commissioner):
    colleague = MembershipFactory(hwb_area=plan.hwb_area).user
    drafts.save_draft(user=commissioner, plan=plan, form_key="section:1a", data={"q": "Mine"})

    assert drafts.get_draft(user=colleague, plan=plan, form_key="section:1a") is None


def test_discard_draft_forgets_it_and_is_safe_to_repeat(plan, commissioner):
    drafts.save_draft(user=commissioner, plan=plan, form_key="risk:new", data={"description": "Winter"})

    assert drafts.discard_draft(user=commissioner, plan=plan, form_key="risk:new") == 1
    assert drafts.discard_draft(user=commissioner, plan=plan, form_key="risk:new") == 0
    assert drafts.get_draft(user=commissioner, plan=plan, form_key="risk:new") is None


def test_only_people_who_may_edit_the_plan_can_save_a_draft(plan):
    viewer = MembershipFactory(hwb_area=plan.hwb_area, role=Membership.Role.VIEWER).user
    outsider = MembershipFactory().user

    for user in (viewer, outsider):
        with pytest.raises(PermissionDenied):
            drafts.save_draft(user=user, plan=plan, form_key="section:1a", data={"q": "x"})
    assert not UnsavedDraft.objects.exists()


def test_no_draft_is_saved_once_the_plan_has_left_draft(plan, commissioner):
    plan.status = Plan.Status.SUBMITTED
    plan.save()
    with pytest.raises(PermissionDenied):
        drafts.save_draft(user=commissioner, plan=plan, form_key="section:1a", data={"q": "x"})


@pytest.mark.parametrize(
    "data",
    [
        "just a string",
        ["a", "list"],
        {"q": 42},
        {"q": {"nested": "object"}},
        {"q": ["ok", 3]},
        {"": "empty name"},
        {"q": "x" * (drafts.MAX_DRAFT_CHARS + 1)},
        {f"q{i}": "x" for i in range(drafts.MAX_DRAFT_FIELDS + 1)},
    ],
)
def test_save_draft_rejects_anything_but_field_names_and_strings(plan, commissioner, data):
    with pytest.raises(drafts.InvalidDraft):
        drafts.save_draft(user=commissioner, plan=plan, form_key="section:1a", data=data)


def test_save_draft_needs_a_form_key(plan, commissioner):
    with pytest.raises(drafts.InvalidDraft):
        drafts.save_draft(user=commissioner, plan=plan, form_key="", data={"q": "x"})


# --- autosave endpoint --------------------------------------------------------------------


def test_autosave_post_then_get_returns_the_draft(client, plan, commissioner):
    client.force_login(commissioner)
    response = client.post(
        autosave_url(plan),
        json.dumps({"form_key": "section:1a", "data": {"q-vision": "Joined-up care", "choice": ["a", "b"]}}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["saved"] is True

    body = client.get(autosave_url(plan), {"form_key": "section:1a"}).json()
    assert body["draft"]["data"] == {"q-vision": "Joined-up care", "choice": ["a", "b"]}
    assert body["draft"]["updated_at"]
    assert client.get(autosave_url(plan), {"form_key": "section:other"}).json() == {"draft": None}


def test_autosave_accepts_the_form_encoded_beacon_sent_as_the_page_closes(client, plan, commissioner):
    client.force_login(commissioner)
    response = client.post(
        autosave_url(plan), {"form_key": "section:1a", "data": json.dumps({"q-vision": "Typed then closed"})}
    )
    assert response.status_code == 200
    assert drafts.get_draft(user=commissioner, plan=plan, form_key="section:1a").data == {
        "q-vision": "Typed then closed"
    }

    client.post(autosave_url(plan), {"form_key": "section:1a", "discard": "1"})
    assert drafts.get_draft(user=commissioner, plan=plan, form_key="section:1a") is None


def test_autosave_discard_deletes_the_draft(client, plan, commissioner):
    drafts.save_draft(user=commissioner, plan=plan, form_key="section:1a", data={"q": "x"})
    client.force_login(commissioner)
    response = client.post(
        autosave_url(plan), json.dumps({"form_key": "section:1a", "discard": True}), content_type="application/json"
    )
    assert response.json() == {"discarded": True}
    assert not UnsavedDraft.objects.exists()


def test_autosave_refuses_a_post_without_the_csrf_token(plan, commissioner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(commissioner)
    response = client.post(
        autosave_url(plan), json.dumps({"form_key": "section:1a", "data": {"q": "x"}}), content_type="application/json"
    )
    assert response.status_code == 403
    assert not UnsavedDraft.objects.exists()


def test_autosave_answers_401_json_when_the_session_has_expired(client, plan):
    response = client.post(
        autosave_url(plan), json.dumps({"form_key": "section:1a", "data": {"q": "x"}}), content_type="application/json"
    )
    assert response.status_code == 401
    assert "Sign in again" in response.json()["error"]


def test_autosave_is_404_for_a_commissioner_of_another_area(client, plan, commissioner):
    drafts.save_draft(user=commissioner, plan=plan, form_key="section:1a", data={"q": "Secret plan text"})
    outsider = MembershipFactory(hwb_area=HwbAreaFactory()).user
    client.force_login(outsider)

    assert client.get(autosave_url(plan), {"form_key": "section:1a"}).status_code == 404
    response = client.post(
        autosave_url(plan), json.dumps({"form_key": "section:1a", "data": {"q": "x"}}), content_type="application/json"
    )
    assert response.status_code == 404
    assert b"Secret plan text" not in response.content
    assert UnsavedDraft.objects.get().data == {"q": "Secret plan text"}


def test_autosave_is_403_for_a_read_only_viewer_of_the_area(client, plan):
    viewer = MembershipFactory(hwb_area=plan.hwb_area, role=Membership.Role.VIEWER).user
    client.force_login(viewer)
    response = client.post(
        autosave_url(plan), json.dumps({"form_key": "section:1a", "data": {"q": "x"}}), content_type="application/json"
    )
    assert response.status_code == 403
    assert not UnsavedDraft.objects.exists()


def test_autosave_rejects_malformed_json_with_a_plain_message(client, plan, commissioner):
    client.force_login(commissioner)
    response = client.post(autosave_url(plan), "{not json", content_type="application/json")
    assert response.status_code == 400
    response = client.post(
        autosave_url(plan), json.dumps({"form_key": "section:1a", "data": {"q": 1}}), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Field values must be strings."


# --- Markdown preview ---------------------------------------------------------------------


def test_markdown_preview_renders_headings_lists_and_tables(client, plan, commissioner):
    client.force_login(commissioner)
    text = "## Our vision\n\n- fewer admissions\n- more care at home\n\n| Year | Target |\n|---|---|\n| 2015 | 3% |\n"
    html = client.post(preview_url(plan), {"text": text}).json()["html"]
    assert "<h2>Our vision</h2>" in html
    assert "<li>fewer admissions</li>" in html
    assert "<table>" in html and "<td>3%</td>" in html


def test_markdown_preview_sanitises_script_and_javascript_links(client, plan, commissioner):
    client.force_login(commissioner)
    text = '<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror="alert(1)">'
    html = client.post(preview_url(plan), {"text": text}).json()["html"]
    assert "<script" not in html
    assert "<img" not in html
    assert "javascript:" not in html


def test_markdown_preview_accepts_json_too(client, plan, commissioner):
    client.force_login(commissioner)
    response = client.post(preview_url(plan), json.dumps({"text": "**bold**"}), content_type="application/json")
    assert response.json()["html"] == "<p><strong>bold</strong></p>"


def test_markdown_preview_is_404_for_a_commissioner_of_another_area(client, plan):
    outsider = MembershipFactory(hwb_area=HwbAreaFactory()).user
    client.force_login(outsider)
    assert client.post(preview_url(plan), {"text": "hi"}).status_code == 404


def test_markdown_preview_needs_sign_in(client, plan):
    assert client.post(preview_url(plan), {"text": "hi"}).status_code == 401


def test_signing_in_with_email_and_password_reaches_the_autosave_endpoint(client, plan):
    user = UserFactory(email="commissioner@example.org")
    MembershipFactory(user=user, hwb_area=plan.hwb_area)
    # Through the sign-in form: django-axes needs the request, so client.login() cannot be used.
    response = client.post("/sign-in/", {"username": "commissioner@example.org", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get(autosave_url(plan), {"form_key": "x"}).status_code == 200


def test_autosave_and_preview_make_a_fixed_small_number_of_queries(
    client, plan, commissioner, django_assert_max_num_queries
):
    client.force_login(commissioner)
    body = json.dumps({"form_key": "section:1a", "data": {f"q{i}": "x" * 100 for i in range(50)}})
    client.post(autosave_url(plan), body, content_type="application/json")  # warm the session
    with django_assert_max_num_queries(12):
        client.post(autosave_url(plan), body, content_type="application/json")
    with django_assert_max_num_queries(8):
        client.get(autosave_url(plan), {"form_key": "section:1a"})
    with django_assert_max_num_queries(5):
        client.post(preview_url(plan), {"text": "## Heading\n\n- a\n- b"})
