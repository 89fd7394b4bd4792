"""The accessibility statement, cookies page and privacy notice: public, and linked from every page's footer."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db
FOOTER_LINKS = {"accessibility": "Accessibility statement", "cookies": "Cookies", "privacy": "Privacy notice"}
# Documents, not pages of the service: the decision letter is a printable letter.
NOT_PAGES = {"governance/decision_letter.html"}


@pytest.mark.parametrize("name", FOOTER_LINKS)
def test_public_pages_are_open_to_everyone_and_say_what_they_must(client, name, settings):
    settings.SUPPORT_EMAIL = "help@bcf.example.org"
    body = client.get(reverse(name)).content.decode()
    assert "help@bcf.example.org" in body or name == "cookies"
    if name == "cookies":
        assert "only essential cookies" in body and "no cookie banner" in body
    if name == "privacy":
        for held in ("name, email address and job title", "audit log", "How long we keep it", "Contact"):
            assert held in body


def test_the_footer_links_to_all_three_on_signed_in_and_signed_out_pages(client, django_user_model):
    for response in (client.get(reverse("login")), client.get(reverse("password_reset"))):
        for name, label in FOOTER_LINKS.items():
            assert f'href="{reverse(name)}">{label}</a>' in response.content.decode()
    client.force_login(django_user_model.objects.create_user(email="p@example.org", password="x-Passphrase-12"))
    body = client.get(reverse("account")).content.decode()
    assert all(f'href="{reverse(name)}">' in body for name in FOOTER_LINKS)


def test_every_page_template_extends_the_base_with_the_footer():
    templates = Path(settings.BASE_DIR) / "templates"
    pages = [
        p
        for p in templates.rglob("*.html")
        if p.name != "base.html"
        and not p.name.startswith("_")
        and p.parts[len(templates.parts)] not in ("includes", "pdf")
        and p.relative_to(templates).as_posix() not in NOT_PAGES
    ]
    assert len(pages) > 40

    def extends_base(page: Path) -> bool:
        """Directly, or through a layout such as finance/line_form.html that extends it."""
        found = re.search(r'{% extends "([^"]+)" %}', page.read_text())
        return found is not None and (found[1] == "base.html" or extends_base(templates / found[1]))

    assert [p for p in pages if not extends_base(p)] == []
