"""LINE's Verify button posts a signed body with no events and does not
follow redirects: both forms of the webhook URL answer it with 200."""

import json

import pytest

from consultations.models import LineMessage

from .test_line_webhook import sign

pytestmark = pytest.mark.django_db

VERIFY = json.dumps(
    {"destination": "U" + "0" * 31 + "1", "events": []}, separators=(",", ":")
).encode()


@pytest.mark.parametrize("url", ["/line/webhook", "/line/webhook/"])
def test_both_forms_of_the_webhook_url_answer_lines_verify_request(client, url):
    response = client.post(
        url,
        data=VERIFY,
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE=sign(VERIFY),
    )
    assert response.status_code == 200
    assert not LineMessage.objects.exists()


@pytest.mark.parametrize("url", ["/line/webhook", "/line/webhook/"])
def test_both_forms_refuse_a_bad_signature_rather_than_redirect(client, url):
    response = client.post(
        url,
        data=VERIFY,
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE=sign(VERIFY, secret="another-secret"),
    )
    assert response.status_code == 400
