"""The audit trail: one function that every app calls, and one view mixin.

``audit()`` records who (the user), what (action and record), when, and from
which IP. The IP and path come from the request being served (set by
AuditContextMiddleware) or, on the command line, from ``audit_context``.
Records describe themselves through two optional attributes:

* ``audit_client_code``: the code of the client the record is about;
* the record's model label and primary key, never its text.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass

from .models import AuditEntry

Action = AuditEntry.Action


@dataclass(frozen=True)
class _Context:
    ip: str | None = None
    path: str = ""


_NO_CONTEXT = _Context()
_current: contextvars.ContextVar[_Context | None] = contextvars.ContextVar(
    "ibasho_audit_context", default=None
)


@contextmanager
def audit_context(*, ip: str | None = None, path: str = ""):
    """Set where the actions in this block come from (a request or a command)."""
    token = _current.set(_Context(ip=ip, path=path[:255]))
    try:
        yield
    finally:
        _current.reset(token)


def _describe(obj) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    client_code = getattr(obj, "audit_client_code", "") or ""
    return obj._meta.label_lower, str(obj.pk or ""), client_code


def audit(
    *,
    user,
    action: str,
    obj=None,
    object_type: str = "",
    client_code: str = "",
    detail: str = "",
) -> AuditEntry:
    """Write one audit entry. ``obj`` is the record acted on, if there is one;
    ``object_type`` and ``client_code`` override what it says about itself
    (for lists and exports). ``detail`` must not hold personal data."""
    obj_type, obj_id, obj_client = _describe(obj)
    ctx = _current.get() or _NO_CONTEXT
    return AuditEntry.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        object_type=object_type or obj_type,
        object_id=obj_id,
        client_code=client_code or obj_client,
        ip_address=ctx.ip,
        path=ctx.path,
        detail=detail[:255],
    )


class AuditedObjectMixin:
    """For DetailView/UpdateView: records a view of the object on GET."""

    audit_action = Action.VIEW

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        audit(user=request.user, action=self.audit_action, obj=self.object)
        return response


def audit_many(*, user, action: str, object_type: str, client_codes, detail: str = ""):
    """One entry per client for a bulk action (an import or an export), written
    in one query."""
    ctx = _current.get() or _NO_CONTEXT
    user = user if getattr(user, "is_authenticated", False) else None
    AuditEntry.objects.bulk_create(
        AuditEntry(
            user=user,
            action=action,
            object_type=object_type,
            client_code=code,
            ip_address=ctx.ip,
            path=ctx.path,
            detail=detail[:255],
        )
        for code in sorted(set(client_codes))
    )
