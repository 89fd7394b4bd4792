"""Transport: which requests count as HTTPS under production settings, and what browsers may keep."""

import json
import subprocess
import sys

from tests.security.test_deploy_check import ROOT, production_env

# Under the production settings module: is a plain-HTTP request that claims to be HTTPS treated as
# secure, and does SecurityMiddleware still send it to https://?
PROBE = """
import django
django.setup()
from django.test import Client, RequestFactory
claim = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "bcf.example.org"}
response = Client().get("/sign-out/", **claim)  # a GET answered without a template or the database
print(json.dumps({
    "is_secure": RequestFactory().get("/sign-out/", **claim).is_secure(),
    "status": response.status_code,
    "location": response.get("Location", ""),
}))
"""


def probe(**env) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", "import json\n" + PROBE],
        cwd=ROOT,
        env=production_env(SECURE_SSL_REDIRECT="true", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_x_forwarded_proto_is_trusted_only_behind_a_proxy():
    # No proxy in front (the default): the client's own X-Forwarded-Proto is ignored, so plain
    # HTTP is not secure and is redirected to HTTPS.
    direct = probe()
    assert direct["is_secure"] is False
    assert direct["status"] == 301 and direct["location"] == "https://bcf.example.org/sign-out/"

    # Behind one proxy (TRUSTED_PROXY_COUNT=1) the header is the proxy's, and is believed.
    behind_proxy = probe(TRUSTED_PROXY_COUNT="1")
    assert behind_proxy["is_secure"] is True
    assert behind_proxy["status"] == 405  # reached the view: sign-out takes a POST
