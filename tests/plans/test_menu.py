"""The header menu is rendered once per set of roles and kept in each process's memory
(templates/base.html): each person still gets the menu of their own roles, and the sign-out form's
CSRF token is their own."""

import re

import pytest
from django.urls import reverse

from accounts.models import Membership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def menu(client, user) -> tuple[list[str], str]:
    client.force_login(user)
    html = client.get(reverse("plans:your_plans")).content.decode()
    nav = html.split('<ul id="navigation"', 1)[1].split("</ul>", 1)[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', nav).group(1)
    return re.findall(r'class="govuk-header__link[^"]*"[^>]*>([^<]+)<', nav), token


def test_each_person_gets_the_menu_of_their_own_roles_and_their_own_sign_out_token(client):
    commissioner = MembershipFactory().user
    admin = MembershipFactory(role=Membership.Role.NATIONAL_ADMIN, hwb_area=None).user
    staff_admin = MembershipFactory(role=Membership.Role.NATIONAL_ADMIN, hwb_area=None, user__is_staff=True).user
    first, first_token = menu(client, commissioner)
    assert first == ["Your plans", "Your account", "Sign out"]
    assert menu(client, admin)[0] == [
        "Your plans",
        "Assurance",
        "National view",
        "Audit log",
        "Rounds",
        "Your account",
        "Sign out",
    ]
    assert menu(client, staff_admin)[0][5] == "Admin"
    again, again_token = menu(client, commissioner)
    assert again == first
    # Signed in afresh, a new CSRF secret: the cached menu did not keep the first token.
    assert again_token != first_token
    assert menu(client, UserFactory())[0] == ["Your plans", "Your account", "Sign out"]
