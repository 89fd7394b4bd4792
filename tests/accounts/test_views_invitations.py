"""Invitations: who may invite whom, the single-use expiring link, resend, withdraw, ending a role, the audit log."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, SecurityEvent, User
from tests.accounts.conftest import invitation_link
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
R = Membership.Role
A = SecurityEvent.Action


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST as a user, running what the request queued after its commit (the email task, in-process)."""

    def _post(user, url, data=None):
        client.logout()
        if user is not None:
            client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return _post


def invite_url(area):
    return reverse("invite", kwargs={"ons_code": area.ons_code})


def test_lead_commissioner_invites_a_signatory_who_accepts_once_with_a_new_password(team, post, client):
    mail.outbox.clear()
    response = post(
        team.lead,
        invite_url(team.area),
        {
            "email": " Sam.Signer@Ashshire.gov.uk ",
            "full_name": "Sam Signer",
            "job_title": "Director of Adult Social Care",
            "role": "signatory",
            "signoff_slot_code": team.slots[0],
            "organisation": team.organisation.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [m.to for m in mail.outbox] == [["sam.signer@ashshire.gov.uk"]]
    path = invitation_link("sam.signer@ashshire.gov.uk")
    assert "https://bcf.example.org/invitation/" in mail.outbox[0].body
    invitation = Invitation.objects.get()
    assert invitation.token_sha256 not in mail.outbox[0].body  # only the hash is stored
    assert SecurityEvent.objects.filter(action=A.INVITED, user=team.lead, hwb_area=team.area).exists()

    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and "Accept your invitation" in page.content.decode()
    weak = post(None, path, {"password1": "short", "password2": "short"})
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    accepted = post(None, path, {"password1": "a-Long-passphrase-42", "password2": "a-Long-passphrase-42"})
    assert accepted.status_code == 302
    user = User.objects.get(email="sam.signer@ashshire.gov.uk")
    assert user.check_password("a-Long-passphrase-42") and user.job_title == "Director of Adult Social Care"
    membership = user.memberships.get()
    assert (membership.role, membership.hwb_area, membership.signoff_slot_code, membership.organisation) == (
        R.SIGNATORY,
        team.area,
        team.slots[0],
        team.organisation,
    )
    assert SecurityEvent.objects.filter(action=A.INVITATION_ACCEPTED, user=user).exists()

    # Single use: the same link no longer works, even for the person it was sent to.
    client.logout()
    again = client.get(path)
    assert again.status_code == 404 and "This invitation link does not work" in again.content.decode()
    assert post(None, path, {"password1": "x-Other-pass-99", "password2": "x-Other-pass-99"}).status_code == 404


def test_the_link_expires_after_the_configured_days(team, post, client, settings):
    settings.INVITATION_DAYS = 2
    post(team.lead, invite_url(team.area), {"email": "late@ashshire.gov.uk", "role": "viewer"})
    path = invitation_link("late@ashshire.gov.uk")
    client.logout()
    with time_machine.travel(timezone.now() + timedelta(days=1, hours=23)):
        assert client.get(path).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=2, minutes=1)):
        assert client.get(path).status_code == 404
        response = post(None, path, {"password1": "a-Long-passphrase-42", "password2": "a-Long-passphrase-42"})
        assert response.status_code == 404
    assert not User.objects.filter(email="late@ashshire.gov.uk").exists()


def test_resend_replaces_the_link_and_withdraw_kills_it(team, post, client):
    post(team.lead, invite_url(team.area), {"email": "colleague@ashshire.gov.uk", "role": "commissioner"})
    first = invitation_link("colleague@ashshire.gov.uk")
    invitation = Invitation.objects.get()
    post(team.lead, reverse("invitation_resend", kwargs={"invitation": invitation.pk}))
    second = invitation_link("colleague@ashshire.gov.uk")
    assert first != second
    client.logout()
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    post(team.lead, reverse("invitation_revoke", kwargs={"invitation": invitation.pk}))
    client.logout()
    assert client.get(second).status_code == 404
    actions = set(SecurityEvent.objects.filter(user=team.lead).values_list("action", flat=True))
    assert {A.INVITED, A.INVITATION_RESENT, A.INVITATION_REVOKED} <= actions


@pytest.mark.parametrize(
    "who, where, data, reason",
    [
        ("lead", "foreign", {"email": "x@far.gov.uk", "role": "commissioner"}, "another area"),
        ("lead", "own", {"email": "x@ash.gov.uk", "role": "assurer", "region": "RA1"}, "assurer role"),
        ("lead", "own", {"email": "x@ash.gov.uk", "role": "national_admin"}, "national role"),
        ("lead", "own", {"email": "x@ash.gov.uk", "role": "commissioner", "is_lead": "on"}, "lead role"),
        ("commissioner", "own", {"email": "x@ash.gov.uk", "role": "viewer"}, "not the lead"),
    ],
)
def test_refused_invitations_create_nothing_and_are_audited(team, post, client, who, where, data, reason):
    user = getattr(team, who)
    area = team.area if where == "own" else team.foreign_area
    if "region" in data:
        data = {**data, "region": area.region.pk}
    mail.outbox.clear()
    response = post(user, invite_url(area), data)
    assert response.status_code == 403, (reason, re.findall(r"Error:</span>([^<]*)", response.content.decode()))
    assert not Invitation.objects.exists() and not mail.outbox
    assert SecurityEvent.objects.filter(action=A.PERMISSION_DENIED, user=user).exists()


def test_a_national_admin_invites_an_assurer_for_a_region_and_a_lead_commissioner(team, post):
    response = post(
        team.admin,
        reverse("invite_assurer"),
        {"email": "assurer@nhs.net", "role": "assurer", "region": team.area.region.pk},
    )
    assert response.status_code == 302
    post(
        team.admin, invite_url(team.foreign_area), {"email": "lead@far.gov.uk", "role": "commissioner", "is_lead": "on"}
    )
    assurer, lead = Invitation.objects.order_by("pk")
    assert (assurer.role, assurer.region, assurer.hwb_area) == (R.ASSURER, team.area.region, None)
    assert (lead.role, lead.is_lead, lead.hwb_area) == (R.COMMISSIONER, True, team.foreign_area)


def test_a_slot_or_organisation_outside_the_lists_is_refused_with_a_clear_message(team, post):
    response = post(
        team.lead,
        invite_url(team.area),
        {"email": "s@ash.gov.uk", "role": "signatory", "signoff_slot_code": "HWB chair"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = post(team.lead, invite_url(team.area), {"email": "s@ash.gov.uk", "role": "signatory"})
    assert "Choose the sign-off the signatory will give" in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_invitation_to_someone_with_an_account_is_accepted_once_signed_in(team, post, client):
    existing = MembershipFactory(role=R.VIEWER, hwb_area=team.foreign_area).user
    post(team.lead, invite_url(team.area), {"email": existing.email.upper(), "role": "viewer"})
    path = invitation_link(existing.email)
    client.logout()
    assert "Sign in as" in client.get(path).content.decode()
    assert post(existing, path).status_code == 302
    assert existing.memberships.filter(hwb_area=team.area, role=R.VIEWER).exists()
    # Someone else signed in cannot take it.
    post(team.lead, invite_url(team.area), {"email": "other@ash.gov.uk", "role": "viewer"})
    other = invitation_link("other@ash.gov.uk")
    post(team.commissioner, other, {"password1": "a-Long-passphrase-42", "password2": "a-Long-passphrase-42"})
    assert not Membership.objects.filter(user=team.commissioner, role=R.VIEWER).exists()


def test_memberships_are_ended_by_the_lead_in_their_own_area_only(team, post):
    mine = Membership.objects.get(user=team.commissioner)
    foreign = MembershipFactory(role=R.COMMISSIONER, hwb_area=team.foreign_area)
    lead = Membership.objects.get(user=team.lead)
    assert post(team.lead, reverse("membership_end", kwargs={"membership": foreign.pk})).status_code == 403
    assert post(team.commissioner, reverse("membership_end", kwargs={"membership": lead.pk})).status_code == 403
    assert post(team.lead, reverse("membership_end", kwargs={"membership": mine.pk})).status_code == 302
    assert not Membership.objects.filter(pk=mine.pk).exists()
    assert Membership.objects.filter(pk=foreign.pk).exists() and Membership.objects.filter(pk=lead.pk).exists()
    event = SecurityEvent.objects.get(action=A.MEMBERSHIP_ENDED)
    assert event.detail["email"] == team.commissioner.email and event.hwb_area == team.area


def test_team_page_shows_roles_slots_and_pending_invitations_to_the_area_only(team, post, client):
    post(
        team.lead,
        invite_url(team.area),
        {"email": "chair@ash.gov.uk", "role": "signatory", "signoff_slot_code": team.slots[-1]},
    )
    url = reverse("team", kwargs={"ons_code": team.area.ons_code})
    client.force_login(team.lead)
    body = client.get(url).content.decode()
    assert team.commissioner.email in body and "chair@ash.gov.uk" in body and "Lead commissioner" in body
    assert "Invite someone" in body
    client.force_login(team.commissioner)
    body = client.get(url).content.decode()
    assert "chair@ash.gov.uk" in body and "Invite someone" not in body
    for outsider in (
        MembershipFactory(role=R.COMMISSIONER, hwb_area=team.foreign_area, is_lead=True).user,
        MembershipFactory(role=R.VIEWER, hwb_area=team.area).user,
    ):
        client.force_login(outsider)
        assert client.get(url).status_code == 403


def test_account_page_lists_roles_and_the_password_can_be_changed(team, client, demo_password):
    client.force_login(team.lead)
    body = client.get(reverse("account")).content.decode()
    assert "Lead commissioner" in body and "Ashshire" in body
    response = client.post(
        reverse("password_change"),
        {"old_password": demo_password, "new_password1": "n3w-Passphrase!x", "new_password2": "n3w-Passphrase!x"},
    )
    assert response.status_code == 302
    team.lead.refresh_from_db()
    assert team.lead.check_password("n3w-Passphrase!x")
    assert SecurityEvent.objects.filter(action=A.PASSWORD_CHANGED, user=team.lead).exists()


def test_national_admins_see_every_area_team_and_pending_assurer_invitations_on_their_account(team, post, client):
    post(
        team.admin,
        reverse("invite_assurer"),
        {"email": "assure@nhs.net", "role": "assurer", "region": team.area.region.pk},
    )
    client.force_login(team.admin)
    body = client.get(reverse("account")).content.decode()
    assert "Team for Ashshire" in body and "Team for Farshire" in body
    assert "assure@nhs.net" in body
    client.force_login(team.lead)
    body = client.get(reverse("account")).content.decode()
    assert "Team for Ashshire" in body and "Team for Farshire" not in body and "assure@nhs.net" not in body


class _UrlsWithSingleSignOn:
    from django.urls import include, path

    from bcf_portal.urls import urlpatterns as _project

    urlpatterns = [*_project, path("oidc/", include("mozilla_django_oidc.urls"))]


def test_with_single_sign_on_an_invitee_accepts_without_a_password_and_signs_in_through_the_provider(
    team, post, settings
):
    settings.OIDC_ENABLED = True
    settings.ROOT_URLCONF = _UrlsWithSingleSignOn
    post(team.lead, invite_url(team.area), {"email": "sso@ashshire.gov.uk", "role": "viewer"})
    path = invitation_link("sso@ashshire.gov.uk")
    response = post(None, path, {"single_sign_on": "1"})
    assert response.status_code == 302 and response["Location"] == "/oidc/authenticate/"
    user = User.objects.get(email="sso@ashshire.gov.uk")
    assert not user.has_usable_password()
    assert user.memberships.filter(role=R.VIEWER, hwb_area=team.area).exists()
    # The provider's verified email then finds this account (accounts.oidc): no account is created there.
    from accounts.oidc import EmailOIDCBackend

    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = "bcf-portal", "secret"
    settings.OIDC_OP_TOKEN_ENDPOINT = settings.OIDC_OP_USER_ENDPOINT = "https://sso.example.org/x"
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    claims = {"email": "SSO@ashshire.gov.uk", "email_verified": True}
    assert list(EmailOIDCBackend().filter_users_by_claims(claims)) == [user]


def test_inviting_someone_to_a_role_they_hold_or_are_already_invited_to_is_refused_on_the_email(team, post):
    """Found in the walk-through: a second invitation told an existing commissioner to "set your password"."""
    member = MembershipFactory(role=R.COMMISSIONER, hwb_area=team.area).user
    data = {"email": member.email.upper(), "full_name": "Again", "role": "commissioner"}
    response = post(team.lead, invite_url(team.area), data)
    assert response.status_code == 200
    assert "This person already has this role" in response.content.decode()

    first = {"email": "new.person@ashshire.gov.uk", "full_name": "New Person", "role": "viewer"}
    assert post(team.lead, invite_url(team.area), first).status_code == 302
    again = post(team.lead, invite_url(team.area), {**first, "email": " New.Person@Ashshire.gov.uk"})
    assert "An invitation to this person for this role is waiting" in again.content.decode()
    assert Invitation.objects.filter(email="new.person@ashshire.gov.uk").count() == 1
    # Another role is another invitation.
    assert post(team.lead, invite_url(team.area), {**first, "role": "commissioner"}).status_code == 302
