"""People for the accounts tests: an area with a lead commissioner, a foreign area, and a national admin."""

import re
from dataclasses import dataclass

import pytest
from django.core import mail

from accounts.models import Membership
from rounds.models import SignOffSlot
from tests.factories import HwbAreaFactory, MembershipFactory, OrganisationFactory, RegionFactory, UserFactory

R = Membership.Role


@dataclass
class Team:
    area: object
    foreign_area: object
    lead: object
    commissioner: object
    admin: object
    slots: list
    organisation: object


@pytest.fixture
def team(shipped_rounds, settings):
    settings.SITE_URL = "https://bcf.example.org"
    area = HwbAreaFactory(ons_code="E06000111", name="Ashshire", region=RegionFactory(code="RA1", name="Region A"))
    foreign = HwbAreaFactory(ons_code="E06000222", name="Farshire", region=RegionFactory(code="RB1", name="Region B"))
    lead = MembershipFactory(role=R.COMMISSIONER, hwb_area=area, is_lead=True).user
    commissioner = MembershipFactory(role=R.COMMISSIONER, hwb_area=area).user
    admin = MembershipFactory(role=R.NATIONAL_ADMIN, hwb_area=None).user
    organisation = OrganisationFactory(name="Ashshire County Council", kind="local_authority")
    organisation.hwb_areas.add(area)
    slots = list(SignOffSlot.objects.filter(round__slug="2017-19").order_by("order").values_list("code", flat=True))
    return Team(area, foreign, lead, commissioner, admin, slots, organisation)


LINK = re.compile(r"https://bcf\.example\.org(/invitation/[^/\s]+/)")


def invitation_link(to: str) -> str:
    """The path of the invitation link in the last email sent to `to`."""
    messages = [m for m in mail.outbox if to in m.to and "invited" in m.subject]
    assert messages, f"no invitation email to {to}"
    return LINK.search(messages[-1].body).group(1)


@pytest.fixture
def new_user():
    return UserFactory
