"""Project-level behaviour: health check, settings, error pages, seed data,
translations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from consultations.models import Client

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_200_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_healthz_answers_503_when_the_database_fails(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    assert client.get("/healthz").status_code == 503


def _load_production_settings(**env):
    """Import the production settings in a fresh interpreter."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}
    }
    clean.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        ALLOWED_HOSTS="ibasho.example.jp",
        LINE_CHANNEL_SECRET="s",
        LINE_CHANNEL_ACCESS_TOKEN="t",
        LINE_SECRETS_KEYS="gXzvNVAjvpYVV_PVgN4nNnVSZ21wOg8IFTJ2FhxVtqI=",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _load_production_settings()
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = _load_production_settings(SECRET_KEY="x" * 50, DEBUG="True")
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_starts_with_its_variables():
    result = _load_production_settings(SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


def test_error_pages_leak_nothing(client_as, counsellor):
    c = client_as(counsellor)
    response = c.get("/clients/999999/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "ページが見つかりません" in body
    assert "Traceback" not in body and "matches the given query" not in body


@override_settings(DEBUG=False)
def test_500_page_is_static_and_says_nothing_of_the_error(
    client_as, counsellor, monkeypatch
):
    from consultations import views

    def explode(*args, **kwargs):
        raise RuntimeError("secret detail: 090-1234-5678")

    monkeypatch.setattr(views.selectors, "client_list", explode)
    c = client_as(counsellor)
    c.raise_request_exception = False
    response = c.get(reverse("consultations:client_list"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "エラーが発生しました" in body
    assert "090-1234-5678" not in body and "RuntimeError" not in body


def test_seed_demo_creates_users_per_role_and_is_deterministic(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for username in ("admin", "counsellor", "coordinator", "facilitator", "city"):
        assert username in out
        assert User.objects.get(username=username).check_password("ibasho-demo-2021")
    assert "city_staff" in out
    first = list(
        Client.objects.order_by("code").values_list("code", "display_name", "area")
    )
    # 40 clients of the NPO, a few of the municipal desk
    assert (
        Client.objects.filter(organisation__name="NPO法人いばしょネット").count() == 40
    )
    # Running it again changes nothing.
    call_command("seed_demo")
    assert "already present" in capsys.readouterr().out
    assert Client.objects.count() == len(first)


def test_seed_demo_is_the_same_every_time():
    """The same seed gives the same data: seed, roll back, seed again."""
    from django.db import transaction

    from consultations.models import Consultation

    def fingerprint():
        return (
            list(Client.objects.order_by("code").values_list("code", "display_name")),
            list(
                Consultation.objects.order_by("started_at", "id").values_list(
                    "started_at", "channel", "client__code", "is_new"
                )
            ),
        )

    with transaction.atomic():
        call_command("seed_demo")
        first = fingerprint()
        transaction.set_rollback(True)
    assert not Client.objects.exists()
    call_command("seed_demo")
    assert fingerprint() == first
    assert len(first[1]) > 200


@override_settings(SEED_DEMO_ALLOWED=False)
def test_seed_demo_is_refused_in_production():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("seed_demo")


def test_pages_are_japanese_by_default_and_english_on_request(client_as, counsellor):
    c = client_as(counsellor)
    page = c.get("/").content.decode()
    assert 'lang="ja"' in page and "ログアウト" in page
    # The browser's language does not override Japanese.
    page = c.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="ja"' in page
    c.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = c.get("/").content.decode()
    assert 'lang="en"' in page and "Log out" in page


def test_every_message_has_a_japanese_translation():
    po = (ROOT / "locale/ja/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    entries = [e.strip() for e in po.split("\n\n")[1:] if e.strip()]
    # An empty translation is a block whose last line is an empty msgstr.
    untranslated = [
        e
        for e in entries
        if e.splitlines()[-1] in ('msgstr ""', 'msgstr[0] ""', 'msgstr[1] ""')
    ]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert not untranslated, untranslated[:3]
    assert not fuzzy, fuzzy[:3]
