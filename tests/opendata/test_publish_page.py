"""The national administrator's "Publish open data" page: refused to everyone else, POST with a confirmation."""

import pytest
from django.urls import reverse

from accounts.models import Membership, SecurityEvent
from opendata import selectors
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _url(r):
    return reverse("opendata:publish", args=[r.round.slug])


def test_the_national_rounds_page_links_to_it(client, open_round):
    client.force_login(open_round.national_admin)
    assert _url(open_round) in client.get(reverse("governance:national_rounds")).content.decode()


def test_it_shows_how_many_approved_plans_would_be_published(client, open_round, django_assert_max_num_queries):
    client.force_login(open_round.national_admin)
    with django_assert_max_num_queries(15):
        response = client.get(_url(open_round))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="approved-count">2<' in html
    assert open_round.approved.hwb_area.name in html and open_round.submitted.hwb_area.name not in html


def test_publishing_needs_the_confirmation_then_withdrawing_does(client, open_round):
    client.force_login(open_round.national_admin)
    refused = client.post(_url(open_round), {"action": "publish"})
    assert refused.status_code == 400
    assert "Confirm that the approved plans may be published" in refused.content.decode()
    assert not selectors.is_published(open_round.round)

    response = client.post(_url(open_round), {"action": "publish", "confirm": "yes"}, follow=True)
    assert "is published" in response.content.decode()
    assert selectors.is_published(open_round.round)
    # A second tab still showing "Publish" changes nothing and says so.
    assert client.post(_url(open_round), {"action": "publish", "confirm": "yes"}).status_code == 400

    assert client.post(_url(open_round), {"action": "withdraw"}).status_code == 400
    assert selectors.is_published(open_round.round)
    client.post(_url(open_round), {"action": "withdraw", "confirm": "yes"})
    assert not selectors.is_published(open_round.round)
    assert SecurityEvent.objects.filter(action=SecurityEvent.Action.OPEN_DATA_WITHDRAWN).count() == 1


def test_anyone_else_is_refused(client, open_round):
    response = client.get(_url(open_round))
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    commissioner = open_round.approved.hwb_area.memberships.filter(role=Membership.Role.COMMISSIONER).first().user
    assurer = MembershipFactory(role=Membership.Role.ASSURER, region=open_round.approved.hwb_area.region, hwb_area=None)
    for user in (commissioner, assurer.user):
        client.force_login(user)
        assert client.get(_url(open_round)).status_code == 403
        assert client.post(_url(open_round), {"action": "publish", "confirm": "yes"}).status_code == 403
    assert not selectors.is_published(open_round.round)
