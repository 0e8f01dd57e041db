"""Her own settings page: single-key shortcuts on or off (WCAG 2.1.4)."""

import pytest

pytestmark = pytest.mark.django_db


def test_she_turns_single_key_shortcuts_off_and_the_form_says_so(client, make_user):
    user = make_user("counsellor")
    client.force_login(user)
    form = client.get("/consultations/new/")
    assert b'data-shortcuts="on"' in form.content
    assert b"<kbd>1</kbd>" in form.content

    page = client.get("/accounts/settings/")
    assert page.status_code == 200
    assert 'id="id_keyboard_shortcuts_helptext"' in page.content.decode()
    response = client.post("/accounts/settings/", {})  # the box left unticked
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.keyboard_shortcuts is False

    form = client.get("/consultations/new/")
    assert b'data-shortcuts="off"' in form.content
    assert b"<kbd>1</kbd>" not in form.content

    client.post("/accounts/settings/", {"keyboard_shortcuts": "on"})
    user.refresh_from_db()
    assert user.keyboard_shortcuts is True
