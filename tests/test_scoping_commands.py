"""Commands act for one organisation (issue 18): import_records and
seed_scale take --organisation, required when the database has several."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts import scoping
from accounts.models import Organisation
from accounts.roles import Role
from consultations.models import Client, Consultation
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
HEADER = "日付,時刻,相談方法,相談者コード,新規,担当者,主訴,内容,所要時間"


def write_csv(tmp_path, rows):
    path = tmp_path / "consultations.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def run_cli(path, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import_records", "consultations", str(path), *args, stdout=out, stderr=err
        )
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def two_organisations(make_user):
    a = Organisation.objects.create(name="A")
    b = Organisation.objects.create(name="B")
    make_user(Role.COUNSELLOR, username="a-counsellor", organisations=[a])
    make_user(Role.COUNSELLOR, username="b-counsellor", organisations=[b])
    with scoping.organisations([b.pk]):
        ClientFactory(code="B-000001")
    return a, b


def test_import_records_wants_the_organisation_when_there_are_several(
    tmp_path, two_organisations
):
    path = write_csv(tmp_path, ["2021-10-15,10:00,電話,,1,a-counsellor,,,"])
    with pytest.raises(CommandError, match="--organisation"):
        run_cli(path)
    with pytest.raises(CommandError, match="No organisation with id 999999"):
        run_cli(path, "--organisation", "999999")
    assert not Consultation.objects.exists()


def test_import_records_writes_into_the_organisation_given(tmp_path, two_organisations):
    a, b = two_organisations
    path = write_csv(
        tmp_path,
        [
            "2021-10-15,10:00,電話,A-000001,,a-counsellor,,,",
            "2021-10-16,10:00,電話,,1,a-counsellor,,,",
        ],
    )
    code, out, err = run_cli(path, "--organisation", str(a.pk))
    assert (code, err) == (0, "")
    assert set(Consultation.objects.values_list("organisation", flat=True)) == {a.pk}
    assert Client.objects.get(code="A-000001").organisation_id == a.pk


def test_import_records_does_not_reach_another_organisations_clients_or_staff(
    tmp_path, two_organisations
):
    """B's counsellor is no 担当者 of A's records, and B's client code names
    no client of A: both rows are refused, nothing is written."""
    a, b = two_organisations
    path = write_csv(
        tmp_path,
        [
            "2021-10-15,10:00,電話,,1,b-counsellor,,,",
            "2021-10-16,10:00,電話,B-000001,,a-counsellor,,,",
        ],
    )
    code, out, err = run_cli(path, "--organisation", str(a.pk))
    assert code == 1
    assert "2行目" in err and "b-counsellor" in err
    assert "3行目" in err and "B-000001" in err
    assert not Consultation.objects.exists()
    assert Client.objects.get(code="B-000001").organisation_id == b.pk


def test_import_records_user_must_belong_to_the_organisation(
    tmp_path, two_organisations
):
    a, b = two_organisations
    path = write_csv(tmp_path, ["2021-10-15,10:00,電話,,1,a-counsellor,,,"])
    with pytest.raises(CommandError, match="No active user 'b-counsellor'"):
        run_cli(path, "--organisation", str(a.pk), "--user", "b-counsellor")
    code, out, err = run_cli(
        path, "--organisation", str(a.pk), "--user", "a-counsellor"
    )
    assert (code, err) == (0, "")


def test_import_records_takes_the_only_organisation_without_the_option(tmp_path):
    from tests.factories import UserFactory, default_organisation

    UserFactory(username="solo", roles=[Role.COUNSELLOR])
    path = write_csv(tmp_path, ["2021-10-15,10:00,電話,,1,solo,,,"])
    code, out, err = run_cli(path)
    assert (code, err) == (0, "")
    assert Consultation.objects.get().organisation == default_organisation()


def test_seed_scale_fills_one_organisation(two_organisations, settings, monkeypatch):
    """Its records and its extra counsellors go to the organisation given;
    with several and none given, it is refused before writing anything."""
    from types import SimpleNamespace

    from accounts.models import User
    from reports.management.commands import seed_scale

    # No VACUUM at the end: it cannot run inside the test's transaction.
    monkeypatch.setattr(seed_scale, "connection", SimpleNamespace(vendor="test"))

    a, b = two_organisations
    settings.SEED_DEMO_ALLOWED = True
    Client.objects.all().delete()
    small = {
        "clients": 60,
        "consultations": 120,
        "stays": 100,
        "years": 1,
        "line_messages": 50,
        "stdout": io.StringIO(),
    }
    with pytest.raises(CommandError, match="--organisation"):
        call_command("seed_scale", **small)
    assert not Client.objects.exists()
    call_command("seed_scale", organisation=a.pk, **small)
    assert set(Client.objects.values_list("organisation", flat=True)) == {a.pk}
    assert set(Consultation.objects.values_list("organisation", flat=True)) == {a.pk}
    extra = User.objects.get(username="counsellor3")
    assert list(extra.organisations.all()) == [a]
