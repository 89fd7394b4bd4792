"""Script, event handlers, javascript: links and style typed into a plan appear in the PDF as inert text."""

import io
import re

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from governance.pdf import render_part1_html, render_plan_pdf
from plans import models as pm
from tests import factories as f
from tests.governance.test_pdf import body_text

PAYLOADS = [
    '<script>alert("narrative")</script>',
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(2)>",
    "<style>body { display: none }</style>",
    '<a href="javascript:alert(3)">raw link</a>',
    '<iframe src="https://evil.example/frame"></iframe>',
    '<object data="javascript:alert(4)"></object>',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
]
MARKDOWN_PAYLOADS = [
    "[markdown js link](javascript:alert(5))",
    "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==)",
    "![pixel](https://evil.example/pixel.png)",
]
AFTER = "Text after the payloads is still shown."


@pytest.fixture
def hostile_plan(db):
    plan = f.PlanWithContentFactory()
    hostile = "\n\n".join(PAYLOADS + MARKDOWN_PAYLOADS + [AFTER])
    # Rows are changed in place (update) so the plan keeps its sign-offs for the sign-off table.
    pm.Answer.objects.filter(plan=plan, question__key="vision").update(text=hostile)
    plan.risks.update(description="<script>alert('risk')</script>", mitigating_actions="<img src=x onerror=alert(7)>")
    plan.documents.filter(ref="D1").update(
        title="<b onmouseover=alert(8)>Title</b>", synopsis=hostile, url="javascript:alert(9)"
    )
    plan.schemes.filter(reference="S1").update(name="<script>alert('scheme')</script>")
    plan.condition_responses.update(narrative=hostile)
    return plan


def walk_objects(reader: PdfReader):
    """Every dictionary reachable in the PDF, each once."""
    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            yield obj
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def test_payloads_appear_as_the_text_that_was_typed(hostile_plan):
    text = body_text(render_plan_pdf(hostile_plan), hostile_plan)
    # Narrow table cells may wrap a payload anywhere, so compare without whitespace.
    compact = "".join(text.split())
    for payload in [
        *PAYLOADS,
        "<script>alert('risk')</script>",
        "<img src=x onerror=alert(7)>",
        "<script>alert('scheme')</script>",
        "<b onmouseover=alert(8)>Title</b>",
        "javascript:alert(9)",  # the unsafe document URL is shown, not linked
        "markdown js link",
        "data link",
    ]:
        assert "".join(payload.split()) in compact, payload
    # Style injection hid nothing: what follows the payloads is still there, wherever they were typed.
    assert text.count(AFTER) >= 3


def test_pdf_has_no_javascript_and_no_unsafe_links(hostile_plan):
    reader = PdfReader(io.BytesIO(render_plan_pdf(hostile_plan)))
    uris = []
    for obj in walk_objects(reader):
        assert "/JS" not in obj and "/JavaScript" not in obj and "/AA" not in obj and "/OpenAction" not in obj
        assert obj.get("/S") not in ("/JavaScript", "/Launch", "/SubmitForm", "/ImportData")
        if "/URI" in obj:
            uris.append(str(obj["/URI"]))
    assert uris, "the safe links in the plan should still be live links"
    for uri in uris:
        assert uri.startswith(("https://", "http://", "mailto:")), uri
        assert "evil.example" not in uri


def test_html_given_to_weasyprint_has_no_active_content(hostile_plan):
    html = render_part1_html(hostile_plan).lower()
    for tag in ["<script", "<img", "<svg", "<style", "<iframe", "<object", "<link", "<b "]:
        assert tag not in html, tag
    assert not re.search(r'<a[^>]+href="(javascript|data):', html)
    assert "&lt;script&gt;" in html  # shown as text
