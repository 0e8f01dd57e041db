"""Organisations scope every personal record (issue 18): the one scoping point.

Every model of personal or activity records is *scoped*: it has an
``organisation`` column of its own (``Scoped``) or reaches one through its
parent (``scope_path``, e.g. ``"event__organisation"``), and its default
manager is a ``ScopedManager``. While a scope is active, every query through
that manager, its related managers and every queryset chained from them (the
querysets of form fields included) is filtered to the scope's organisations.

- A request runs in the scope of its user (``ScopeMiddleware``): the
  organisations she belongs to. An anonymous request sees nothing.
- A report counts a programme's records in the scope of the programme's
  organisation (``organisations()``), after the view has checked that the
  user may see that programme.
- A task runs in the scope of the organisation of the record it acts on
  (``run_in_scope``), or says that it acts for every organisation
  (``run_for_every_organisation``); a task for a record that is not there
  does not run.
- Outside these (management commands, migrations, the shell, tests) no scope
  is active and the ORM is not filtered: the operator's tools see every
  organisation; a command that acts for one takes it as an argument.

On PostgreSQL the same scope is also written into the connection's settings
(``ibasho.user_id``, ``ibasho.org_ids``, ``ibasho.all_orgs``), which the
row-level security policies of the personal tables read (migration
accounts 0006): a raw query that forgot the scope still returns nothing of
another organisation. The settings are written when the scope changes and
when a connection opens, so a persistent connection (CONN_MAX_AGE) never
carries one request's scope into the next. A request writes its user's scope
just before the first query of its view, and puts the settings back at its end
only if it wrote any: a page whose view runs no query (the fixed cost of every
page, issue 22) pays no round trip for them.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models
from django.db.backends.signals import connection_created
from django.db.models import Q
from django.db.models.lookups import In
from django.db.models.signals import pre_save
from django.db.models.sql.where import AND
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Scope:
    """The organisations visible now: a user's (through her memberships, read
    by the database in the same query) or an explicit set of ids. Neither:
    nothing is visible."""

    user_id: int | None = None
    org_ids: frozenset[int] | None = None

    def q(self, path: str) -> Q:
        from .models import User

        if self.org_ids is not None:
            return Q(**{f"{path}__in": sorted(self.org_ids)})
        if self.user_id is not None:
            memberships = User.organisations.through.objects.filter(
                user_id=self.user_id
            ).values("organisation_id")
            return Q(**{f"{path}__in": memberships})
        return Q(pk__in=[])

    def guc(self) -> tuple[str, str, str]:
        """The connection settings (user id, org ids, all) for this scope."""
        user = "" if self.user_id is None else str(self.user_id)
        orgs = "" if self.org_ids is None else ",".join(map(str, sorted(self.org_ids)))
        return user, orgs, "off"


logger = logging.getLogger(__name__)
NOTHING = Scope()
_current: contextvars.ContextVar[Scope | None] = contextvars.ContextVar(
    "ibasho_scope", default=None
)


def current() -> Scope | None:
    """The active scope; None when none is active (commands, tests)."""
    return _current.get()


@contextmanager
def activate(scope: Scope | None):
    token = _current.set(scope)
    _write_settings(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
        _write_settings(_current.get())


def for_user(user) -> Scope:
    """A user's scope: the ids of her organisations when they were loaded
    with her (``accounts.backends``: every signed-in request), else her
    memberships, read by the database in each query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NOTHING
    ids = getattr(user, "_ibasho_org_ids", None)
    if ids is not None:
        return Scope(org_ids=frozenset(ids))
    return Scope(user_id=user.pk)


@contextmanager
def organisations(ids):
    """Counts or writes on behalf of exactly these organisations (a
    programme's report for its funder's staff; a task)."""
    with activate(Scope(org_ids=frozenset(int(i) for i in ids))):
        yield


def visible_organisation_ids(user) -> list[int]:
    """The ids of the organisations a user belongs to."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_ibasho_org_ids", None)
    if cached is None:
        cached = list(user.organisations.values_list("pk", flat=True))
        user._ibasho_org_ids = cached
    return cached


def members_of(org_ids=None) -> models.QuerySet:
    """The users who may be chosen for a record (its owner, counsellor,
    staff, facilitator, a chat's new holder): members of these
    organisations; without ids, of the active scope's organisations (every
    user when no scope is active: commands and tests). A member of another
    organisation is neither offered nor accepted."""
    from .models import User

    through = User.organisations.through
    if org_ids is not None:
        memberships = through.objects.filter(organisation_id__in=list(org_ids))
    else:
        scope = _current.get()
        if scope is None:
            return User.objects.all()
        memberships = through.objects.filter(scope.q("organisation"))
    return User.objects.filter(pk__in=memberships.values("user_id"))


def command_organisation(given: int | None) -> int:
    """The organisation a management command writes into: ``given`` (the
    command's ``--organisation``), which must exist; without it, the
    database's only organisation (made on a fresh install). With several,
    the command must be told which."""
    from django.core.management.base import CommandError

    from .models import Organisation

    if given is not None:
        if not Organisation.objects.filter(pk=given).exists():
            raise CommandError(f"No organisation with id {given}.")
        return given
    try:
        return organisation_for_new_record(None)
    except ValidationError:
        ids = ", ".join(
            f"{pk} {name}"
            for pk, name in Organisation.objects.order_by("pk").values_list(
                "pk", "name"
            )
        )
        raise CommandError(
            f"This database has several organisations: give --organisation ID ({ids})."
        ) from None


# -- the ORM -------------------------------------------------------------------


def _scoped(qs: models.QuerySet) -> models.QuerySet:
    scope = _current.get()
    if scope is None:
        return qs
    query = qs.query
    if getattr(query, "_ibasho_scope", None) == scope:
        return qs
    where = query.where  # this queryset's own (a clone's), safe to change
    if where.connector == AND and not where.negated:
        # A queryset made under another scope (a form field's, made when its
        # module was imported during some request) is used in this one: its
        # old scope gives way to this one instead of being ANDed with it.
        where.children = [
            c for c in where.children if not getattr(c, "_ibasho_scope_node", False)
        ]
    if scope.org_ids is not None and qs.model.scope_path == "organisation":
        # The common case, built directly: the organisation column of the
        # query's own table IN the ids (what add_q makes of the Q, at a
        # fraction of its cost; this runs for every query of every page).
        field = qs.model._meta.get_field("organisation")
        lookup = In(field.get_col(query.get_initial_alias()), sorted(scope.org_ids))
        query.where.add(lookup, AND)
    else:
        query.add_q(scope.q(qs.model.scope_path))
    # The condition just added is the last child (appended, or the new
    # right-hand side when the where had to be wrapped).
    query.where.children[-1]._ibasho_scope_node = True
    query._ibasho_scope = scope
    return qs


class ScopedQuerySet(models.QuerySet):
    """Applies the active scope to every queryset chained from it, so that a
    queryset made once (a form field's, at import time) is filtered by the
    scope of the request that uses it."""

    def _chain(self):
        return _scoped(super()._chain())

    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create sends no pre_save: fill the organisation here, from the
        # parents (read in one query) or as for one record.
        objs = list(objs)
        fills = getattr(self.model, "fills_organisation", False)
        missing = [o for o in objs if fills and o.organisation_id is None]
        if missing:
            parent = self.model.organisation_from
            of_parent = {}
            if parent:
                field = self.model._meta.get_field(parent)
                for obj in missing:
                    cached = field.get_cached_value(obj, None)
                    if cached is not None:
                        obj.organisation_id = cached.organisation_id
                ids = {getattr(o, field.attname) for o in missing} - {None}
                if any(o.organisation_id is None for o in missing) and ids:
                    of_parent = dict(
                        field.related_model._base_manager.filter(
                            pk__in=ids
                        ).values_list("pk", "organisation_id")
                    )
                for obj in missing:
                    if obj.organisation_id is None:
                        obj.organisation_id = of_parent.get(getattr(obj, field.attname))
            rest = [o for o in missing if o.organisation_id is None]
            if rest:
                org = organisation_for_new_record(rest[0])
                for obj in rest:
                    obj.organisation_id = org
        from reports.attribution import fill_programmes

        fill_programmes(self.model, objs)  # the programme its rules give
        return super().bulk_create(objs, *args, **kwargs)


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    def get_queryset(self):
        return _scoped(super().get_queryset())


def scoped_models() -> list[type[models.Model]]:
    """Every model whose default manager is scoped."""
    from django.apps import apps

    return [
        m for m in apps.get_models() if isinstance(m._default_manager, ScopedManager)
    ]


class FillsOrganisation:
    """A model whose new records take an organisation when saved or validated
    without one (``organisation_for_new_record``)."""

    organisation_from: str | None = None
    fills_organisation = True

    def clean_fields(self, exclude=None):
        # Validation comes before save: give a new record its organisation
        # first, so that "required" is not reported for a field nobody fills.
        if self.organisation_id is None:
            self.organisation_id = organisation_for_new_record(self)
        super().clean_fields(exclude)


class Scoped(FillsOrganisation, models.Model):
    """A record that belongs to an organisation. ``organisation_from`` names
    the foreign key whose record's organisation a new record takes (a
    consultation takes its client's)."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
        # Set when the record is made (organisation_for_new_record), never
        # moved by a form: not even the admin's.
        editable=False,
    )

    scope_path = "organisation"

    objects = ScopedManager()

    class Meta:
        abstract = True


def organisation_for_new_record(instance) -> int:
    """The organisation of a record saved without one: its parent's, else
    the only organisation of the active scope, else (no scope: a command or
    a test) the only organisation there is; one is made if there is none,
    as on a fresh install."""
    from .models import Organisation

    parent = getattr(instance, "organisation_from", None)
    if parent and instance is not None:
        field = instance._meta.get_field(parent)
        cached = field.get_cached_value(instance, None)
        if cached is not None:
            return cached.organisation_id
        parent_id = getattr(instance, field.attname)
        if parent_id is not None:
            return (
                field.related_model._base_manager.filter(pk=parent_id)
                .values_list("organisation_id", flat=True)
                .get()
            )
    scope = _current.get()
    if scope is not None and instance is None:
        scope = None  # asked for the database's one organisation
    if scope is not None:
        if scope.org_ids is not None:
            ids = sorted(scope.org_ids)
        elif scope.user_id is not None:
            ids = list(
                Organisation.objects.filter(members=scope.user_id).values_list(
                    "pk", flat=True
                )[:2]
            )
        else:
            ids = []
    else:
        ids = list(Organisation.objects.values_list("pk", flat=True)[:2])
        if not ids:
            # get_or_create: two first records at once (two LINE deliveries
            # on a fresh install) make one organisation, not an error.
            ids = [
                Organisation.objects.get_or_create(name=DEFAULT_ORGANISATION_NAME)[0].pk
            ]
    if len(ids) != 1:
        raise ValidationError(
            _("Choose the organisation this record belongs to."),
            code="organisation_required",
        )
    return ids[0]


DEFAULT_ORGANISATION_NAME = "本部"


@receiver(pre_save)
def _fill_organisation(sender, instance, raw=False, **kwargs):
    if raw or not getattr(sender, "fills_organisation", False):
        return
    if instance.organisation_id is None:
        instance.organisation_id = organisation_for_new_record(instance)


# -- PostgreSQL: the settings the row-level security policies read ------------


class _Request:
    """What ScopeMiddleware knows of the request's settings on its
    connections (the primary's and, with accounts.replica, the replica's):
    whether any were written (so they are put back at the end), and on which
    connections the view's scope still waits to be written (before that
    connection's first query of the view, by ``_write_pending``). Each
    connection has its own: a persistent replica connection must not run a
    page's queries with the settings of an earlier request."""

    def __init__(self):
        self.written = False
        self.pending: set[str] = set()

    def __call__(self, execute, sql, params, many, context):
        conn = context["connection"]
        if conn.alias in self.pending:
            _write_pending(conn)
        return execute(sql, params, many, context)


_request: contextvars.ContextVar[_Request | None] = contextvars.ContextVar(
    "ibasho_scope_request", default=None
)


def _write_pending(conn) -> None:
    """Writes the view's scope before its first query, outside the request's
    transaction when it has not begun yet (ATOMIC_REQUESTS: nothing has been
    sent), so that no rollback takes the settings back. A failure fails the
    query: it never runs with the settings of before."""
    from psycopg.pq import TransactionStatus

    raw = conn.connection
    if raw.autocommit or raw.info.transaction_status != TransactionStatus.IDLE:
        _write_settings(_current.get(), conn, opening=True)
        return
    raw.autocommit = True  # only while nothing of the transaction was sent
    try:
        _write_settings(_current.get(), conn, opening=True)
    finally:
        raw.autocommit = False


def _write_settings(scope: Scope | None, conn=None, *, opening=False) -> None:
    if conn is None:
        # Every open connection of this thread: the primary's, and the read
        # replica's (accounts.replica), which a later page may read from.
        for each in connections.all(initialized_only=True):
            _write_settings(scope, each)
        return
    if conn.vendor != "postgresql" or conn.connection is None:
        # Not PostgreSQL, or no connection yet: connection_created writes them.
        return
    user, orgs, every = ("", "", "on") if scope is None else scope.guc()
    import psycopg

    try:
        # On the driver's connection, not a Django cursor: a session setting,
        # not one of the page's queries (query counts stay those of the page).
        conn.connection.execute(
            "SELECT set_config('ibasho.user_id', %s, false),"
            " set_config('ibasho.org_ids', %s, false),"
            " set_config('ibasho.all_orgs', %s, false)",
            [user, orgs, every],
        )
        request = _request.get()
        if request is not None:
            request.written = True
            if scope == _current.get():
                request.pending.discard(conn.alias)
    except (DatabaseError, psycopg.Error):
        if opening:
            raise  # a connection that cannot take its scope is not used
        if conn.in_atomic_block:
            # An aborted transaction: its rollback restores the settings in
            # force when it (or its savepoint) began, which are those of the
            # scope then active, as scopes and transactions nest.
            return
        # Outside a transaction the connection is broken, or its settings
        # are not what the scope says: close it rather than go on with stale
        # ones; the next query opens a new one, which connection_created
        # gives the current scope.
        conn.close()


@receiver(connection_created)
def _new_connection(sender, connection, **kwargs):
    _write_settings(_current.get(), connection, opening=True)


def _postgresql_connections():
    """The request's PostgreSQL connections (their wrappers: opening one is
    left to its first query)."""
    return [c for c in connections.all() if c.vendor == "postgresql"]


class ScopeMiddleware:
    """Runs each request in its user's scope, and ends it with the
    connection's settings put back, so that nothing of one request's scope
    reaches the next one on a persistent connection. A view marked with
    ``own_scope`` (the live polls, which check a signed token instead of
    loading the user) activates its scope itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The ORM sees nothing until the view's scope is known; the
        # connection's settings are written once, for the view, just before
        # its first query (connection.execute_wrapper), and put back at the
        # end if written: the middleware before the view reads no table
        # under a policy (sessions, users, devices), so writing "nothing"
        # for them too would be one more round trip to the database per
        # request, and a view that runs no query needs none.
        token = _current.set(NOTHING)
        conn = connections[DEFAULT_DB_ALIAS]
        if conn.vendor != "postgresql":  # no settings to write
            try:
                return self.get_response(request)
            finally:
                _current.reset(token)
        state = _Request()
        request_token = _request.set(state)
        try:
            with ExitStack() as wrappers:
                for each in _postgresql_connections():
                    wrappers.enter_context(each.execute_wrapper(state))
                return self.get_response(request)
        finally:
            _current.reset(token)
            _request.reset(request_token)
            if state.written:
                _write_settings(_current.get())

    def process_view(self, request, view_func, view_args, view_kwargs):
        from django.conf import settings

        if getattr(view_func, "ibasho_own_scope", False):
            return None
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            scope = for_user(request.user)
        else:
            scope = NOTHING
        _current.set(scope)
        state = _request.get()
        if state is not None:
            # Written before each connection's first query of the view.
            state.pending = {c.alias for c in _postgresql_connections()}
        else:
            _write_settings(scope)
        return None


def enter(scope: Scope) -> None:
    """Makes ``scope`` the request's scope until the request ends (the
    ScopeMiddleware then puts back what was before)."""
    if scope != _current.get():
        _current.set(scope)
        _write_settings(scope)


def own_scope(view):
    """Marks a view that activates its scope itself (ScopeMiddleware)."""
    view.ibasho_own_scope = True
    return view


# -- tasks ---------------------------------------------------------------------


def organisation_of(model, pk) -> int | None:
    """The organisation of one record, read whatever the active scope (a
    task looks up whom it acts for); None if there is no such record."""
    if pk is None:
        return None
    with activate(None):
        return (
            model._base_manager.filter(pk=pk)
            .values_list(model.scope_path, flat=True)
            .first()
        )


def run_in_scope(model, argument: str):
    """Runs a task in the scope of the organisation of the record of
    ``model`` whose id is the task's argument ``argument`` (the job, the
    message, the media). Without such a record the task logs it and returns
    None rather than run unscoped.

        @task()
        @scoping.run_in_scope(LineMessage, "message_id")
        def send_read_receipt(message_id): ...
    """

    def decorate(func):
        signature = inspect.signature(func)

        @functools.wraps(func)
        def in_scope(*args, **kwargs):
            pk = signature.bind(*args, **kwargs).arguments.get(argument)
            org = organisation_of(model, pk)
            if org is None:
                logger.warning(
                    "task %s not run: no %s #%s to take the organisation from",
                    func.__qualname__,
                    model.__name__,
                    pk,
                )
                return None
            with organisations([org]):
                return func(*args, **kwargs)

        in_scope.ibasho_task_scope = (model, argument)
        return in_scope

    return decorate


def run_for_every_organisation(func):
    """Marks a task of upkeep that acts across organisations (the purge of
    old uploads): it runs with no scope, as a management command does."""

    @functools.wraps(func)
    def unscoped(*args, **kwargs):
        with activate(None):
            return func(*args, **kwargs)

    unscoped.ibasho_task_scope = "every organisation"
    return unscoped
