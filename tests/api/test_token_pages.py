"""The API token pages: list, create (the key shown once), revoke; each user sees and revokes only their own."""

import pytest

from accounts.models import Membership
from api.models import ApiToken
from api.tokens import hash_key, token_for_key
from tests.factories import ApiTokenFactory, MembershipFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db
LIST = "/account/api-tokens/"
NEW = "/account/api-tokens/new/"


def revoke_url(token) -> str:
    return f"/account/api-tokens/{token.pk}/revoke/"


def test_the_list_shows_only_my_tokens(client, commissioner, django_assert_max_num_queries):
    mine = ApiTokenFactory(user=commissioner, name="My dashboard")
    theirs = ApiTokenFactory(user=MembershipFactory().user, name="Their dashboard")
    client.force_login(commissioner)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    page = response.content.decode()
    assert response.status_code == 200
    assert "My dashboard" in page and mine.prefix in page and "Active" in page
    assert "Their dashboard" not in page and theirs.prefix not in page


def test_the_account_page_links_to_the_tokens(client, commissioner):
    client.force_login(commissioner)
    assert LIST in client.get("/account/").content.decode()


def test_creating_a_token_shows_the_key_once_and_stores_its_hash(client, commissioner):
    client.force_login(commissioner)
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, {"name": "Power BI", "scope": "national", "lifetime_days": "30"})
    assert response.status_code == 200
    key = response.context["key"]
    assert key in response.content.decode() and "only time we will show" in response.content.decode()
    token = ApiToken.objects.get(user=commissioner)
    assert token.key_hash == hash_key(key) and token_for_key(key) == token
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    assert "no-store" in response["Cache-Control"]
    # Not on the list, not in the session.
    assert key not in client.get(LIST).content.decode()
    assert key not in str(dict(client.session))


def test_a_commissioner_is_not_offered_a_region(client, commissioner):
    RegionFactory(code="RX1")
    client.force_login(commissioner)
    page = client.get(NEW).content.decode()
    assert 'value="region"' not in page
    response = client.post(
        NEW, {"name": "R", "scope": "region", "region": RegionFactory(code="RX2").pk, "lifetime_days": "90"}
    )
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_an_assurer_creates_a_token_for_their_own_region_only(client, assurer):
    own = assurer.memberships.get().region
    other = RegionFactory(code="RZZ")
    client.force_login(assurer)
    page = client.get(NEW).content.decode()
    assert own.name in page and other.name not in page
    response = client.post(NEW, {"name": "Other", "scope": "region", "region": other.pk, "lifetime_days": "90"})
    assert "Choose one of the regions listed" in response.content.decode()
    response = client.post(NEW, {"name": "Mine", "scope": "region", "lifetime_days": "90"})
    assert "Choose the region the token may read" in response.content.decode()
    response = client.post(NEW, {"name": "Mine", "scope": "region", "region": own.pk, "lifetime_days": "365"})
    assert response.status_code == 200
    assert ApiToken.objects.get(user=assurer).region == own


def test_missing_answers_say_how_to_fix_them(client, commissioner):
    client.force_login(commissioner)
    page = client.post(NEW, {}).content.decode()
    for message in ("Enter a name for the token", "Choose what the token may read", "Choose when the token expires"):
        assert message in page


def test_a_user_without_a_role_cannot_create_a_token(client):
    user = UserFactory()
    client.force_login(user)
    assert "You need a role" in client.get(LIST).content.decode()
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"name": "x", "scope": "national", "lifetime_days": "30"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_revoking_asks_first_then_revokes(client, commissioner):
    token = ApiTokenFactory(user=commissioner, name="Old script")
    client.force_login(commissioner)
    response = client.get(revoke_url(token))
    assert response.status_code == 200 and "Are you sure" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    response = client.post(revoke_url(token), follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert "has been revoked" in response.content.decode() and "Revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_another_users_token_is_404_and_stays_live(client, commissioner):
    other = MembershipFactory(role=Membership.Role.NATIONAL_ADMIN, hwb_area=None).user
    theirs = ApiTokenFactory(user=other)
    client.force_login(commissioner)
    assert client.get(revoke_url(theirs)).status_code == 404
    assert client.post(revoke_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_the_pages_need_sign_in(client):
    token = ApiTokenFactory()
    for url in (LIST, NEW, revoke_url(token)):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in/" in response["Location"]
