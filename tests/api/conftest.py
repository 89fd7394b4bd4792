import pytest
from django.core.cache import cache

from accounts.models import Membership
from api.tokens import issue_token
from tests.factories import HwbAreaFactory, MembershipFactory, RegionFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counts():
    # The rate limit counts live in Django's cache, which outlives a test's database rollback.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def commissioner(db):
    return MembershipFactory(role=Membership.Role.COMMISSIONER, hwb_area=HwbAreaFactory()).user


@pytest.fixture
def assurer(db):
    return MembershipFactory(role=Membership.Role.ASSURER, hwb_area=None, region=RegionFactory(code="RAS")).user


@pytest.fixture
def national_admin(db):
    return MembershipFactory(role=Membership.Role.NATIONAL_ADMIN, hwb_area=None).user


@pytest.fixture
def live_key(commissioner):
    """A commissioner's national token and its key."""
    token, key = issue_token(user=commissioner, name="Power BI")
    return token, key


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}
