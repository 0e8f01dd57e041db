"""A large, realistic, deterministic data set for benchmarks (SPEC §4): the
size of a large city over five fiscal years. ``manage.py seed_scale`` runs it.

Everything is written with ``bulk_create`` in batches (many-to-many rows
through their through-tables), so 100k consultations take a minute or two, not
hours. Invariants the app relies on hold by construction or are derived
set-based afterwards:

* each client has exactly one new (新規) consultation, its earliest: derived
  with ``consultations.resources.consultation_refresh_new`` after the insert;
* each client's cached last contact: ``client_refresh_last_contact`` after
  the support actions;
* stays are planned room by room, one after the other, so two stays that are
  not cancelled never overlap in one room (PostgreSQL's exclusion constraint
  would refuse the insert otherwise);
* one salon visit row per salon and day; one attendance per client and
  session; speakers only with consent.

Only ``rng`` (random.Random(seed)) draws anything, so one seed and one
``until`` date give the same data set every time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group as RoleGroup
from django.db import models
from django.utils import timezone

import jpdates
from accounts import demo, scoping
from accounts.roles import Role
from consultations.casework import client_refresh_last_contact
from consultations.complaints import DemoComplaints
from consultations.demo import AREAS, FAMILY, FAMILY_KANA, GIVEN
from consultations.models import (
    Channel,
    Client,
    CodeSequence,
    Complaint,
    Consultation,
    FollowUp,
    LineMessage,
    LineUser,
    PartnerAgency,
    SupportAction,
)
from consultations.resources import consultation_refresh_new
from consultations.selectors import consultations_between
from consultations.services import CLIENT_CODE_FORMAT
from peergroups.models import Attendance, Session
from peergroups.models import Group as PeerGroup
from shelter.models import (
    Facility,
    OpeningCalendar,
    Room,
    SalonVisit,
    Stay,
    UnmetRequest,
)
from training.models import Event, Speaker, SurveyResponse

BATCH = 2000
ONE_DAY = dt.timedelta(days=1)


@dataclass
class ScaleConfig:
    clients: int = 10_000
    consultations: int = 100_000
    stays: int = 20_000
    years: int = 5
    until: dt.date = field(default_factory=timezone.localdate)
    seed: int = 2021
    counsellors: int = 12
    shelters: int = 4
    rooms_per_shelter: int = 10
    salons: int = 2
    peer_groups: int = 6
    events_per_year: int = 60
    line_users: int = 4_000
    line_messages: int = 40_000

    @property
    def start(self) -> dt.date:
        """1 April of the first of ``years`` fiscal years ending with the
        fiscal year of ``until``."""
        return jpdates.fiscal_year_range(
            jpdates.fiscal_year(self.until) - self.years + 1
        )[0]

    def scaled(self, n: int) -> int:
        """A count given for 100k consultations, scaled to the size asked."""
        return max(1, round(n * self.consultations / 100_000))


@contextlib.contextmanager
def writable_timestamps(*model_fields: tuple[type[models.Model], str]):
    """Let bulk_create keep the created_at/updated_at values we give (auto_now
    and auto_now_add would overwrite them with the moment of the insert)."""
    saved = []
    for model, name in model_fields:
        f = model._meta.get_field(name)
        saved.append((f, f.auto_now, f.auto_now_add))
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def bulk(model: type[models.Model], objs: list) -> list:
    return model.objects.bulk_create(objs, batch_size=BATCH)


class ScaleSeeder:
    def __init__(self, config: ScaleConfig, log: Callable[[str], None] = print):
        self.c = config
        self.rng = random.Random(config.seed)
        self.log = log
        self.tz = timezone.get_current_timezone()
        self.now = dt.datetime.combine(config.until, dt.time(18), tzinfo=self.tz)

    # helpers ---------------------------------------------------------------

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        self.log(f"  {name}: {time.perf_counter() - began:.1f} s")

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.tz)

    def random_day(self, first: dt.date | None = None, last: dt.date | None = None):
        first = first or self.c.start
        last = last or self.c.until
        return first + dt.timedelta(days=self.rng.randrange((last - first).days + 1))

    def office_time(self, day: dt.date) -> dt.datetime:
        return self.at(day, self.rng.randint(9, 19), self.rng.randrange(0, 60, 5))

    # the steps -------------------------------------------------------------

    def run(self) -> dict[str, int]:
        with self.step("users"):
            self.seed_users()
        stamps = [
            (Client, "created_at"),
            (Client, "updated_at"),
            (Consultation, "created_at"),
            (Consultation, "updated_at"),
            (SupportAction, "created_at"),
            (FollowUp, "created_at"),
            (Stay, "created_at"),
            (Stay, "updated_at"),
        ]
        with writable_timestamps(*stamps):
            with self.step("clients"):
                self.seed_clients()
            with self.step("consultations and their complaints"):
                self.seed_consultations()
            with self.step("new flags (consultation_refresh_new)"):
                consultation_refresh_new(c.pk for c in self.clients)
            with self.step("support actions and follow-ups"):
                self.seed_support()
            with self.step("last contacts (client_refresh_last_contact)"):
                client_refresh_last_contact(c.pk for c in self.clients)
            with self.step("shelter: facilities, stays, unmet requests, salons"):
                self.seed_shelter()
        with self.step("peer-support groups, sessions, attendance"):
            self.seed_peergroups()
        with self.step("training events, speakers, surveys"):
            self.seed_training()
        with self.step("LINE users and messages"):
            self.seed_line()
        with self.step("reports: a programme with targets per fiscal year"):
            self.seed_programmes()
        return {
            model._meta.label: model.objects.count()
            for model in (
                Client,
                Consultation,
                Consultation.other_problems.through,
                SupportAction,
                FollowUp,
                Stay,
                UnmetRequest,
                SalonVisit,
                Session,
                Attendance,
                Event,
                SurveyResponse,
                LineUser,
                LineMessage,
            )
        }

    def seed_users(self) -> None:
        User = get_user_model()
        if not User.objects.filter(username=demo.DEMO_USERS[0][0]).exists():
            demo.create_users()
        self.users = {u.username: u for u in User.objects.all()}
        counsellor_group = RoleGroup.objects.get(name=Role.COUNSELLOR)
        password = make_password(demo.DEMO_PASSWORD)
        extra = [
            User(
                username=f"counsellor{n}",
                last_name="相談",
                first_name=f"{n}",
                password=password,
            )
            for n in range(3, self.c.counsellors + 1)
            if f"counsellor{n}" not in self.users
        ]
        organisations = scoping.current().org_ids if scoping.current() else ()
        for user in bulk(User, extra):
            user.groups.add(counsellor_group)
            # Members of the organisation the data set goes to (seed_scale).
            user.organisations.add(*organisations)
            self.users[user.username] = user
        self.counsellors = [
            self.users[name]
            for name in ["counsellor", "counsellor2"]
            + [f"counsellor{n}" for n in range(3, self.c.counsellors + 1)]
        ]

    def seed_clients(self) -> None:
        rng = self.rng
        households = Client.HouseholdType.values
        clients = []
        # The day each client first got in touch, spread over the period.
        self.first_day = {}
        for number in range(1, self.c.clients + 1):
            f = rng.randrange(len(FAMILY))
            given, given_kana = rng.choice(GIVEN)
            first = self.random_day()
            closed = (
                first < self.c.until - dt.timedelta(days=365) and rng.random() < 0.7
            )
            client = Client(
                code=CLIENT_CODE_FORMAT.format(number),
                display_name=f"{FAMILY[f]} {given}",
                kana=f"{FAMILY_KANA[f]} {given_kana}",
                phone=f"070-0{number // 10000:03d}-{number % 10000:04d}"
                if rng.random() < 0.6
                else "",
                age_band=rng.choice(["u20", "20s", "30s", "30s", "40s", "40s", "50s"]),
                household_type=rng.choices(households, weights=[6, 1, 3, 1])[0],
                children_count=rng.choice([0, 1, 1, 2, 2, 3]),
                area=rng.choice(AREAS),
                assigned_counsellor=rng.choice(self.counsellors),
                status=Client.Status.CLOSED if closed else Client.Status.OPEN,
                closure_reason=rng.choice(Client.ClosureReason.values)
                if closed
                else "",
                urgency=rng.choices(Client.Urgency.values, weights=[1, 5, 4])[0],
                no_phone_or_mail=rng.random() < 0.05,
                address_confidential=rng.random() < 0.05,
                created_at=self.at(first, 9),
                updated_at=self.at(first, 9),
            )
            client.refresh_search()
            clients.append(client)
            self.first_day[client.code] = first
        self.clients = bulk(Client, clients)
        CodeSequence.objects.update_or_create(
            name="client", defaults={"last": self.c.clients}
        )

    def seed_consultations(self) -> None:
        rng = self.rng
        c = self.c
        # Most clients consult a few times, a few consult very often.
        anonymous = round(c.consultations * 0.15)
        with_client = c.consultations - anonymous
        weights = [rng.paretovariate(1.3) for _ in self.clients]
        scale = (with_client - len(self.clients)) / sum(weights)
        counts = [1 + int(w * scale) for w in weights]
        # Give the rounding remainder to random clients.
        for i in rng.choices(range(len(counts)), k=with_client - sum(counts)):
            counts[i] += 1
        channels = Channel.values
        channel_weights = [30, 35, 15, 8, 7, 5]  # line, phone, face, sns, email, visit
        complaints = DemoComplaints(rng)
        pk_of = dict(Complaint.objects.values_list("code", "pk"))
        rows = []
        for client, n in zip(self.clients, counts, strict=True):
            first = self.first_day[client.code]
            span = max(1, (c.until - first).days)
            days = [first] + [
                first + dt.timedelta(days=min(span, int(rng.expovariate(1 / 90))))
                for _ in range(n - 1)
            ]
            for day in days:
                rows.append((client, day))
        rows += [(None, self.random_day()) for _ in range(anonymous)]
        rng.shuffle(rows)
        consultations = []
        others = []
        for client, day in rows:
            started = self.office_time(day)
            main, other = complaints.for_consultation(client.pk if client else None)
            others.append(other)
            consultations.append(
                Consultation(
                    main_complaint_id=main,
                    channel=rng.choices(channels, weights=channel_weights)[0],
                    started_at=started,
                    duration_minutes=rng.choice([10, 15, 20, 30, 30, 45, 60, 90]),
                    counsellor=client.assigned_counsellor
                    if client and rng.random() < 0.8
                    else rng.choice(self.counsellors),
                    client=client,
                    summary="相談内容の記録（ベンチマーク用の架空データ）。"
                    * rng.randint(1, 4),
                    is_new=client is None and rng.random() < 0.5,
                    created_at=started,
                    updated_at=started,
                )
            )
        self.consultations = bulk(Consultation, consultations)
        Through = Consultation.other_problems.through
        bulk(
            Through,
            [
                Through(consultation_id=consultation.pk, complaint_id=pk_of[code])
                for consultation, codes in zip(self.consultations, others, strict=True)
                for code in codes
            ],
        )

    def seed_support(self) -> None:
        rng = self.rng
        agencies = list(PartnerAgency.objects.all())
        actions = []
        for _ in range(self.c.scaled(25_000)):
            client = rng.choice(self.clients)
            kind = rng.choices(SupportAction.Kind.values, weights=[5, 2, 3, 1])[0]
            day = self.random_day(self.first_day[client.code])
            actions.append(
                SupportAction(
                    kind=kind,
                    date=day,
                    staff=client.assigned_counsellor,
                    client=client,
                    partner_agency=rng.choice(agencies)
                    if kind in ("accompaniment", "referral")
                    else None,
                    note="支援の記録（架空）",
                    created_at=self.at(day, 17),
                )
            )
        bulk(SupportAction, actions)
        follow_ups = []
        for _ in range(self.c.scaled(3_000)):
            client = rng.choice(self.clients)
            recent = rng.random() < 0.15
            due = (
                self.c.until + dt.timedelta(days=rng.randint(-14, 21))
                if recent
                else self.random_day(self.first_day[client.code])
            )
            done = not recent or rng.random() < 0.3
            follow_ups.append(
                FollowUp(
                    client=client,
                    kind=rng.choice(FollowUp.Kind.values),
                    due_date=due,
                    owner=client.assigned_counsellor,
                    note="折り返し",
                    done_at=self.at(min(due, self.c.until), 16) if done else None,
                    outcome="対応済み" if done else "",
                    created_by=client.assigned_counsellor,
                    created_at=self.at(due - dt.timedelta(days=7), 10),
                )
            )
        bulk(FollowUp, follow_ups)

    def seed_shelter(self) -> None:
        rng = self.rng
        c = self.c
        coordinator = self.users["coordinator"]
        shelters = [
            Facility.objects.get_or_create(
                name=f"シェルター{n}号館", defaults={"kind": Facility.Kind.SHELTER}
            )[0]
            for n in range(1, c.shelters + 1)
        ]
        rooms = bulk(
            Room,
            [
                Room(facility=shelter, name=f"{n}号室", order=n)
                for shelter in shelters
                for n in range(1, c.rooms_per_shelter + 1)
            ],
        )
        salons = [
            Facility.objects.get_or_create(
                name=f"サロン{n}", defaults={"kind": Facility.Kind.SALON}
            )[0]
            for n in range(1, c.salons + 1)
        ]
        # The LINE desk's calendar is seeded by a migration: not a sign of
        # seeded calendars.
        if not OpeningCalendar.objects.exclude(service="line").exists():
            from shelter.demo import _seed_calendars

            _seed_calendars(
                demo.DemoContext(rng=rng, fiscal_year=jpdates.fiscal_year(c.until))
            )

        # Stays: per room, n stays one after the other; the free days are
        # spread over the gaps, so nothing overlaps and the period is covered.
        period = (c.until + dt.timedelta(days=30) - c.start).days
        per_room = [c.stays // len(rooms)] * len(rooms)
        for i in range(c.stays - sum(per_room)):
            per_room[i] += 1
        stays = []
        for room, n in zip(rooms, per_room, strict=True):
            kinds = [
                Stay.Kind.DAY_REST if rng.random() < 0.3 else Stay.Kind.OVERNIGHT
                for _ in range(n)
            ]
            nights = [
                0 if k == Stay.Kind.DAY_REST else rng.choice([1, 1, 2, 2, 3, 4, 5, 7])
                for k in kinds
            ]
            occupied = sum(max(1, x) for x in nights)
            free = period - occupied
            if free < 0:
                raise ValueError("Too many stays for the rooms and the period.")
            cuts = sorted(rng.randrange(free + 1) for _ in range(n))
            gaps = [b - a for a, b in zip([0, *cuts[:-1]], cuts, strict=True)]
            day = c.start
            for kind, length, gap in zip(kinds, nights, gaps, strict=True):
                day += dt.timedelta(days=gap)
                end = day + dt.timedelta(days=length)
                client = rng.choice(self.clients)
                cancelled = rng.random() < 0.05
                if cancelled:
                    status = Stay.Status.CANCELLED
                elif day > c.until:
                    status = Stay.Status.RESERVED
                elif end > c.until or (kind == Stay.Kind.DAY_REST and day == c.until):
                    status = Stay.Status.CHECKED_IN
                else:
                    status = Stay.Status.COMPLETED
                stays.append(
                    Stay(
                        room=room,
                        client=client,
                        kind=kind,
                        start_date=day,
                        end_date=end,
                        children=rng.choice([0, 0, 1, 1, 2, 3]),
                        status=status,
                        checked_in_at=self.at(day, 15)
                        if status in (Stay.Status.CHECKED_IN, Stay.Status.COMPLETED)
                        else None,
                        checked_out_at=self.at(end, 10)
                        if status == Stay.Status.COMPLETED
                        else None,
                        cancelled_at=self.at(day - ONE_DAY, 12) if cancelled else None,
                        created_by=coordinator,
                        created_at=self.at(day - dt.timedelta(days=3), 11),
                        updated_at=self.at(min(end, c.until), 11),
                    )
                )
                day = end if length else day + ONE_DAY
        bulk(Stay, stays)

        bulk(
            UnmetRequest,
            [
                UnmetRequest(
                    date=self.random_day(),
                    client=rng.choice(self.clients) if rng.random() < 0.7 else None,
                    reason=rng.choice(UnmetRequest.Reason.values),
                    wanted=rng.choice(Stay.Kind.values),
                    note="",
                    created_by=coordinator,
                )
                for _ in range(self.c.scaled(3_000))
            ],
        )

        # Salons: one row per salon and open day (Mon, Wed–Sat, not holidays).
        holidays = jpdates.public_holidays(c.start, c.until)
        visits = []
        for salon in salons:
            for day in jpdates.days(c.start, c.until):
                if day.weekday() == 1 or day.weekday() == 6 or day in holidays:
                    continue
                visits.append(
                    SalonVisit(
                        facility=salon,
                        date=day,
                        visitors=rng.randint(0, 25),
                        created_by=coordinator,
                    )
                )
        visits = bulk(SalonVisit, visits)
        Through = SalonVisit.clients.through
        bulk(
            Through,
            [
                Through(salonvisit_id=visit.pk, client_id=client.pk)
                for visit in visits
                for client in rng.sample(
                    self.clients, min(visit.visitors, rng.randint(0, 3))
                )
            ],
        )

    def seed_peergroups(self) -> None:
        rng = self.rng
        c = self.c
        facilitator = self.users["facilitator"]
        groups = [
            PeerGroup.objects.get_or_create(name=f"ピアサポートの会{n}")[0]
            for n in range(1, c.peer_groups + 1)
        ]
        sessions = []
        for index, group in enumerate(groups):
            day = c.start + dt.timedelta(days=index)
            while day <= c.until:
                multi = day.month == 1 and day.day <= 7 and rng.random() < 0.5
                sessions.append(
                    Session(
                        group=group,
                        date=day,
                        end_date=day + dt.timedelta(days=2) if multi else None,
                        start_time=dt.time(13, 30),
                        end_time=dt.time(15, 30),
                        place="市民交流センター",
                        facilitator=facilitator,
                        theme=rng.choice(["語り合い", "子育て", "仕事", "からだと心"]),
                        anonymous_count=rng.randint(0, 10),
                    )
                )
                day += dt.timedelta(days=7 * rng.choice([1, 1, 2]))
        sessions = bulk(Session, sessions)
        bulk(
            Attendance,
            [
                Attendance(session_id=session.pk, client_id=client.pk)
                for session in sessions
                for client in rng.sample(self.clients, rng.randint(0, 8))
            ],
        )

    def seed_training(self) -> None:
        rng = self.rng
        c = self.c
        kinds = Event.Kind.values
        events = []
        taken = set()
        for _ in range(c.years * c.events_per_year):
            day = self.random_day()
            title = (
                f"{rng.choice(['DV防止', 'ひとり親支援', '傾聴', 'こころの健康'])}研修"
            )
            if (day, title) in taken:
                continue
            taken.add((day, title))
            events.append(
                Event(
                    kind=rng.choice(kinds),
                    date=day,
                    title=title,
                    venue="市民会館",
                    participant_count=rng.randint(10, 120),
                )
            )
        events = bulk(Event, events)
        bulk(
            Speaker,
            [
                Speaker(
                    event=event,
                    client=rng.choice(self.clients),
                    talk_title="わたしの経験",
                    consent=True,
                )
                for event in events
                if rng.random() < 0.3
            ],
        )
        bulk(
            SurveyResponse,
            [
                SurveyResponse(
                    event=event,
                    satisfaction=rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 5, 10, 8])[
                        0
                    ],
                    comment=rng.choice(["", "", "参考になりました"]),
                )
                for event in events
                for _ in range(rng.randint(5, 40))
            ],
        )

    def seed_line(self) -> None:
        rng = self.rng
        c = self.c
        linked = rng.sample(self.clients, min(len(self.clients), c.line_users * 2 // 3))
        line_users = []
        for n in range(c.line_users):
            first = self.random_day()
            line_users.append(
                LineUser(
                    line_user_id=f"U{uuid.UUID(int=rng.getrandbits(128)).hex}",
                    display_name=f"LINE{n}",
                    client=linked[n] if n < len(linked) else None,
                    first_contact_at=self.at(first, 9),
                    last_event_at=self.at(first, 9),
                )
            )
        line_users = bulk(LineUser, line_users)
        messages = []
        last = {}
        counsellors = self.counsellors
        for _ in range(c.line_messages):
            user = rng.choice(line_users)
            first = timezone.localtime(user.first_contact_at).date()
            sent = self.office_time(self.random_day(first))
            incoming = rng.random() < 0.6
            recent = sent > self.now - dt.timedelta(days=3)
            messages.append(
                LineMessage(
                    line_user=user,
                    direction=LineMessage.Direction.INCOMING
                    if incoming
                    else LineMessage.Direction.OUTGOING,
                    kind=LineMessage.Kind.TEXT,
                    status="" if incoming else LineMessage.Status.SENT,
                    text="こんにちは。相談したいことがあります。",
                    webhook_event_id=uuid.UUID(int=rng.getrandbits(128)).hex
                    if incoming
                    else None,
                    sent_at=sent,
                    read_at=None
                    if (incoming and recent)
                    else sent
                    if incoming
                    else None,
                    sent_by=None if incoming else rng.choice(counsellors),
                )
            )
            last[user.pk] = max(last.get(user.pk, sent), sent)
        bulk(LineMessage, messages)
        for user in line_users:
            if user.pk in last:
                user.last_event_at = last[user.pk]
        LineUser.objects.bulk_update(line_users, ["last_event_at"], batch_size=BATCH)

    def seed_programmes(self) -> None:
        """The demo programme (reports/demo.py: targets like Ueda's) in every
        fiscal year of the period, so that the annual report has targets, and
        the year's records attributed to it, as an upgrade attributes the
        records made before programmes (reports 0006): a programme's report
        counts only its records, so it would show zeros otherwise."""
        from reports.attribution import KINDS
        from reports.demo import seed_programme
        from reports.models import Programme

        first = jpdates.fiscal_year(self.c.start)
        for fiscal_year in range(first, jpdates.fiscal_year(self.c.until) + 1):
            seed_programme(
                demo.DemoContext(
                    rng=self.rng, fiscal_year=fiscal_year, users=self.users
                )
            )
            programme = Programme.objects.latest("pk")  # the one just made
            start, end = jpdates.fiscal_year_range(fiscal_year)
            for kind in KINDS:
                if kind.date_field == "started_at":
                    in_year = consultations_between(start, end)
                else:
                    in_year = models.Q(**{f"{kind.date_field}__range": (start, end)})
                kind.model_class.objects.filter(in_year, programme__isnull=True).update(
                    programme=programme
                )
