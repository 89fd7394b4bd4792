"""Locust users for `make loadtest`: many commissioners editing sections, exporting and submitting at once.

Each Commissioner signs in as one commissioner of a draft plan (two per plan, so colleagues really
do collide), loads a section page, and posts the whole form back with the versions it loaded and
one narrative answer changed to a text unique to that request. A 302 means saved: the text is
recorded in LOADTEST_SAVED (one JSON line per save) so loadtest/run.py can check afterwards that
every saved edit is in the database. A conflict page (the colleague saved first) is a correct
answer, counted but not recorded. Commissioners also request the Part 2 export, poll its status and
download it when ready.

A few Submitters (one per plan in LOADTEST_SUBMITTERS, each plan already signed off) each submit
their plan once through the submit form, as a browser does, and then only read their plan's pages.
A 302 away from the submit page means submitted: it is recorded in LOADTEST_SUBMITTED, so
loadtest/run.py can check that every submission is stored and its PDF and workbook are made.

Everyone pauses between actions as people do (THINK_S), and no request waits longer than TIMEOUT_S.
"""

import html
import json
import os
import random
import re
import uuid
from html.parser import HTMLParser

from locust import HttpUser, between, events, task
from locust.exception import StopUser

PASSWORD = os.environ["LOADTEST_PASSWORD"]
USERS = json.loads(os.environ["LOADTEST_USERS"])  # [{"email", "plan", "sections": [{"key", "url", "fields"}]}]
SUBMITTERS = json.loads(
    os.environ.get("LOADTEST_SUBMITTERS", "[]")
)  # [{"email", "plan", "plan_id", "submit", "status"}]
SAVED_PATH = os.environ["LOADTEST_SAVED"]
SUBMITTED_PATH = os.environ["LOADTEST_SUBMITTED"]
STATS_PATH = os.environ["LOADTEST_STATS"]  # the final stats, written as locust quits
EXPORT_KINDS = json.loads(os.environ.get("LOADTEST_EXPORT_KINDS", '["xlsx"]'))
THINK_S = (1, 5)  # a person's pause between one action and the next
TIMEOUT_S = (10, 60)  # connecting, then waiting for the answer (gunicorn stops a request at 60 s)
_next_user = iter(range(10**9))
_next_submitter = iter(range(10**9))
_environment = None  # locust's, once it starts
_saved = open(SAVED_PATH, "a", buffering=1)  # noqa: SIM115 - kept open for the run, one line per save
_submitted = open(SUBMITTED_PATH, "a", buffering=1)  # noqa: SIM115 - kept open for the run, one line per submission


class FormFields(HTMLParser):
    """The values a browser would post for the page's main form (inputs, textareas, selects)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self._textarea = None
        self._select = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "").lower() == "post" and "novalidate" in a:
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.fields[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self.fields[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def _text(response) -> str:
    """The page's words, for a failure message."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())[:300]


class SignedIn(HttpUser):
    """A person signed in through the sign-in form, who pauses between actions; spec is theirs."""

    abstract = True
    wait_time = between(*THINK_S)

    def sign_in(self, spec: dict) -> None:
        self.spec = spec
        self.client.get("/sign-in/", name="sign-in", timeout=TIMEOUT_S)
        with self.client.post(
            "/sign-in/",
            {
                "username": spec["email"],
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            headers={"Referer": self.host + "/sign-in/"},
            name="sign-in",
            allow_redirects=False,
            timeout=TIMEOUT_S,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{spec['email']} could not sign in: HTTP {response.status_code} {_text(response)}")
                raise StopUser()  # counted as a failed request, so the run fails

    def _csrf_headers(self, referer):
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", ""), "Referer": self.host + referer}

    def read(self, url: str, name: str) -> None:
        # Not following redirects: a page that sends the user to sign in again is a failure, not a page.
        with self.client.get(url, name=name, allow_redirects=False, timeout=TIMEOUT_S, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{name}: HTTP {response.status_code}")


class Commissioner(SignedIn):
    weight = 1  # every user but the Submitters, whose number is fixed

    def on_start(self):
        self.sign_in(USERS[next(_next_user) % len(USERS)])

    @task(6)
    def edit_section(self):
        section = random.choice(self.spec["sections"])
        with self.client.get(
            section["url"], name="section (GET)", allow_redirects=False, timeout=TIMEOUT_S, catch_response=True
        ) as page:
            if page.status_code != 200:
                page.failure(f"section page: HTTP {page.status_code}")
                return
            parser = FormFields()
            parser.feed(page.text)
            form = parser.fields
            field = random.choice(section["fields"])
            if field not in form:
                page.failure(f"section page: no {field} in its form")
                return
        text = f"Load-test edit {uuid.uuid4().hex} by {self.spec['email']}"
        form[field] = text
        form["action"] = "draft"
        form["csrfmiddlewaretoken"] = self.client.cookies.get("csrftoken", "")
        with self.client.post(
            section["url"],
            form,
            headers={"Referer": self.host + section["url"]},
            name="section (POST)",
            allow_redirects=False,
            timeout=TIMEOUT_S,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                _saved.write(json.dumps({"plan": self.spec["plan"], "field": field, "text": text}) + "\n")
                response.success()
            elif response.status_code in (200, 409) and "conflict" in response.text.lower():
                events.request.fire(
                    request_type="INFO", name="edit conflict (colleague saved first)", response_time=0,
                    response_length=0, exception=None, context={},
                )  # fmt: skip
                response.success()
            else:
                response.failure(f"save: HTTP {response.status_code} {_text(response)}")

    @task(2)
    def export(self):
        kind = random.choice(EXPORT_KINDS)
        url = f"{self.spec['plan']}exports/{kind}/"
        with self.client.post(
            url,
            headers={**self._csrf_headers(self.spec["plan"]), "Accept": "application/json"},
            name=f"export {kind} (request)",
            timeout=TIMEOUT_S,
            catch_response=True,
        ) as response:
            if response.status_code != 202:
                response.failure(f"export request: HTTP {response.status_code}")
                return
            job = response.json()
        with self.client.get(
            job["status_url"],
            name=f"export {kind} (status)",
            allow_redirects=False,
            timeout=TIMEOUT_S,
            catch_response=True,
        ) as status:
            if status.status_code != 200:
                status.failure(f"export status: HTTP {status.status_code}")
                return
            job = status.json()
        if job.get("download_url"):
            with self.client.get(
                job["download_url"],
                name=f"export {kind} (download)",
                allow_redirects=False,
                timeout=TIMEOUT_S,
                catch_response=True,
            ) as file:
                if file.status_code != 200 or not file.content:
                    file.failure(f"export download: HTTP {file.status_code}")

    @task(1)
    def task_list(self):
        self.read(self.spec["plan"], "task list")


class Submitter(SignedIn):
    """A commissioner of a signed-off plan: submits it once through the submit form, then only reads."""

    abstract = not SUBMITTERS  # none without signed-off plans
    fixed_count = len(SUBMITTERS)  # one per signed-off plan; each plan can be submitted once

    def on_start(self):
        self.sign_in(SUBMITTERS[next(_next_submitter)])
        self.submitted = False

    @task
    def work(self):
        if self.submitted:
            url, name = random.choice([(self.spec["plan"], "task list"), (self.spec["status"], "plan status")])
            self.read(url, name)
            return
        self.submitted = True  # once, whatever the answer: a refused submission is a failed request
        spec = self.spec
        self.read(spec["submit"], "submit (GET)")  # the page with the button, as a browser shows it first
        with self.client.post(
            spec["submit"],
            {"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")},
            headers={"Referer": self.host + spec["submit"]},
            name="submit (POST)",
            allow_redirects=False,
            timeout=TIMEOUT_S,
            catch_response=True,
        ) as response:
            # Accepted: on to the plan's status page. Refused: back to the submit page with the problems.
            location = response.headers.get("Location", "")
            if response.status_code == 302 and not location.endswith(spec["submit"]):
                _submitted.write(json.dumps({"plan": spec["plan"], "plan_id": spec["plan_id"]}) + "\n")
                response.success()
            else:
                response.failure(f"submit: HTTP {response.status_code} to {location or '-'} {_text(response)}")


@events.init.add_listener
def _keep(environment, **kwargs):
    global _environment
    _environment = environment


@events.quitting.add_listener
def _close(environment, **kwargs):
    _saved.close()
    _submitted.close()


@events.quit.add_listener
def _final_stats(exit_code, **kwargs):
    """Every request's final count, failures and timings (the stats CSV is rewritten only once a second)."""
    stats = _environment.runner.stats
    entries = [*stats.entries.values(), stats.total]
    final = {
        "stats": [
            {
                "type": e.method or "",
                "name": e.name,
                "requests": e.num_requests,
                "failures": e.num_failures,
                "p50_ms": e.get_response_time_percentile(0.5) or 0,
                "p95_ms": e.get_response_time_percentile(0.95) or 0,
                "max_ms": e.max_response_time,
                "rps": e.total_rps,
            }
            for e in entries
        ],
        "failures": [
            {"method": f.method, "name": f.name, "error": f.error, "occurrences": f.occurrences}
            for f in stats.errors.values()
        ],
    }
    with open(STATS_PATH, "w") as f:
        json.dump(final, f)
