"""Login, sessions, two-factor, headers and deployment checks."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from accounts.roles import Role
from tests.app_role import ensure_app_role
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
LOGIN = "/accounts/login/"
BAD_LOGIN = "正しいユーザー名とパスワードを入力してください"
LOCKED = "ログインに続けて失敗したため"


def post_login(client, username, password, ip="10.0.0.1"):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_unknown_user_and_wrong_password_get_the_same_message(client, make_user):
    make_user(Role.COUNSELLOR, username="yumi")
    wrong = post_login(client, "yumi", "wrong-password")
    unknown = post_login(client, "nobody-here", "wrong-password")
    assert BAD_LOGIN in wrong.content.decode() and BAD_LOGIN in unknown.content.decode()


def test_repeated_failures_lock_the_login_for_known_and_unknown_users(
    client, make_user
):
    make_user(Role.COUNSELLOR, username="yumi")
    for username in ("yumi", "nobody-here"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            post_login(client, username, "wrong-password")
        locked = post_login(client, username, "wrong-password")
        assert locked.status_code == 429
        assert LOCKED in locked.content.decode()
    # Even the right password is refused while locked ...
    assert LOCKED in post_login(client, "yumi", "test-password-123").content.decode()
    # ... but only for that username from that address.
    assert (
        post_login(client, "yumi", "test-password-123", ip="10.0.0.2").status_code
        == 302
    )
    assert settings.AXES_COOLOFF_TIME.total_seconds() > 0


def test_login_gives_a_new_session_id(client, make_user):
    make_user(Role.COUNSELLOR, username="yumi")
    client.get(LOGIN)
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    post_login(client, "yumi", "test-password-123")
    assert client.session.session_key != before


def test_sessions_expire_after_30_idle_minutes(client, make_user):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    make_user(Role.COUNSELLOR, username="yumi")
    post_login(client, "yumi", "test-password-123")
    response = client.get("/")
    assert response.status_code == 200
    # 31 minutes later, with no request in between, the session is gone.
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(minutes=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_request_pushes_the_idle_limit_back_at_most_once_a_minute(client, make_user):
    make_user(Role.COUNSELLOR, username="yumi")
    post_login(client, "yumi", "test-password-123")
    key = client.cookies["sessionid"].value

    def expiry():
        return Session.objects.get(session_key=key).expire_date

    # A request just after signing in writes nothing: no query changes the
    # session and no new cookie is sent.
    before = expiry()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert not [
        q for q in queries if "UPDATE" in q["sql"] and "django_session" in q["sql"]
    ]
    assert expiry() == before
    # A minute later the next request pushes the expiry 30 minutes past now.
    session = client.session
    session["_seen"] -= settings.SESSION_REFRESH_SECONDS
    session.save()
    response = client.get("/")
    assert response.cookies["sessionid"]["max-age"] == 1800
    left = expiry() - timezone.now()
    assert (
        timezone.timedelta(minutes=29, seconds=50)
        < left
        <= timezone.timedelta(minutes=30)
    )


@override_settings(OTP_REQUIRED=True, OTP_TOTP_THROTTLE_FACTOR=0)
def test_two_factor_enrolment_then_verification(client, make_user):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    make_user(Role.COUNSELLOR, username="yumi")
    post_login(client, "yumi", "test-password-123")
    # Signed in with a password only: every page leads to the second factor.
    response = client.get(reverse("consultations:client_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp"))
    page = client.get(reverse("accounts:otp"))
    assert "<svg" in page.content.decode()  # the QR code to scan
    device = TOTPDevice.objects.get(user__username="yumi")
    assert not device.confirmed
    wrong = client.post(reverse("accounts:otp"), {"token": "000000", "next": "/"})
    assert "コードが正しくありません" in wrong.content.decode()
    good = f"{totp(device.bin_key):06d}"
    response = client.post(
        reverse("accounts:otp"), {"token": good, "next": "/clients/"}
    )
    assert response.status_code == 302 and response["Location"] == "/clients/"
    assert client.get("/clients/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    # Next login: a code is asked, no new QR code.
    client.post(reverse("accounts:logout"))
    post_login(client, "yumi", "test-password-123")
    page = client.get(reverse("accounts:otp")).content.decode()
    assert "<svg" not in page


@override_settings(OTP_REQUIRED=True)
def test_the_second_factor_of_a_session_is_checked_with_the_user_in_one_query(
    client, make_user
):
    """The session's TOTP device counts while it is one of her confirmed
    devices, read in the query that loads her (with her organisations and
    roles): no query of its own. A device taken back, unconfirmed, or
    another user's, sends her to the second factor again."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    yumi = make_user(Role.COUNSELLOR, username="yumi")
    other = make_user(Role.COUNSELLOR, username="other")
    device = TOTPDevice.objects.create(user=yumi, name="phone", confirmed=True)
    theirs = TOTPDevice.objects.create(user=other, name="phone", confirmed=True)
    client.force_login(yumi)

    def page_with(device):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("home"))
        return response, [q["sql"] for q in ctx.captured_queries]

    response, queries = page_with(device)
    assert response.status_code == 200
    assert "ログアウト" in response.content.decode()
    assert not [q for q in queries if q.startswith('SELECT "otp_totp_totpdevice"')]
    assert not [q for q in queries if q.startswith('SELECT "auth_group"')]
    response, _ = page_with(theirs)
    assert response["Location"].startswith(reverse("accounts:otp"))
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=False)
    response, _ = page_with(device)
    assert response["Location"].startswith(reverse("accounts:otp"))
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    assert page_with(device)[0].status_code == 200
    device.delete()
    response, _ = page_with(device)
    assert response["Location"].startswith(reverse("accounts:otp"))


def test_security_headers_on_a_page_with_personal_data(client_as, counsellor):
    person = ClientFactory()
    response = client_as(counsellor).get(
        reverse("consultations:client_detail", args=[person.pk])
    )
    assert "no-store" in response["Cache-Control"]
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "onchange=" not in response.content.decode()  # no inline handlers under CSP


def check_deploy(database_url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="k7#Lq9!vX2@pR4$wZ8^mN1&bT6*yH3(sJ5)dF0_gC-uE+aQ=iO",
        ALLOWED_HOSTS="ibasho.example.jp",
        LINE_CHANNEL_SECRET="s",
        LINE_CHANNEL_ACCESS_TOKEN="t",
        LINE_SECRETS_KEYS="gXzvNVAjvpYVV_PVgN4nNnVSZ21wOg8IFTJ2FhxVtqI=",
        DATABASE_URL=database_url,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def postgresql_url(role: str) -> str:
    """The test database, as ``role``."""
    s = connection.settings_dict
    return f"postgres://{role}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def test_check_deploy_passes_with_the_production_settings():
    if connection.vendor == "postgresql":
        # As the app's own role, as in production: row-level security does
        # not apply to a superuser, and the deploy check says so (below).
        database_url = postgresql_url(ensure_app_role())
    else:
        database_url = os.environ.get("DATABASE_URL", "sqlite:////tmp/ibasho-deploy.db")
    result = check_deploy(database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level security")
def test_check_deploy_warns_when_the_app_connects_as_a_superuser():
    result = check_deploy(postgresql_url(connection.settings_dict["USER"]))
    assert result.returncode != 0
    assert "accounts.W001" in result.stderr + result.stdout
    assert "superuser" in result.stderr + result.stdout


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
def test_postgresql_refuses_to_change_or_delete_audit_entries(counsellor):
    from django.db import DatabaseError

    from accounts.audit import audit

    entry = audit(user=counsellor, action=AuditEntry.Action.VIEW, object_type="x")
    for sql in (
        "UPDATE accounts_auditentry SET detail = 'x' WHERE id = %s",
        "DELETE FROM accounts_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as c,
        ):
            c.execute(sql, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, detail="").exists()


# NUL CHARACTERS IN PARAMETERS (issue 15, F8)
# ------------------------------------------------------------------------------

# (method, path, form data): the requests that gave a 500 on PostgreSQL, and a
# few more shapes of the same input. CODE stands for an existing client's code.
NUL_REQUESTS = {
    "lookup-q": ("get", "/clients/lookup/?q=a%00b", None),
    "new-consultation-get": ("get", "/consultations/new/?client=%00", None),
    "new-consultation-post-query": ("post", "/consultations/new/?client=%00", {}),
    "new-consultation-post-field": (
        "post",
        "/consultations/new/",
        {"client": "CODE\x00"},
    ),
    "post-field-name": ("post", "/consultations/new/", {"summary\x00": "x"}),
    "new-stay-q": ("get", "/shelter/stays/new/?q=%00", None),
    "query-name": ("get", "/shelter/stays/new/?q%00=x", None),
}


def in_english(client):
    """The messages in English (the msgids), whatever the catalogue holds."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.parametrize("name", NUL_REQUESTS)
def test_a_nul_in_a_query_parameter_or_form_field_gives_a_400_page(
    client_as, make_user, name
):
    from consultations.models import Consultation

    user = make_user(Role.COUNSELLOR, Role.COORDINATOR, username="both")
    code = ClientFactory().code
    method, path, data = NUL_REQUESTS[name]
    if data:
        data = {k: v.replace("CODE", code) for k, v in data.items()}
    before = (Consultation.objects.count(), AuditEntry.objects.count())
    response = getattr(in_english(client_as(user)), method)(path, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "contained a NUL character" in page and "Nothing was saved." in page
    assert (Consultation.objects.count(), AuditEntry.objects.count()) == before


def test_a_nul_in_a_multipart_form_field_gives_a_400(client_as, counsellor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_as(counsellor).post(
        "/consultations/new/",
        {"summary": "a\x00b", "attachment": SimpleUploadedFile("a.txt", b"x")},
    )
    assert response.status_code == 400


def test_requests_without_nul_are_not_refused(client_as, counsellor):
    """The same pages with ordinary (and other control) characters work."""
    client = client_as(counsellor)
    assert client.get("/clients/lookup/?q=%E8%8A%B1%01").status_code == 200
    assert client.get("/consultations/new/?client=C-000001").status_code == 200


# "NEXT" REDIRECTS (issue 15, F9)
# ------------------------------------------------------------------------------

ELSEWHERE = [
    "https://evil.example/",
    "//evil.example/",
    "http://testserver@evil.example/",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_reassigning_never_redirects_to_another_site(client_as, make_user, target):
    admin = make_user(Role.ADMIN, username="boss")
    other = make_user(Role.COUNSELLOR, username="other")
    person = ClientFactory()
    response = client_as(admin).post(
        reverse("consultations:client_reassign", args=[person.pk]),
        {"counsellor": other.pk, "version": person.version, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == person.get_absolute_url()
    person.refresh_from_db()
    assert person.assigned_counsellor == other  # the reassignment was made


def test_reassigning_follows_a_next_inside_the_site(client_as, admin_user):
    person = ClientFactory()
    response = client_as(admin_user).post(
        reverse("consultations:client_reassign", args=[person.pk]),
        {"counsellor": "", "version": person.version, "next": "/team/"},
    )
    assert response["Location"] == "/team/"


def shelter_posts():
    """(path, data, default redirect) for each shelter view that follows
    ``next``, made fresh for each test."""
    import datetime as dt

    from shelter.services import stay_book
    from shelter.tests.factories import (
        RoomFactory,
        SalonFactory,
        UnmetRequestFactory,
    )

    room = RoomFactory()
    stay = stay_book(
        by=None,
        room=room,
        client=ClientFactory(),
        start=dt.date(2021, 10, 1),
        end=dt.date(2021, 10, 4),
    )
    unmet = UnmetRequestFactory()
    salon = SalonFactory()
    person = ClientFactory()
    return {
        "stay-create": (
            reverse("shelter:stay_create"),
            {
                "client": person.code,
                "room": room.pk,
                "kind": "overnight",
                "start_date": "2021-11-05",
                "end_date": "2021-11-08",
                "children": "0",
            },
            reverse("shelter:calendar") + "?month=2021-11",
        ),
        "stay-action": (
            reverse("shelter:stay_action", args=[stay.pk, "check-in"]),
            {},
            stay.get_absolute_url(),
        ),
        "unmet-create": (
            reverse("shelter:unmet_create"),
            {"date": "2021-10-02", "reason": "no_room", "wanted": "overnight"},
            reverse("shelter:unmet_list"),
        ),
        "unmet-delete": (
            reverse("shelter:unmet_delete", args=[unmet.pk]),
            {},
            reverse("shelter:unmet_list"),
        ),
        "salon-create": (
            reverse("shelter:salon_create"),
            {"facility": salon.pk, "date": "2021-10-06", "visitors": "5"},
            reverse("shelter:salon_list") + "?month=2021-10",
        ),
    }


SHELTER_VIEWS = ["stay-create", "stay-action", "unmet-create", "unmet-delete"]


@pytest.mark.parametrize("target", ELSEWHERE[:2])
@pytest.mark.parametrize("view", [*SHELTER_VIEWS, "salon-create"])
def test_shelter_forms_never_redirect_to_another_site(
    client_as, coordinator, view, target
):
    path, data, default = shelter_posts()[view]
    response = client_as(coordinator).post(path, {**data, "next": target})
    assert response.status_code == 302
    assert response["Location"] == default


def test_the_booking_form_does_not_carry_a_next_to_another_site(client_as, coordinator):
    page = client_as(coordinator).get(
        reverse("shelter:stay_create") + "?next=https://evil.example/"
    )
    # Neither the booking form nor its Cancel link carries it. (The search
    # form and the language switch keep the page's own parameters, and the
    # views they lead to check them again.)
    booking_form = page.content.decode().split('role="search"')[0]
    assert (
        "evil.example" not in booking_form.split('<form method="post" class="form"')[1]
    )


@override_settings(OTP_REQUIRED=True, OTP_TOTP_THROTTLE_FACTOR=0)
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        # Over HTTPS, an http:// URL of the site itself is a downgrade.
        ("http://testserver/clients/", "/"),
        ("https://testserver/clients/", "https://testserver/clients/"),
        ("/clients/", "/clients/"),
    ],
)
def test_the_second_factor_redirects_only_within_the_site_over_https(
    client, make_user, target, expected
):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    make_user(Role.COUNSELLOR, username="yumi")
    client.post(
        LOGIN, {"username": "yumi", "password": "test-password-123"}, secure=True
    )
    client.get(reverse("accounts:otp"), secure=True)  # makes the device
    device = TOTPDevice.objects.get(user__username="yumi")
    response = client.post(
        reverse("accounts:otp"),
        {"token": f"{totp(device.bin_key):06d}", "next": target},
        secure=True,
    )
    assert response.status_code == 302
    assert response["Location"] == expected


# NO INLINE SCRIPT (issue 15, F11)
# ------------------------------------------------------------------------------

INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)


def project_templates() -> list[Path]:
    folders = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    folders += [p for p in ROOT.glob("*/templates") if ".venv" not in p.parts]
    return sorted({t for folder in folders for t in folder.rglob("*.html")})


def test_no_template_has_an_inline_event_handler_or_script():
    """The CSP (script-src 'self') blocks inline handlers such as
    onclick="return confirm(...)": a confirmation written that way is
    silently skipped. Confirmations use data-confirm (static/js/ibasho.js)."""
    templates = project_templates()
    assert len(templates) > 50  # the scan does reach the templates
    found = [
        f"{t.relative_to(ROOT)}: {m.group(0)[:80]}"
        for t in templates
        for pattern in (INLINE_HANDLER, INLINE_SCRIPT)
        for m in pattern.finditer(t.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_inline_handler_check_finds_what_it_looks_for():
    assert INLINE_HANDLER.search('<button class="x" onclick="return confirm(1)">')
    assert INLINE_HANDLER.search('<form\n  onsubmit="return f()">')
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/ibasho.js" defer>')
    assert not INLINE_HANDLER.search('<button data-confirm="削除しますか？">')
