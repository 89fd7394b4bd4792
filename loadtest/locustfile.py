"""Locust users for `make loadtest`: many commissioners editing sections and requesting exports at once.

Each user signs in as one commissioner (two per plan, so colleagues really do collide), loads a
section page, and posts the whole form back with the versions it loaded and one narrative answer
changed to a text unique to that request. A 302 means saved: the text is recorded in
LOADTEST_SAVED (one JSON line per save) so loadtest/run.py can check afterwards that every saved
edit is in the database. A conflict page (the colleague saved first) is a correct answer, counted
but not recorded. Users also request the Part 2 export, poll its status and download it when ready.
"""

import html
import json
import os
import random
import re
import uuid
from html.parser import HTMLParser

from locust import HttpUser, between, events, task

PASSWORD = os.environ["LOADTEST_PASSWORD"]
USERS = json.loads(os.environ["LOADTEST_USERS"])  # [{"email", "plan", "sections": [{"key", "url", "fields"}]}]
SAVED_PATH = os.environ["LOADTEST_SAVED"]
EXPORT_KINDS = json.loads(os.environ.get("LOADTEST_EXPORT_KINDS", '["xlsx"]'))
_next_user = iter(range(10**9))
_saved = open(SAVED_PATH, "a", buffering=1)  # noqa: SIM115 - kept open for the run, one line per save


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


class Commissioner(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self):
        spec = USERS[next(_next_user) % len(USERS)]
        self.spec = spec
        self.client.get("/sign-in/", name="sign-in")
        response = self.client.post(
            "/sign-in/",
            {"username": spec["email"], "password": PASSWORD, "csrfmiddlewaretoken": self.client.cookies["csrftoken"]},
            headers={"Referer": self.host + "/sign-in/"},
            name="sign-in",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"{spec['email']} could not sign in: {response.status_code}")

    def _csrf_headers(self, referer):
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", ""), "Referer": self.host + referer}

    @task(6)
    def edit_section(self):
        section = random.choice(self.spec["sections"])
        with self.client.get(section["url"], name="section (GET)", catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"section page: HTTP {page.status_code}")
                return
            parser = FormFields()
            parser.feed(page.text)
            form = parser.fields
        field = random.choice(section["fields"])
        if field not in form:
            return  # the page did not show this question (should not happen): nothing to post
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
                body = html.unescape(re.sub(r"<[^>]+>", " ", response.text))[:300]
                response.failure(f"save: HTTP {response.status_code} {' '.join(body.split())}")

    @task(2)
    def export(self):
        kind = random.choice(EXPORT_KINDS)
        url = f"{self.spec['plan']}exports/{kind}/"
        with self.client.post(
            url,
            headers={**self._csrf_headers(self.spec["plan"]), "Accept": "application/json"},
            name=f"export {kind} (request)",
            catch_response=True,
        ) as response:
            if response.status_code != 202:
                response.failure(f"export request: HTTP {response.status_code}")
                return
            job = response.json()
        with self.client.get(job["status_url"], name=f"export {kind} (status)", catch_response=True) as status:
            if status.status_code != 200:
                status.failure(f"export status: HTTP {status.status_code}")
                return
            job = status.json()
        if job.get("download_url"):
            with self.client.get(job["download_url"], name=f"export {kind} (download)", catch_response=True) as file:
                if file.status_code != 200 or not file.content:
                    file.failure(f"export download: HTTP {file.status_code}")

    @task(1)
    def task_list(self):
        with self.client.get(self.spec["plan"], name="task list", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"task list: HTTP {response.status_code}")


@events.quitting.add_listener
def _close(environment, **kwargs):
    _saved.close()
