"""The public open data pages: only published, not withdrawn rounds and their approved plans, to anyone
without signing in, with nothing of who wrote, signed or assured the plans."""

import pytest
from django.urls import reverse

from opendata.models import Publication
from opendata.services import publish_round, withdraw_round
from plans.models import Plan
from tests.opendata.conftest import assert_no_personal_data, pdf_bytes

pytestmark = pytest.mark.django_db


def _urls(r):
    slug = r.round.slug
    return {
        "index": reverse("opendata:index"),
        "round": reverse("opendata:round", args=[slug]),
        "dictionary": reverse("opendata:dictionary", args=[slug]),
        "xlsx": reverse("opendata:dataset_xlsx", args=[slug]),
        "csv": reverse("opendata:dataset_csv", args=[slug]),
    }


def _pdf_url(plan):
    return reverse("opendata:part_one_pdf", args=[plan.round.slug, plan.hwb_area.ons_code])


def test_nothing_of_an_unpublished_round_is_public(client, open_round):
    urls = _urls(open_round)
    index = client.get(urls["index"])
    assert index.status_code == 200
    assert open_round.round.name not in index.content.decode()
    for name in ("round", "dictionary", "xlsx", "csv"):
        assert client.get(urls[name]).status_code == 404, name
    for plan in (open_round.approved, open_round.with_conditions, open_round.submitted):
        assert client.get(_pdf_url(plan)).status_code == 404


def test_a_published_round_lists_its_approved_plans_only(client, open_round, django_assert_max_num_queries):
    publish_round(user=open_round.national_admin, planning_round=open_round.round)
    urls = _urls(open_round)
    with django_assert_max_num_queries(6):
        index = client.get(urls["index"])
    assert open_round.round.name in index.content.decode()
    with django_assert_max_num_queries(8):
        page = client.get(urls["round"])
    assert page.status_code == 200
    html = page.content.decode()
    assert open_round.approved.hwb_area.name in html
    assert open_round.with_conditions.hwb_area.name in html
    assert "Approved with conditions" in html
    assert open_round.submitted.hwb_area.name not in html
    assert _pdf_url(open_round.approved) in html and _pdf_url(open_round.submitted) not in html
    assert open_round.approved_at.strftime("%-d %B %Y") in html
    assert "Assurer&#x27;s private notes" not in html and "private notes" not in html
    assert_no_personal_data(html)
    assert page["Cache-Control"] == "public, max-age=300"


def test_the_approved_plans_pdf_is_the_public_rendering_not_the_signed_submission_file(client, open_round):
    """The submitted PDF names the signatories; the public one is its own rendering (test_public_pdf.py)."""
    publish_round(user=open_round.national_admin, planning_round=open_round.round)
    for plan in (open_round.approved, open_round.with_conditions):
        response = client.get(_pdf_url(plan))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        body = b"".join(response.streaming_content)
        assert body.startswith(b"%PDF") and body != pdf_bytes(plan)
        assert f"{plan.hwb_area.ons_code}-2014-15-part1.pdf" in response["Content-Disposition"]
    assert client.get(_pdf_url(open_round.submitted)).status_code == 404
    assert client.get(reverse("opendata:part_one_pdf", args=["2014-15", "E99999999"])).status_code == 404


@pytest.mark.parametrize(
    "status", [Plan.Status.DRAFT, Plan.Status.SUBMITTED, Plan.Status.IN_ASSURANCE, Plan.Status.NOT_APPROVED]
)
def test_a_plan_reopened_or_not_approved_disappears(client, open_round, status):
    publish_round(user=open_round.national_admin, planning_round=open_round.round)
    plan = open_round.approved
    Plan.objects.filter(pk=plan.pk).update(status=status)
    assert plan.hwb_area.name not in client.get(_urls(open_round)["round"]).content.decode()
    assert client.get(_pdf_url(plan)).status_code == 404


def test_a_plan_reopened_at_a_new_version_has_no_public_pdf_until_that_version_is_approved(client, open_round):
    publish_round(user=open_round.national_admin, planning_round=open_round.round)
    plan = open_round.approved
    # Reopened and approved again without a submission of the new version (impossible in the workflow): nothing to show.
    Plan.objects.filter(pk=plan.pk).update(version=plan.version + 1)
    assert client.get(_pdf_url(plan)).status_code == 404


def test_a_plan_approved_after_publication_appears(client, open_round):
    from tests.opendata.conftest import submit

    publish_round(user=open_round.national_admin, planning_round=open_round.round)
    plan = open_round.submitted
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.APPROVED)
    assert plan.hwb_area.name in client.get(_urls(open_round)["round"]).content.decode()
    assert client.get(_pdf_url(plan)).status_code == 200
    assert submit  # the fixture's submission of this version is the one approved


def test_a_withdrawn_round_is_gone(client, open_round):
    publish_round(user=open_round.national_admin, planning_round=open_round.round)
    withdraw_round(user=open_round.national_admin, planning_round=open_round.round)
    assert Publication.objects.get().withdrawn_at is not None
    urls = _urls(open_round)
    assert open_round.round.name not in client.get(urls["index"]).content.decode()
    for name in ("round", "dictionary", "xlsx", "csv"):
        assert client.get(urls[name]).status_code == 404, name
    assert client.get(_pdf_url(open_round.approved)).status_code == 404


def test_public_pages_show_nothing_of_a_signed_in_visitor(client, open_round):
    """The pages are the same for everyone: no menu, no "Signed in as", and never cached publicly for a session."""
    publish_round(user=open_round.national_admin, planning_round=open_round.round)
    client.force_login(open_round.national_admin)
    urls = _urls(open_round)
    for name in ("index", "round", "dictionary"):
        response = client.get(urls[name])
        assert response.status_code == 200
        html = response.content.decode()
        assert_no_personal_data(html)
        assert "Sign out" not in html and "Signed in as" not in html
        assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_public_pages_answer_only_get(client, open_round):
    publish_round(user=open_round.national_admin, planning_round=open_round.round)
    assert client.post(_urls(open_round)["round"]).status_code == 405
