"""Known XSS payloads through narrative answers, table fields and uploads never reach a page live.

Three layers: render_markdown on its own; every page of a plan whose every text field holds
every payload (found from the URL resolver, so new pages are covered); and the upload
checks. tests/browser/test_xss_browser.py feeds the same payloads through the real forms
in Chromium and watches for anything executing.
"""

import io
import re
import zipfile
from html.parser import HTMLParser

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership
from plans.markdown import ALLOWED_TAGS, render_markdown
from plans.models import Answer, ConditionResponse, RelatedDocument, Risk
from rounds.models import CodeListEntry, ConditionQuestion, PlanningRound, Question, Section
from tests.factories import HwbAreaFactory, MembershipFactory, PlanFactory
from tests.plans.test_views_foreign_area import filled_urls, plan_url_patterns

# Each payload, if it ran, would open a dialog or set window.__xss; `{{7*7}}`-style ones would
# show XSS49. They cover script tags, event handlers, javascript:/data: links in Markdown,
# style/expression injection, frames and plugins, template injection, entities, mixed case,
# unclosed tags, attribute and element breakouts and parser-confusion (mXSS) tricks.
PAYLOADS = [
    "<script>window.__xss=1;alert('xss-1')</script>",
    "<ScRiPt>window.__xss=1;alert('xss-2')</sCrIpT>",
    "<scr<script>ipt>alert('xss-3')</script>",
    "<img src=x onerror=\"window.__xss=1;alert('xss-4')\">",
    "<IMG SRC=x OnErRoR=alert('xss-5')>",
    "<img src=x onerror=alert('xss-6')//",
    "<svg onload=alert('xss-7')>",
    "<svg><script>window.__xss=1</script></svg>",
    "<svg><animate onbegin=alert('xss-9') attributeName=x dur=1s>",
    "[click me](javascript:alert('xss-10'))",
    "[click me](JaVaScRiPt:alert('xss-11'))",
    "[click me](  javascript:alert('xss-12'))",
    "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[vb](vbscript:msgbox('xss-14'))",
    "![image](javascript:alert('xss-15'))",
    "![x](https://example.org/x.png\" onerror=\"alert('xss-16'))",
    '[title trick](https://example.org "a\\" onmouseover=\\"alert(\'xss-17\')")',
    "[ref link][r]\n\n[r]: javascript:alert('xss-18')",
    "<a href=\"javascript:alert('xss-19')\">html link</a>",
    "<a href=\"jav&#x09;ascript:alert('xss-20')\">tab in scheme</a>",
    "<a href=\"&#106;avascript:alert('xss-21')\">entity scheme</a>",
    "<div style=\"background:url(javascript:alert('xss-22'))\">style url</div>",
    "<div style=\"width: expression(alert('xss-23'))\">IE expression</div>",
    "<style>@import 'javascript:alert(\"xss-24\")'; body{background:red}</style>",
    "<iframe src=\"javascript:alert('xss-25')\"></iframe>",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "<object data=\"javascript:alert('xss-27')\"></object>",
    "<embed src=\"javascript:alert('xss-28')\">",
    "XSS{{7*7}} XSS{% templatetag openblock %} XSS${7*7} XSS#{7*7}",
    "&lt;script&gt;alert('xss-30')&lt;/script&gt;",
    "&#60;img src=x onerror=alert('xss-31')&#62;",
    "\"><script>alert('xss-32')</script>",
    "'><img src=x onerror=alert('xss-33')>",
    "</textarea><script>alert('xss-34')</script>",
    "</title><script>alert('xss-35')</script>",
    "<details open ontoggle=alert('xss-36')>",
    "<input autofocus onfocus=alert('xss-37')>",
    "<body onload=alert('xss-38')>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-39')>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('xss-40')>\">",
    "<form action=\"javascript:alert('xss-41')\"><button>go</button></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'xss-42\')">',
    "<base href=\"javascript:alert('xss-43')//\">",
    "<!--<img src=\"--><img src=x onerror=alert('xss-44')//\">",
    '<a href="https://example.org" onclick="alert(\'xss-45\')">event on a safe link</a>',
    "| a | b |\n|---|---|\n| <img src=x onerror=alert('xss-46')> | [x](javascript:alert('xss-46')) |",
]
assert len(PAYLOADS) >= 30

FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet", "math", "style", "noscript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "background", "srcset"}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data):")
# The one inline script base.html carries from GOV.UK's page template.
GOVUK_INLINE_SCRIPT = "document.body.className"


class _Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self._in_script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name.lower(): (value or "") for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        for name, value in attributes.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc>")
            if name == "style" and re.search(r"expression|url\(|javascript|@import", value, re.I):
                self.problems.append(f"<{tag} style={value!r}>")
            if name in URL_ATTRIBUTES:
                normalised = re.sub(r"[\x00-\x20]", "", value).lower()
                if BAD_SCHEME.match(normalised):
                    self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            self._in_script = attributes

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._check_script("")

    def handle_data(self, data):
        if self._in_script is not None:
            self._check_script(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script is not None:
            self._check_script("")

    def _check_script(self, body):
        attributes, self._in_script = self._in_script, None
        if attributes is None:
            return
        src = attributes.get("src", "")
        if src:
            if not src.startswith("/static/"):
                self.problems.append(f"<script src={src!r}>")
        elif not body.strip().startswith(GOVUK_INLINE_SCRIPT):
            self.problems.append(f"inline <script>{body[:60]!r}")


def unsafe_parts(html: str) -> list[str]:
    """What in this HTML could run script: elements, handlers, URLs and evaluated templates."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    problems = scanner.problems
    if "XSS49" in html:
        problems.append("a template expression was evaluated (XSS49)")
    return problems


# --- render_markdown -------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"payload-{i + 1}" for i in range(len(PAYLOADS))])
def test_render_markdown_leaves_no_payload_able_to_run(payload):
    html = str(render_markdown(payload))
    assert unsafe_parts(html) == []
    scanner = _Scanner()
    scanner.feed(html)
    assert {tag for tag, _ in scanner.tags} <= ALLOWED_TAGS
    for tag, attributes in scanner.tags:
        assert set(attributes) <= {"href", "title", "align", "rel"}, (tag, attributes)
        if "href" in attributes:
            assert attributes["href"].startswith(("http://", "https://", "mailto:")), attributes


def test_raw_html_in_an_answer_is_shown_as_the_text_it_is():
    html = str(render_markdown("<script>alert(1)</script>"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_markdown_still_renders_safe_links_headings_and_tables():
    html = str(render_markdown("## Plan\n\n[NHS England](https://www.england.nhs.uk)\n\n| a |\n|---|\n| 1 |"))
    assert "<h2>Plan</h2>" in html
    assert '<a href="https://www.england.nhs.uk" rel="noopener noreferrer">NHS England</a>' in html
    assert "<td>1</td>" in html


# --- every page of a plan full of payloads -------------------------------------------------


@pytest.fixture
def payload_plan(shipped_rounds):
    """The 2014/15 plan of one area with every payload in every text field of every kind."""
    from schemes.models import Scheme

    rnd = PlanningRound.objects.get(slug="2014-15")
    area = HwbAreaFactory(ons_code="E06999911", name="Payloadshire")
    plan = PlanFactory(round=rnd, hwb_area=area)
    owner = MembershipFactory(hwb_area=area, role=Membership.Role.COMMISSIONER).user
    everything = "\n\n".join(PAYLOADS)
    ids: dict[str, list[str]] = {"section": list(Section.objects.filter(round=rnd).values_list("key", flat=True))}
    for question in Question.objects.filter(section__round=rnd, kind__in=["narrative", "text"]):
        text = everything if question.kind == "narrative" else PAYLOADS[question.pk % len(PAYLOADS)]
        Answer.objects.create(plan=plan, question=question, text=text, updated_by=owner)
    for cq in ConditionQuestion.objects.filter(condition__round=rnd):
        ConditionResponse.objects.create(plan=plan, question=cq, status="yes", narrative=everything)
    rating = CodeListEntry.objects.filter(round=rnd, list="risk_rating").first()
    codes = {
        name: CodeListEntry.objects.filter(round=rnd, list=name).first()
        for name in ("scheme_type", "commissioner", "area_of_spend")
    }
    for i, payload in enumerate(PAYLOADS):
        risk = Risk.objects.create(
            plan=plan, description=payload, rating=rating, mitigating_actions=payload, owner=payload[:200], order=i
        )
        document = RelatedDocument.objects.create(
            plan=plan, ref=f"D{i}", title=payload[:250], synopsis=payload, original_filename=payload[:255], order=i
        )
        document.file.save(f"payload{i}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
        scheme = Scheme.objects.create(
            plan=plan,
            reference=f"X{i}",
            name=payload[:250],
            description=payload,
            provider=payload[:250],
            scheme_type=codes["scheme_type"],
            lead_commissioner=codes["commissioner"],
            area_of_spend=codes["area_of_spend"],
            order=i,
        )
        ids.setdefault("risk", []).append(str(risk.pk))
        ids.setdefault("document", []).append(str(document.pk))
        ids.setdefault("scheme", []).append(str(scheme.pk))
    history = [str(h) for a in Answer.objects.filter(plan=plan) for h in a.history.values_list("history_id", flat=True)]
    ids["history"] = history[:3]
    return plan, owner, ids


def test_every_plan_page_shows_the_payloads_inert(client, payload_plan):
    plan, owner, ids = payload_plan
    client.force_login(owner)
    pages = 0
    problems = []
    for route, name, _ in plan_url_patterns():
        if "round_slug>" not in route:
            continue
        for url in list(filled_urls(route, ids, plan))[:3]:
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            for problem in unsafe_parts(response.content.decode()):
                problems.append(f"{url} ({name}): {problem}")
    assert pages >= 5, "Too few plan pages rendered to call this a test"
    assert not problems, "Payloads reached the page in a form that could run:\n" + "\n".join(sorted(set(problems)))


def test_the_plan_pages_do_show_the_payload_text_escaped(client, payload_plan):
    plan, owner, _ = payload_plan
    client.force_login(owner)
    section = Section.objects.filter(round=plan.round, questions__kind="narrative").first()
    url = reverse("plans:section", args=[plan.round.slug, plan.hwb_area.ons_code, section.key])
    html = client.get(url).content.decode()
    # In the textarea the payload is escaped text, so the user sees exactly what they typed.
    assert "&lt;/textarea&gt;&lt;script&gt;alert(&#x27;xss-34&#x27;)&lt;/script&gt;" in html


# --- uploads ----------------------------------------------------------------------------


def _document_add(plan):
    return reverse("plans:document_add", args=[plan.round.slug, plan.hwb_area.ons_code])


def _minimal_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def editable_plan(shipped_rounds):
    rnd = PlanningRound.objects.get(slug="2014-15")
    plan = PlanFactory(round=rnd, hwb_area=HwbAreaFactory(ons_code="E06999912", name="Uploadshire"))
    owner = MembershipFactory(hwb_area=plan.hwb_area, role=Membership.Role.COMMISSIONER).user
    return plan, owner


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("report.pdf", b"<html><body><script>alert('xss')</script></body></html>"),
        ("report.pdf", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("report.docx", b"<!DOCTYPE html><script>alert(1)</script>"),
        ("report.xlsx", b"PK\x03\x04 not really a zip <script>alert(1)</script>"),
        ("report.pdf", b"MZ\x90\x00 an executable"),
        ("report.html", b"<script>alert(1)</script>"),
    ],
    ids=["html-as-pdf", "svg-as-pdf", "html-as-docx", "fake-zip-as-xlsx", "exe-as-pdf", "html"],
)
def test_an_upload_that_is_not_really_pdf_docx_or_xlsx_is_refused(client, editable_plan, filename, content):
    plan, owner = editable_plan
    client.force_login(owner)
    response = client.post(
        _document_add(plan),
        {"title": "Section 75 agreement", "upload": SimpleUploadedFile(filename, content, "application/pdf")},
    )
    assert response.status_code in (200, 400)  # the form again, with the error
    assert "The selected file must be a PDF, DOCX or XLSX" in response.content.decode()
    assert not RelatedDocument.objects.filter(plan=plan).exists()


def test_a_payload_filename_is_stored_under_a_generated_name_and_shown_inert(client, editable_plan):
    plan, owner = editable_plan
    client.force_login(owner)
    payload_name = "\"><img src=x onerror=alert('xss')>.pdf"
    response = client.post(
        _document_add(plan),
        {
            "title": "<script>alert('title')</script>",
            "synopsis": "[x](javascript:alert(1))",
            "upload": SimpleUploadedFile(payload_name, b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    document = RelatedDocument.objects.get(plan=plan)
    assert "<" not in document.file.name and "onerror" not in document.file.name
    assert document.file.name.endswith(".pdf")
    section = Section.objects.get(round=plan.round, table="documents")
    page = client.get(reverse("plans:section", args=[plan.round.slug, plan.hwb_area.ons_code, section.key]))
    assert unsafe_parts(page.content.decode()) == []

    download = client.get(
        reverse("plans:document_download", args=[plan.round.slug, plan.hwb_area.ons_code, document.pk])
    )
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_real_docx_is_accepted(client, editable_plan):
    plan, owner = editable_plan
    client.force_login(owner)
    response = client.post(
        _document_add(plan),
        {"title": "Joint strategy", "upload": SimpleUploadedFile("strategy.docx", _minimal_docx())},
    )
    assert response.status_code == 302
    assert RelatedDocument.objects.get(plan=plan).file.name.endswith(".docx")
