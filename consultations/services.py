"""Writes that carry a rule. Each validates, writes in a transaction and
records the audit entry."""

from __future__ import annotations

from django.db import transaction

from accounts.audit import Action, audit

from .models import Client, CodeSequence

CLIENT_CODE_FORMAT = "C-{:06d}"


def client_code_next() -> str:
    """The next unused client code. The counter only grows, so a code is never
    handed out twice, even after its client is deleted; codes taken by an
    import are skipped."""
    with transaction.atomic():
        seq, _ = CodeSequence.objects.select_for_update().get_or_create(name="client")
        number = seq.last
        while True:
            number += 1
            code = CLIENT_CODE_FORMAT.format(number)
            if not Client.objects.filter(code=code).exists():
                break
        seq.last = number
        seq.save(update_fields=["last"])
    return code


@transaction.atomic
def client_create(*, by, code: str | None = None, **fields) -> Client:
    client = Client(code=code or client_code_next(), **fields)
    client.full_clean()
    client.save()
    audit(user=by, action=Action.CREATE, obj=client)
    return client


@transaction.atomic
def client_update(*, client: Client, by, **fields) -> Client:
    for name, value in fields.items():
        setattr(client, name, value)
    client.full_clean()
    client.save()
    audit(user=by, action=Action.CHANGE, obj=client, detail=",".join(sorted(fields)))
    return client
