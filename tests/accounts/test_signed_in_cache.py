"""The signed-in user and their memberships come from the cache (accounts.backends), yet every change
to either takes effect on the next request: no one keeps seeing an area's plans after their role there
has ended, and a deactivated account is signed out at once."""

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.backends import user_with_memberships
from accounts.invitations import end_membership
from accounts.models import Membership
from tests.factories import MembershipFactory, PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


def overview_url(plan) -> str:
    return reverse("plans:plan_overview", kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code})


@pytest.fixture
def commissioner_with_plan(client):
    plan = PlanFactory()
    membership = MembershipFactory(hwb_area=plan.hwb_area)
    client.force_login(membership.user)
    assert client.get(overview_url(plan)).status_code == 200  # the user and memberships are now cached
    return plan, membership


def user_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if '"accounts_user"' in q["sql"] or '"accounts_membership"' in q["sql"]]


def test_a_signed_in_page_reads_neither_the_user_nor_their_memberships_once_cached(client, commissioner_with_plan):
    plan, _ = commissioner_with_plan
    with CaptureQueriesContext(connection) as queries:
        assert client.get(overview_url(plan)).status_code == 200
    assert user_queries(queries) == []


def test_an_ended_membership_refuses_the_next_request(client, commissioner_with_plan):
    plan, membership = commissioner_with_plan
    lead = MembershipFactory(hwb_area=plan.hwb_area, is_lead=True).user
    end_membership(by=lead, membership_id=membership.pk)
    assert client.get(overview_url(plan)).status_code == 404


def test_a_membership_deleted_with_its_area_refuses_the_next_request(client, commissioner_with_plan):
    plan, membership = commissioner_with_plan
    Membership.objects.filter(pk=membership.pk).delete()  # a queryset delete still sends post_delete
    assert client.get(overview_url(plan)).status_code == 404


def test_a_new_membership_is_seen_on_the_next_request(client, commissioner_with_plan):
    _, membership = commissioner_with_plan
    other = PlanFactory()
    assert client.get(overview_url(other)).status_code == 404
    MembershipFactory(user=membership.user, hwb_area=other.hwb_area)
    assert client.get(overview_url(other)).status_code == 200


def test_a_deactivated_account_is_signed_out_on_the_next_request(client, commissioner_with_plan):
    plan, membership = commissioner_with_plan
    membership.user.is_active = False
    membership.user.save()
    response = client.get(overview_url(plan))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_copy_read_before_a_change_committed_is_never_used_after_it(django_capture_on_commit_callbacks):
    """The race the second replacement exists for: a request that read the version after a change
    began, but the database before it committed, stores a stale copy under that version. The
    version is replaced again on commit, so no one reads that copy."""
    membership = MembershipFactory()
    user_id = membership.user_id
    stale = user_with_memberships(user_id)
    assert [held.hwb_area_id for held in stale._memberships_held] == [membership.hwb_area_id]
    with django_capture_on_commit_callbacks(execute=True):
        membership.delete()
        # The slow request stores its stale copy under the version current before the commit.
        caches["process"].set(f"signed-in-user:{user_id}:{cache.get(f'signed-in-user:{user_id}:version')}", stale)
    assert user_with_memberships(user_id)._memberships_held == ()


def test_the_version_lives_in_the_shared_cache_so_every_process_sees_a_change():
    """Another web process's change reaches this one through the shared cache alone: here, a new
    version written straight to it (as the other process's receiver would) makes this process re-read."""
    user = UserFactory()
    assert user_with_memberships(user.pk)._memberships_held == ()
    Membership.objects.bulk_create([Membership(user=user, role=Membership.Role.NATIONAL_ADMIN)])  # no signal
    assert user_with_memberships(user.pk)._memberships_held == ()  # this process's copy, as expected
    cache.set(f"signed-in-user:{user.pk}:version", "set-by-another-process")
    assert [held.role for held in user_with_memberships(user.pk)._memberships_held] == ["national_admin"]


def test_with_the_shared_redis_cache_an_ended_membership_refuses_the_next_request(client, settings):
    """As deployed: CACHE_URL names a Redis database (django-redis), shared by every web process."""
    import environ

    settings.CACHES = {
        **settings.CACHES,
        "default": environ.Env().cache_url_config("redis://127.0.0.1:6379/11"),
    }
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    cache.clear()
    plan = PlanFactory()
    membership = MembershipFactory(hwb_area=plan.hwb_area)
    client.force_login(membership.user)
    assert client.get(overview_url(plan)).status_code == 200
    assert cache.get(f"signed-in-user:{membership.user_id}:version") is not None  # kept in Redis
    caches["process"].clear()  # as if the next request went to another web process
    assert client.get(overview_url(plan)).status_code == 200
    membership.delete()
    assert client.get(overview_url(plan)).status_code == 404
    cache.clear()
