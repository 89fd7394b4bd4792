"""Playwright in Debian Chromium against pytest-django's live_server.

Helpers every browser test uses: sign in, an axe-core scan that fails with a readable list
of violations, screenshots into test-artifacts/screenshots/, and a guard that counts any
JavaScript dialog a payload might open.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings

# live_server runs Django in a thread beside Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def _static_build_exists():
    if not (Path(settings.BASE_DIR) / "static" / "build" / "app.css").exists():
        pytest.fail("static/build/ is missing: run scripts/build_frontend.sh (scripts/setup.sh does).")


_axe = Axe()


def format_violations(results) -> str:
    lines = []
    for violation in results.response.get("violations", []):
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:10]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def _is_govuk_conditional_reveal(node) -> bool:
    """GOV.UK Frontend's conditional-reveal radios/checkboxes carry aria-expanded on purpose.

    It is a documented known issue (alphagov/govuk-frontend#979, #1280): invalid for the radio
    role in ARIA 1.2, kept because research showed screen readers announce it usefully. Only
    that one attribute on those GOV.UK inputs is excused; anything else still fails.
    """
    html = node.get("html", "")
    summary = node.get("failureSummary") or ""
    messages = [line.strip() for line in summary.splitlines()[1:] if line.strip()]
    return (
        ("govuk-radios__input" in html or "govuk-checkboxes__input" in html)
        and bool(messages)
        and all(m.startswith('ARIA attribute is not allowed: aria-expanded="') for m in messages)
    )


def assert_no_axe_violations(page, label: str = "") -> None:
    """Run axe-core (shipped offline by axe-playwright-python) on the page; fail listing each violation."""
    # Scan the page the last click led to, not the blank document of a navigation still under way.
    page.wait_for_load_state("load")
    page.wait_for_selector("main")
    results = _axe.run(page)
    violations = []
    for violation in results.response.get("violations", []):
        if violation["id"] == "aria-allowed-attr":
            violation["nodes"] = [n for n in violation["nodes"] if not _is_govuk_conditional_reveal(n)]
            if not violation["nodes"]:
                continue
        violations.append(violation)
    results.response["violations"] = violations
    assert not violations, f"axe found {len(violations)} violation(s) on {label or page.url}:\n" + format_violations(
        results
    )


def save_screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, base_url: str, email: str, password: str, next_path: str = "") -> None:
    page.goto(f"{base_url}/sign-in/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/sign-in/" not in page.url, f"Sign-in failed for {email}"


class DialogCounter:
    """Counts alert/confirm/prompt dialogs (an executed XSS payload's usual tell) and dismisses them."""

    def __init__(self, page):
        self.messages: list[str] = []
        page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog):
        self.messages.append(dialog.message)
        dialog.dismiss()

    @property
    def count(self) -> int:
        return len(self.messages)


@pytest.fixture
def dialogs(page):
    return DialogCounter(page)
