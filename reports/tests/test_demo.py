"""seed_demo adds the FY2021 programme modelled on the Ueda report (the
NPO's 居場所 programme, funded by the city) and the SNS programme of its LINE
chats (funded by the prefecture)."""

import io
import json
import random

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts import scoping
from accounts.demo import DemoContext
from accounts.models import Organisation, User
from consultations.line import demo as line_demo
from consultations.models import Channel, LineChat
from reports import demo as reports_demo
from reports.models import Programme

pytestmark = pytest.mark.django_db


def test_the_demo_programme_has_uedas_targets_and_every_section():
    call_command("seed_demo", stdout=io.StringIO())
    programme = Programme.objects.get(fiscal_year=2021, funder__name="長野県いばしょ市")
    for name in (
        "local_situation",
        "purpose",
        "features",
        "effects",
        "future_issues",
        "overview",
    ):
        assert getattr(programme, name)
    data = annual_report_json(programme)
    assert [(i["label"], i["target"], i["unit"]) for i in data["indicators"]] == [
        ("社会全体を「男女平等である」と回答した人の割合", 20, "%"),
        ("一時宿泊数", 100, "泊"),
        ("ピアサポートグループ参加者数", 25, "人"),
        ("ピアサポートグループ開催回数", 5, "回"),
        ("人材育成事業研修会回数", 2, "回"),
        ("人材育成事業研修会参加者の満足度", 80, "%"),
    ]
    survey = data["indicators"][0]
    assert (survey["baseline"], survey["baseline_year"], survey["target_year"]) == (
        12.7,
        2020,
        2025,
    )
    assert all(i["actual"] is not None for i in data["indicators"][1:])


def annual_report_json(programme) -> dict:
    out = io.StringIO()
    call_command(
        "annual_report",
        "--fiscal-year",
        "2021",
        "--programme",
        str(programme.pk),
        stdout=out,
    )
    return json.loads(out.getvalue())


def sns_programme() -> Programme:
    """The programme of the NPO's LINE chats."""
    return Programme.objects.get(
        fiscal_year=2021, funder__name="長野県", rules__record_kind="line_chat"
    )


def test_the_demo_has_a_year_of_line_chats_each_with_its_line_consultation(client):
    call_command("seed_demo", stdout=io.StringIO())
    # The demo's live conversations have chats of their own (waiting, in
    # progress, one ended); the year's ended chats are those of people with
    # no stored message.
    chats = LineChat.objects.select_related("consultation").filter(
        status=LineChat.Status.ENDED
    )
    year = chats.filter(line_user__messages__isnull=True)
    assert year.count() > 50
    for chat in year:
        assert chat.consultation.channel == Channel.LINE
        assert chat.consultation.started_at == chat.started_at
        minutes = (chat.ended_at - chat.started_at).total_seconds() / 60
        assert chat.consultation.duration_minutes == max(1, round(minutes))
    sns = annual_report_json(sns_programme())["sns"]
    assert sns["chats"] == chats.count()
    # a realistic spread: every band, some 不成立, some outside hours
    assert all(n > 0 for n in sns["duration_bands"].values())
    assert 0 < sns["not_established"] < sns["established"]
    assert 0 < sns["out_of_hours"] < sns["chats"]
    assert 1 <= sns["first_response_median_minutes"] <= 20
    assert sum(m["chats"] > 0 for m in sns["by_month"]) == 12
    # The people of these chats have no stored messages: the inbox and their
    # conversation still open.
    client.force_login(User.objects.get(username="counsellor"))
    assert client.get(reverse("line:inbox")).status_code == 200
    person = chats.first().line_user
    assert client.get(person.get_absolute_url()).status_code == 200


def test_the_demo_chats_leave_every_other_figure_of_the_report_as_it_was(
    monkeypatch,
):
    seed_chats = line_demo.seed_chats
    monkeypatch.setattr(line_demo, "seed_chats", lambda ctx, channels: 0)
    call_command("seed_demo", stdout=io.StringIO())
    without = annual_report_json(sns_programme())
    # only the chats of the demo's live conversations
    assert (
        without["sns"]["chats"]
        == LineChat.objects.filter(status=LineChat.Status.ENDED).count()
    )
    npo = Organisation.objects.get(name="NPO法人いばしょネット")
    with scoping.organisations([npo.pk]):
        ctx = DemoContext(rng=random.Random(2021), fiscal_year=2021)
        seed_chats(ctx, line_demo.seed_channels())
        reports_demo.attribute(ctx)  # the chats fall under the SNS programme
    with_chats = annual_report_json(sns_programme())
    assert with_chats["sns"]["chats"] - without["sns"]["chats"] > 50
    del without["sns"], with_chats["sns"]
    assert with_chats == without
