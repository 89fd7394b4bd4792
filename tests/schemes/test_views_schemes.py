"""The schemes table: add, change, remove, sub-types from the round's code list, conflicts and scoping."""

import pytest
from django.urls import reverse

from plans.models import Plan, SectionProgress
from schemes import services
from schemes.models import Scheme
from tests.plans.authoring import SECRET, build_round, plan_kwargs

pytestmark = pytest.mark.django_db


@pytest.fixture
def a():
    return build_round()


def url(a, name, plan=None, **kwargs):
    return reverse(name, kwargs={**plan_kwargs(plan or a.plan), **kwargs})


def scheme_data(a, **overrides):
    data = {
        "version": "0",
        "reference": "S1",
        "name": "Integrated reablement service",
        "scheme_type": a.codes["type_reablement"].pk,
        "sub_type": a.codes["sub_home"].pk,
        "description": "Joint **reablement** team",
        "lead_commissioner": a.codes["la"].pk,
        "provider": "Torbay and South Devon NHS Foundation Trust",
        "area_of_spend": a.codes["social_care"].pk,
        "is_new": "no",
    }
    data.update(overrides)
    return data


def _values(a, **overrides):
    values = {
        "reference": "S1",
        "name": "Reablement",
        "scheme_type_id": a.codes["type_reablement"].pk,
        "sub_type_id": None,
        "description": "",
        "lead_commissioner_id": a.codes["la"].pk,
        "provider": "",
        "area_of_spend_id": a.codes["social_care"].pk,
        "is_new": False,
    }
    values.update(overrides)
    return values


def test_task_list_links_the_schemes_section_to_the_schemes_page(client, a):
    client.force_login(a.commissioner)
    html = client.get(url(a, "plans:plan_overview")).content.decode()
    assert url(a, "schemes:list") in html


def test_add_change_and_remove_a_scheme(client, a, django_assert_max_num_queries):
    client.force_login(a.commissioner)
    form_page = client.get(url(a, "schemes:add")).content.decode()
    assert 'data-form-key="scheme:new"' in form_page and "Reablement: Reablement at home" in form_page
    response = client.post(url(a, "schemes:add"), scheme_data(a))
    assert response.status_code == 302 and response.url == url(a, "schemes:list")
    scheme = Scheme.objects.get(reference="S1")
    assert (scheme.sub_type, scheme.is_new, scheme.version) == (a.codes["sub_home"], False, 1)
    services.save_scheme(user=a.commissioner, plan=a.plan, scheme_id=None, values=_values(a, reference="S2"), version=0)
    # The count does not grow with the number of schemes. The round's configuration is read once per
    # process (rounds.config), as a running server has it warm: read it before counting.
    client.get(url(a, "schemes:list"))
    with django_assert_max_num_queries(17):
        listing = client.get(url(a, "schemes:list"))
    html = listing.content.decode()
    assert "Integrated reablement service" in html and "Reablement: Reablement at home" in html
    assert "<strong>reablement</strong>" in html
    # Each row's links, written from the list's URL, are the scheme's own pages.
    assert f'href="{url(a, "schemes:change", pk=scheme.pk)}"' in html
    assert f'href="{url(a, "schemes:remove", pk=scheme.pk)}"' in html
    client.post(url(a, "schemes:change", pk=scheme.pk), scheme_data(a, version="1", name="Renamed", is_new="yes"))
    scheme.refresh_from_db()
    assert (scheme.name, scheme.is_new, scheme.version) == ("Renamed", True, 2)
    assert (
        "Are you sure you want to remove this scheme?"
        in client.get(url(a, "schemes:remove", pk=scheme.pk)).content.decode()
    )
    client.post(url(a, "schemes:remove", pk=scheme.pk), {"version": "2"})
    assert list(Scheme.objects.values_list("reference", flat=True)) == ["S2"]
    client.post(url(a, "schemes:list"), {"action": "complete"})
    assert SectionProgress.objects.get(plan=a.plan, section=a.sections["schemes"]).status == "completed"


def test_sub_type_must_belong_to_the_chosen_type(client, a):
    client.force_login(a.commissioner)
    response = client.post(url(a, "schemes:add"), scheme_data(a, sub_type=a.codes["sub_breaks"].pk))
    assert response.status_code == 400
    assert "Select a sub-type of Reablement, or no sub-type" in response.content.decode()
    assert not Scheme.objects.exists()


def test_service_refuses_codes_from_the_wrong_list_or_round(a):
    with pytest.raises(Exception, match="sub-type must belong"):
        services.save_scheme(
            user=a.commissioner,
            plan=a.plan,
            scheme_id=None,
            values=_values(a, sub_type_id=a.codes["sub_breaks"].pk),
            version=0,
        )
    with pytest.raises(Exception, match="area of spend"):
        services.save_scheme(
            user=a.commissioner,
            plan=a.plan,
            scheme_id=None,
            values=_values(a, area_of_spend_id=a.codes["ccg"].pk),
            version=0,
        )


def test_duplicate_reference_is_shown_on_the_field(client, a):
    services.save_scheme(user=a.commissioner, plan=a.plan, scheme_id=None, values=_values(a), version=0)
    client.force_login(a.commissioner)
    response = client.post(url(a, "schemes:add"), scheme_data(a, reference="s1"))
    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_reference">A scheme with this reference already exists in this plan.</a>' in html


def test_scheme_conflict_keeps_both_versions(client, a):
    scheme = services.save_scheme(user=a.colleague, plan=a.plan, scheme_id=None, values=_values(a), version=0)
    services.save_scheme(
        user=a.colleague,
        plan=a.plan,
        scheme_id=scheme.pk,
        values=_values(a, description="Their description"),
        version=1,
    )
    client.force_login(a.commissioner)
    response = client.post(
        url(a, "schemes:change", pk=scheme.pk),
        scheme_data(a, version="1", name="Reablement", sub_type="", description="My description"),
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Their description" in html and "My description" in html
    scheme.refresh_from_db()
    assert scheme.description == "Their description"


def test_scheme_history_is_recorded_and_shown(client, a):
    scheme = services.save_scheme(user=a.commissioner, plan=a.plan, scheme_id=None, values=_values(a), version=0)
    services.save_scheme(
        user=a.colleague, plan=a.plan, scheme_id=scheme.pk, values=_values(a, name="Home reablement"), version=1
    )
    client.force_login(a.commissioner)
    html = client.get(url(a, "plans:section_history", section_key="schemes")).content.decode()
    assert "Sam Colleague" in html and '<ins class="app-diff__ins">Home reablement</ins>' in html


def test_viewer_and_submitted_plan_cannot_change_schemes(client, a):
    client.force_login(a.viewer)
    assert client.get(url(a, "schemes:list")).status_code == 200
    assert client.get(url(a, "schemes:add")).status_code == 403
    assert client.post(url(a, "schemes:add"), scheme_data(a)).status_code == 403
    Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.SUBMITTED)
    client.force_login(a.commissioner)
    assert client.post(url(a, "schemes:add"), scheme_data(a)).status_code == 403
    assert client.post(url(a, "schemes:list"), {"action": "complete"}).status_code == 403
    assert not Scheme.objects.exists()


def test_another_areas_commissioner_gets_404_on_every_schemes_page(client, a):
    scheme = services.save_scheme(
        user=a.commissioner, plan=a.plan, scheme_id=None, values=_values(a, name=SECRET), version=0
    )
    client.force_login(a.outsider)
    for page in (
        url(a, "schemes:list"),
        url(a, "schemes:add"),
        url(a, "schemes:change", pk=scheme.pk),
        url(a, "schemes:remove", pk=scheme.pk),
    ):
        for method in (client.get, client.post):
            response = method(page, {**scheme_data(a), "version": "1", "action": "complete"})
            assert response.status_code in (403, 404), page
            assert SECRET not in response.content.decode()
    # Their own plan's URL with our scheme's id reaches nothing either.
    for name in ("schemes:change", "schemes:remove"):
        response = client.get(url(a, name, plan=a.other_plan, pk=scheme.pk))
        assert response.status_code == 404 and SECRET not in response.content.decode()
    scheme.refresh_from_db()
    assert scheme.name == SECRET


def test_schemes_table_is_kept_by_what_it_shows_so_a_change_by_any_path_is_shown(client, a):
    """The table's HTML is kept per process by a hash of what it shows (schemes_table_key): a change
    that bypasses the services (an admin update, a bulk fix) still gives the next page the new rows."""
    scheme = services.save_scheme(
        user=a.commissioner, plan=a.plan, scheme_id=None, values=_values(a, name="Reablement"), version=0
    )
    client.force_login(a.commissioner)
    assert "Reablement" in client.get(url(a, "schemes:list")).content.decode()
    Scheme.objects.filter(pk=scheme.pk).update(name="Falls prevention", description="Now **weekly**")
    html = client.get(url(a, "schemes:list")).content.decode()
    assert "Falls prevention" in html and "<strong>weekly</strong>" in html
    assert 'class="govuk-table__header">Reablement' not in html
    # A code-list entry relabelled in the round's configuration is shown too.
    entry = a.codes["social_care"]
    entry.label = "Adult social care (relabelled)"
    entry.save()
    assert "Adult social care (relabelled)" in client.get(url(a, "schemes:list")).content.decode()
    # The same rows for someone who may not change them come without the commissioner's links.
    client.force_login(a.viewer)
    viewer_html = client.get(url(a, "schemes:list")).content.decode()
    assert "Falls prevention" in viewer_html
    assert url(a, "schemes:change", pk=scheme.pk) not in viewer_html
