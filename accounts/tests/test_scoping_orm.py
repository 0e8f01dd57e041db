"""The ORM half of the scoping point (accounts.scoping): a queryset answers
for the scope in force when it runs, whichever scope it was made in."""

import pytest
from django import forms

from accounts import scoping
from accounts.models import Organisation
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two():
    a = Organisation.objects.create(name="A")
    b = Organisation.objects.create(name="B")
    return {
        "a": (a, ClientFactory(organisation=a)),
        "b": (b, ClientFactory(organisation=b)),
    }


def test_a_queryset_made_in_one_scope_answers_for_the_scope_it_runs_in(two):
    from consultations.models import Client

    (a, client_a), (b, client_b) = two["a"], two["b"]
    with scoping.organisations([a.pk]):
        made_in_a = Client.objects.all()  # like a form field made at import
        assert list(made_in_a.all()) == [client_a]
    with scoping.organisations([b.pk]):
        assert list(made_in_a.all()) == [client_b]
        assert list(made_in_a.filter(pk=client_a.pk)) == []
    # Outside any scope (a command) it keeps the last scope it ran in: never
    # wider than it was; a fresh queryset sees every organisation's.
    assert list(made_in_a.all()) == [client_a]
    assert set(Client.objects.all()) == {client_a, client_b}


def test_a_form_field_made_in_one_scope_offers_the_next_scopes_records(two):
    from consultations.models import Client

    (a, client_a), (b, client_b) = two["a"], two["b"]
    with scoping.organisations([a.pk]):

        class PickForm(forms.Form):
            client = forms.ModelChoiceField(queryset=Client.objects.all())

    with scoping.organisations([b.pk]):
        form = PickForm(data={"client": client_a.pk})
        assert [c.pk for c in form.fields["client"].queryset] == [client_b.pk]
        assert not form.is_valid()  # another organisation's: not a choice
        assert PickForm(data={"client": client_b.pk}).is_valid()


def test_the_empty_scope_sees_nothing_and_a_users_follows_her_memberships(
    two, make_user
):
    from consultations.models import Client

    (a, client_a), (b, _client_b) = two["a"], two["b"]
    with scoping.activate(scoping.NOTHING):
        assert list(Client.objects.all()) == []
    user = make_user(organisations=[a])
    with scoping.activate(scoping.for_user(user)):
        assert list(Client.objects.all()) == [client_a]
        user.organisations.add(b)  # read by the database in the same query
        assert Client.objects.count() == 2


def test_a_signed_in_user_comes_with_her_organisations_in_the_same_query(
    two, make_user, client, django_assert_num_queries
):
    """accounts.backends loads her organisation ids with her, so that the
    page's queries compare with ids (no membership subquery each); a
    membership taken away holds from her next request."""
    from django.contrib.auth import get_user as session_user
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.backends import ModelBackend
    from consultations.models import Client

    (a, client_a), (b, _client_b) = two["a"], two["b"]
    user = make_user("counsellor", organisations=[a, b])
    with django_assert_num_queries(1):
        loaded = ModelBackend().get_user(user.pk)
    assert loaded == user
    assert loaded._ibasho_org_ids == sorted([a.pk, b.pk])
    assert scoping.for_user(loaded) == scoping.Scope(org_ids=frozenset({a.pk, b.pk}))
    assert ModelBackend().get_user(10**9) is None
    assert ModelBackend().get_user("not an id") is None
    make_user("counsellor", username="nobody").organisations.clear()
    alone = ModelBackend().get_user(type(user).objects.get(username="nobody").pk)
    assert alone._ibasho_org_ids == []

    client.force_login(user)
    request = type("R", (), {"session": client.session})()
    assert session_user(request)._ibasho_org_ids == sorted([a.pk, b.pk])
    user.organisations.remove(b)
    with (
        scoping.activate(scoping.for_user(session_user(request))),
        CaptureQueriesContext(connection) as ctx,
    ):
        assert list(Client.objects.all()) == [client_a]
    assert "accounts_user_organisations" not in ctx.captured_queries[-1]["sql"]
