"""Locust users for `make bench`: signed-in commissioners, assurers and national admins.

Every page is requested under the same load as the floor page (the portal's own base page
for a signed-in user with no plan data), so each page's latency is read as a ratio to it.
The pages to request come from bench/run.py through the BENCH_PAGES environment variable.
"""

import json
import os
import random

from locust import HttpUser, between, task

PASSWORD = os.environ["BENCH_PASSWORD"]
PAGES = json.loads(os.environ["BENCH_PAGES"])  # {"role": {"users": [...], "pages": {name: [urls]}}}


class SignedInUser(HttpUser):
    abstract = True
    role = ""
    wait_time = between(0.05, 0.2)

    def on_start(self):
        spec = PAGES[self.role]
        index = random.randrange(len(spec["users"]))
        self.email = spec["users"][index]
        self.pages = {name: urls[index % len(urls)] for name, urls in spec["pages"].items()}
        # The API answers personal tokens only (bench/run.py issues one to the national admin).
        self.api_headers = {"Authorization": f"Bearer {spec['api_key']}"} if spec.get("api_key") else {}
        self.client.get("/sign-in/", name="sign-in")
        token = self.client.cookies.get("csrftoken")
        response = self.client.post(
            "/sign-in/",
            {"username": self.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/sign-in/"},
            name="sign-in",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"{self.email} could not sign in: {response.status_code}")

    @task
    def page(self):
        name = random.choice(list(self.pages))
        url = self.pages[name]
        headers = self.api_headers if url.startswith("/api/") else {}
        with self.client.get(url, name=name, headers=headers, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{name}: HTTP {response.status_code}")


class Commissioner(SignedInUser):
    role = "commissioner"
    weight = 12


class Assurer(SignedInUser):
    role = "assurer"
    weight = 3


class NationalAdmin(SignedInUser):
    role = "national_admin"
    weight = 2


if "return_commissioner" in PAGES:  # bench/run.py adds it when the seed left a return in progress

    class ReturnCommissioner(SignedInUser):
        """A commissioner of an approved plan working on its monitoring return."""

        role = "return_commissioner"
        weight = 4


class FloorUser(SignedInUser):
    role = "floor"
    weight = 3
