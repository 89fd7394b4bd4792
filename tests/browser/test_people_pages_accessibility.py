"""axe-core finds no violations on the public pages and the password pages, signed out and signed in."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_and_password_pages_have_no_axe_violations(page, live_server):
    base = live_server.url
    user = UserFactory(email="reader@example.org")
    for path, heading in (
        ("/accessibility/", "Accessibility statement"),
        ("/cookies/", "Cookies"),
        ("/privacy/", "Privacy notice"),
        ("/password-reset/", "Reset your password"),
    ):
        page.goto(base + path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_no_axe_violations(page, path)
        footer = page.locator("footer")
        for name in ("Accessibility statement", "Cookies", "Privacy notice"):
            expect(footer.get_by_role("link", name=name)).to_be_visible()

    page.get_by_label("Email address").fill(user.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_no_axe_violations(page, "password reset sent")
    link = re.search(r"(/password-reset/[^/\s]+/[^/\s]+/)", mail.outbox[-1].body).group(1)
    page.goto(base + link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    assert_no_axe_violations(page, "choose a new password")
    page.get_by_label("New password", exact=True).fill("Brand-new-passphrase-3")
    page.get_by_label("Confirm your new password").fill("Brand-new-passphrase-3")
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password has been changed")
    assert_no_axe_violations(page, "password changed")
    page.goto(base + link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    assert_no_axe_violations(page, "used reset link")

    sign_in(page, base, user.email, "Brand-new-passphrase-3")
    page.goto(base + "/account/password/")
    page.get_by_label("Current password").fill("wrong")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_no_axe_violations(page, "change password with errors")
    page.goto(base + "/invitation/not-a-real-token/")
    assert_no_axe_violations(page, "invitation link that does not work")
