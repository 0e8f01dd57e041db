"""A day's work under load, for locust (run by ``bench/floor.py --parts mix``,
which writes the plan this file reads: users and records of the data set).

Counsellors go through their day: the worklist, the consultation list and a
consultation's form, the client list and a search, a client's page, the LINE
inbox and a conversation. Supervisors (the admin role) watch the team
worklist; coordinators the shelter calendar and the stays. Everybody waits
1–3 s between pages. Every page is asked with GET only: nothing is saved
(opening a client's page writes its audit entry, as in the app).
"""

import itertools
import json
import os
import random
import urllib.parse
from pathlib import Path

from locust import HttpUser, between, task

PLAN = json.loads(Path(os.environ["IBASHO_MIX_PLAN"]).read_text())
# bench/floor.py signed everyone in: a session cookie per person, handed out
# in turn as locust starts people of each kind.
SESSIONS = {kind: itertools.cycle(c) for kind, c in PLAN["sessions"].items()}


class Staff(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    kind = ""

    def on_start(self):
        for part in next(SESSIONS[self.kind]).split("; "):
            name, value = part.split("=", 1)
            self.client.cookies.set(name, value)

    def page(self, name: str, path: str) -> None:
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"answered {response.status_code}")


class Counsellor(Staff):
    weight = 16
    kind = "counsellor"

    @task(4)
    def worklist(self):
        self.page("Home (worklist)", "/")

    @task(2)
    def consultations(self):
        self.page("Consultations", "/consultations/")

    @task(2)
    def consultation_form(self):
        pk = random.choice(PLAN["consultations"])
        self.page("Consultation form (edit)", f"/consultations/{pk}/")

    @task(1)
    def clients(self):
        self.page("Clients", "/clients/")

    @task(2)
    def client_search(self):
        q = urllib.parse.quote(random.choice(PLAN["search"]))
        self.page("Clients, search", f"/clients/?q={q}")

    @task(3)
    def client(self):
        self.page("Client detail", f"/clients/{random.choice(PLAN['clients'])}/")

    @task(2)
    def line_inbox(self):
        self.page("LINE inbox", "/line/inbox/")

    @task(2)
    def line_conversation(self):
        pk = random.choice(PLAN["line_users"])
        self.page("LINE conversation", f"/line/inbox/{pk}/")


class Supervisor(Staff):
    fixed_count = 2
    kind = "supervisor"

    @task
    def team(self):
        self.page("Team worklist", "/team/")


class Coordinator(Staff):
    fixed_count = 2
    kind = "coordinator"

    @task(3)
    def calendar(self):
        self.page("Shelter calendar", f"/shelter/calendar/?month={PLAN['month']}")

    @task(2)
    def stays(self):
        self.page("Stays", "/shelter/stays/")
