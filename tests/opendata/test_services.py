"""Publishing and withdrawing a round's open data: national administrators only, each change audited."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Membership, SecurityEvent
from opendata import selectors
from opendata.models import Publication
from opendata.services import publish_round, withdraw_round
from tests.factories import MembershipFactory, PlanningRoundFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Membership.Role.COMMISSIONER, Membership.Role.VIEWER, Membership.Role.ASSURER])
def test_only_national_admins_may_publish_or_withdraw(role):
    planning_round = PlanningRoundFactory()
    extra = {"region": RegionFactory(), "hwb_area": None} if role == Membership.Role.ASSURER else {}
    user = MembershipFactory(role=role, **extra).user
    with pytest.raises(PermissionDenied):
        publish_round(user=user, planning_round=planning_round)
    assert not Publication.objects.exists()
    Publication.objects.create(round=planning_round)
    with pytest.raises(PermissionDenied):
        withdraw_round(user=user, planning_round=planning_round)
    assert Publication.objects.get().withdrawn_at is None


def test_a_user_with_no_role_and_an_inactive_admin_may_not_publish():
    planning_round = PlanningRoundFactory()
    with pytest.raises(PermissionDenied):
        publish_round(user=UserFactory(), planning_round=planning_round)
    inactive = MembershipFactory(role=Membership.Role.NATIONAL_ADMIN, hwb_area=None).user
    inactive.is_active = False
    inactive.save()
    with pytest.raises(PermissionDenied):
        publish_round(user=inactive, planning_round=planning_round)


def test_publish_withdraw_and_publish_again_are_audited():
    planning_round = PlanningRoundFactory()
    admin = MembershipFactory(role=Membership.Role.NATIONAL_ADMIN, hwb_area=None).user

    publication = publish_round(user=admin, planning_round=planning_round)
    assert publication.published_by == admin and publication.withdrawn_at is None
    assert selectors.is_published(planning_round)
    publish_round(user=admin, planning_round=planning_round)  # pressed twice: nothing more happens

    withdraw_round(user=admin, planning_round=planning_round)
    assert not selectors.is_published(planning_round)
    assert Publication.objects.get().withdrawn_at is not None
    assert withdraw_round(user=admin, planning_round=planning_round) is None

    publish_round(user=admin, planning_round=planning_round)
    assert selectors.is_published(planning_round)
    actions = list(SecurityEvent.objects.order_by("pk").values_list("action", "user", "detail__round"))
    A = SecurityEvent.Action
    assert actions == [
        (A.OPEN_DATA_PUBLISHED, admin.pk, planning_round.slug),
        (A.OPEN_DATA_WITHDRAWN, admin.pk, planning_round.slug),
        (A.OPEN_DATA_PUBLISHED, admin.pk, planning_round.slug),
    ]
