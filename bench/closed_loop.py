"""Closed-loop load with wrk: a fixed number of connections, each sending its next request as soon as
the last is answered (no think time), so a page's requests per second is what the server can do.

Used by bench/run.py for the portal's pages, its floor page and the bare Django anchors alike.
"""

from __future__ import annotations

import http.cookiejar
import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

LUA = Path(__file__).with_name("wrk_report.lua")


def signed_in_cookie(base: str, email: str, password: str) -> str:
    """Sign in through the portal's own form; returns the Cookie header a browser would then send."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/sign-in/", timeout=30).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode({"username": email, "password": password, "csrfmiddlewaretoken": csrf}).encode()
    request = urllib.request.Request(f"{base}/sign-in/", data=form, headers={"Referer": f"{base}/sign-in/"})
    opener.open(request, timeout=30).read()
    if not any(c.name == "sessionid" for c in jar):
        raise RuntimeError(f"{email} could not sign in")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def check_ok(url: str, headers: dict[str, str]) -> None:
    """wrk does not count redirects as failures: make sure the page itself answers 200 first."""
    request = urllib.request.Request(url, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(request, timeout=60) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def drive(url: str, *, headers: dict[str, str] | None = None, connections: int = 20, seconds: int = 10) -> dict:
    """requests_per_s, p50_ms, p95_ms and failures for one URL under closed-loop load."""
    headers = headers or {}
    check_ok(url, headers)
    wrk = shutil.which("wrk")
    if not wrk:
        raise RuntimeError("wrk is missing: scripts/setup.sh --dev installs it")
    command = [wrk, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s", "-s", str(LUA)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    report = json.loads(output.strip().splitlines()[-1])
    return {
        "requests_per_s": round(report["requests"] / (report["duration_us"] / 1e6), 1),
        "p50_ms": round(report["p50_us"] / 1000, 1),
        "p95_ms": round(report["p95_us"] / 1000, 1),
        "requests": report["requests"],
        "failures": report["http_errors"] + report["socket_errors"],
    }
