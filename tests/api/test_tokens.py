"""api.tokens: issuing (who may, which regions), checking, revoking, and noting use."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Membership
from api.models import ApiToken
from api.tokens import hash_key, issue_token, note_token_used, revoke_token, token_for_key
from tests.factories import ApiTokenFactory, MembershipFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_key_is_stored_only_as_its_hash(commissioner):
    token, key = issue_token(user=commissioner, name="Nightly")
    assert key.startswith("bcf_") and len(key) > 40
    token.refresh_from_db()
    assert token.key_hash == hash_key(key) and key not in token.key_hash
    assert token.prefix == key[:12]
    assert token_for_key(key) == token


def test_a_user_without_a_role_cannot_hold_a_token():
    with pytest.raises(ValidationError):
        issue_token(user=UserFactory(), name="No role")
    assert not ApiToken.objects.exists()


def test_a_region_token_only_for_a_region_the_user_may_read(assurer, commissioner, national_admin):
    own_region = assurer.memberships.get().region
    other_region = RegionFactory(code="ROT")
    token, _ = issue_token(user=assurer, name="Mine", scope=ApiToken.Scope.REGION, region=own_region)
    assert token.region == own_region
    with pytest.raises(ValidationError):
        issue_token(user=assurer, name="Theirs", scope=ApiToken.Scope.REGION, region=other_region)
    # A commissioner reads one area, not a region.
    with pytest.raises(ValidationError):
        issue_token(user=commissioner, name="Region", scope=ApiToken.Scope.REGION, region=other_region)
    # A national administrator may scope a token to any region.
    token, _ = issue_token(user=national_admin, name="Any", scope=ApiToken.Scope.REGION, region=other_region)
    assert token.region == other_region


def test_a_region_scope_needs_a_region(assurer):
    with pytest.raises(ValidationError):
        issue_token(user=assurer, name="Nowhere", scope=ApiToken.Scope.REGION, region=None)


def test_lifetime_is_capped(commissioner):
    token, _ = issue_token(user=commissioner, name="Forever", lifetime=datetime.timedelta(days=5000))
    assert token.expires_at <= timezone.now() + datetime.timedelta(days=366)


def test_revoked_expired_and_inactive_tokens_are_not_live(commissioner):
    revoked, revoked_key = issue_token(user=commissioner, name="Revoked")
    revoke_token(token=revoked, by=commissioner)
    assert revoked.revoked_at is not None and revoked.status == "Revoked"
    assert token_for_key(revoked_key) is None

    expired, expired_key = issue_token(user=commissioner, name="Expired")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert token_for_key(expired_key) is None

    _, key = issue_token(user=commissioner, name="Live")
    assert token_for_key(key) is not None
    commissioner.is_active = False
    commissioner.save()
    assert token_for_key(key) is None
    assert token_for_key("bcf_unknown") is None


def test_only_the_owner_revokes_a_token(commissioner):
    token = ApiTokenFactory(user=MembershipFactory(role=Membership.Role.VIEWER).user)
    with pytest.raises(ValidationError):
        revoke_token(token=token, by=commissioner)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_last_used_is_written_at_most_once_a_minute(live_key, django_assert_num_queries):
    token, _ = live_key
    with django_assert_num_queries(1):
        note_token_used(token)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    with django_assert_num_queries(0):
        note_token_used(token)
    # A fresh copy of the token read within the minute does not write either (the UPDATE is conditional).
    again = ApiToken.objects.get(pk=token.pk)
    again.last_used_at = None
    note_token_used(again)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - datetime.timedelta(minutes=2))
    note_token_used(ApiToken.objects.get(pk=token.pk))
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first
