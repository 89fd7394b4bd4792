"""Browser steps for people joining by invitation, shared by the invitation and national round journeys."""

import re
import time

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

LINK = re.compile(r"(/invitation/[^/\s]+/)")


def invitation_path(address: str) -> str:
    """The link in the newest invitation email to `address` (sent by the in-process task after the commit)."""
    for _ in range(50):
        bodies = [m.body for m in mail.outbox if address in m.to and "invited" in m.subject]
        if bodies:
            return LINK.search(bodies[-1]).group(1)
        time.sleep(0.1)
    raise AssertionError(f"No invitation email to {address}: {[m.to for m in mail.outbox]}")


def invite(page, *, email, name, role_label, job_title="", slot=None, lead=False):
    page.get_by_role("button", name="Invite someone").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Full name").fill(name)
    if job_title:
        page.get_by_label("Job title").fill(job_title)
    page.get_by_label(role_label).check()
    if slot:
        page.get_by_label("Sign-off (signatories only)").select_option(slot)
    if lead:
        page.get_by_label("Lead commissioner: manages the area's team").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"Invitation sent to {email}")


def accept(page, base, path, password):
    page.context.clear_cookies()
    page.goto(base + path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Accept your invitation")
    page.get_by_label("Create a password").fill(password)
    page.get_by_label("Confirm your password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your account is ready")


def sign_the_plan(page, *, name, position):
    """On the plan's status page, a signatory follows their one Sign link and signs today."""
    sign_links = page.locator("#signoffs a", has_text="Sign")
    expect(sign_links).to_have_count(1)
    sign_links.click()
    expect(page.get_by_label("Full name")).to_have_value(name)
    page.get_by_label("Position").fill(position)
    today = timezone.localdate()
    for part, value in (("day", today.day), ("month", today.month), ("year", today.year)):
        page.locator(f"input[name='signed_on_{part}']").fill(str(value))
    page.get_by_role("button", name="Sign the plan").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have signed the plan")
