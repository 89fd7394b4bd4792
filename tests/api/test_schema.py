"""The committed OpenAPI document is what the code generates, it validates, and it is served with
a Swagger UI page whose scripts and styles come from this site (the CSP allows no other)."""

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from openapi_spec_validator import validate

COMMITTED = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml"


def generated() -> bytes:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return OpenApiYamlRenderer().render(schema, renderer_context={})


def test_the_committed_openapi_document_matches_the_code():
    assert COMMITTED.read_bytes() == generated(), (
        "docs/api/openapi.yaml is out of date: run `make api-schema` and commit it"
    )


def test_the_openapi_document_is_valid_openapi_3():
    document = yaml.safe_load(COMMITTED.read_text())
    assert document["openapi"].startswith("3.")
    validate(document)
    paths = document["paths"]
    for endpoint in ("plans", "income-lines", "expenditure-lines", "schemes", "metric-ambitions",
                     "condition-responses", "submissions", "assurance-outcomes", "returns", "rounds",
                     "regions", "areas"):  # fmt: skip
        assert f"/api/v1/{endpoint}/" in paths, endpoint
    assert document["components"]["securitySchemes"]["bearerToken"] == {"type": "http", "scheme": "bearer"}
    parameters = {p["name"] for p in paths["/api/v1/income-lines/"]["get"]["parameters"]}
    assert {"round", "region", "area", "status", "updated_since", "cursor", "page_size"} <= parameters


@pytest.mark.django_db
def test_the_schema_and_its_browsable_page_are_served_from_this_site(client):
    schema = client.get(reverse("api:schema"))
    assert schema.status_code == 200
    assert b"/api/v1/plans/" in schema.content

    page = client.get(reverse("api:docs"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "http://" not in html and "https://" not in html, "Swagger UI must not load from a CDN"
    assert "<script>" not in html, "the CSP allows no inline script"
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    # Each asset is one of the site's static files (collectstatic gathers drf-spectacular-sidecar's).
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert len(assets) == 4
    for asset in assets:
        assert finders.find(asset), asset
    script = client.get(reverse("api:docs") + "?script")
    assert script.status_code == 200 and reverse("api:schema").encode() in script.content
