"""An assurer creates an API token in the browser, sees it once, calls the API with it over real HTTP
against the live server, revokes it, and the next call is refused with 401. axe checks each page."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from accounts.models import Membership, SecurityEvent
from api.models import ApiToken
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.factories import DEMO_PASSWORD, MembershipFactory, RegionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def call_me(base: str, key: str) -> tuple[int, dict, dict]:
    request = urllib.request.Request(f"{base}/api/v1/me/", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"{}")


def test_create_see_once_use_revoke_then_401(page, live_server):
    base = live_server.url
    region = RegionFactory(code="RSW", name="South West")
    user = MembershipFactory(
        role=Membership.Role.ASSURER, hwb_area=None, region=region, user__email="analyst@example.org"
    ).user
    sign_in(page, base, user.email, DEMO_PASSWORD)

    page.goto(base + "/account/")
    page.get_by_role("link", name="Manage your API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    expect(page.locator("#api-tokens")).to_contain_text("You have no API tokens.")
    assert_no_axe_violations(page, "token list, empty")

    page.get_by_role("link", name="Create a token").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an API token")
    assert_no_axe_violations(page, "create token")
    # Region chosen, but not which one: the error says how to fix it.
    page.get_by_label("Token name").fill("Regional dashboard")
    page.get_by_label("Read one region's data").check()
    page.get_by_label("In 30 days").check()
    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the region the token may read")
    assert_no_axe_violations(page, "create token with errors")
    # The conditional region question is revealed for the chosen radio.
    page.get_by_label("Region", exact=True).select_option(label="South West")
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Copy your new API token")
    assert_no_axe_violations(page, "token created")
    key = page.get_by_label("Your token").input_value()
    assert key.startswith("bcf_")
    token = ApiToken.objects.get(user=user)
    assert token.region == region and key not in token.key_hash

    status, _, body = call_me(base, key)
    assert status == 200
    assert body["token"]["scope"] == "region" and body["token"]["region"] == "RSW"

    # The key is not shown again: not on the list, and the created page is not reachable by URL.
    page.get_by_role("link", name="back to your API tokens").click()
    expect(page.locator("#api-tokens")).to_contain_text("Regional dashboard")
    expect(page.locator("#api-tokens")).to_contain_text("Active")
    expect(page.locator("#api-tokens")).not_to_contain_text(key)
    assert_no_axe_violations(page, "token list")

    page.get_by_role("link", name="Revoke Regional dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Are you sure you want to revoke")
    assert_no_axe_violations(page, "revoke token")
    page.get_by_role("button", name="Revoke token").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("has been revoked")
    expect(page.locator("#api-tokens")).to_contain_text("Revoked")
    assert_no_axe_violations(page, "token list after revoking")

    status, headers, _ = call_me(base, key)
    assert status == 401
    assert headers.get("WWW-Authenticate", "").startswith("Bearer")
    statuses = [e.detail["status"] for e in SecurityEvent.objects.filter(action="api_call").order_by("pk")]
    assert statuses == [200, 401]
