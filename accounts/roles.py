"""Roles (SPEC §1): every role check in the app goes through this module.

A role is a Django group of the same name. A user may hold several. The admin
role (and a superuser) may do everything the other roles may.
"""

from __future__ import annotations

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("System administrator")
    COUNSELLOR = "counsellor", _("Counsellor")
    COORDINATOR = "coordinator", _("Coordinator")
    FACILITATOR = "facilitator", _("Facilitator")
    CITY_STAFF = "city_staff", _("City staff")


ADMIN_ONLY = (Role.ADMIN,)

# Django model permissions each role's group receives, by app label. The app
# checks roles, not these; they govern the Django admin and import/export.
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.COUNSELLOR: {
        "consultations": ("add", "change", "view", "delete"),
        "shelter": ("view",),
        "peergroups": ("view",),
        "training": ("view",),
    },
    Role.COORDINATOR: {"shelter": ("add", "change", "view", "delete")},
    Role.FACILITATOR: {
        "peergroups": ("add", "change", "view", "delete"),
        "training": ("add", "change", "view", "delete"),
    },
    Role.CITY_STAFF: {"reports": ("add", "change", "view", "delete")},
}


def user_roles(user) -> frozenset[str]:
    """The roles a user holds, read once per request and cached on the user."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_ibasho_roles", None)
    if cached is None:
        # Loaded with the user on a signed-in request (accounts.backends).
        cached = roles_from(user.groups.values_list("name", flat=True), user)
        user._ibasho_roles = cached
    return cached


def roles_from(group_names, user) -> frozenset[str]:
    """The roles given by these group names, and admin for a superuser."""
    names = set(group_names)
    if user.is_superuser:
        names.add(Role.ADMIN)
    return frozenset(n for n in names if n in Role.values)


def has_role(user, *roles: str) -> bool:
    """True if the user holds one of ``roles``; admins hold them all."""
    held = user_roles(user)
    return Role.ADMIN in held or any(role in held for role in roles)


def is_supervisor(user) -> bool:
    """Admins, and counsellors marked as supervisors (User.is_supervisor):
    they watch every live LINE chat and may take one over or reassign it,
    and they may set or clear a client's safety flags."""
    held = user_roles(user)
    if Role.ADMIN in held:
        return True
    return Role.COUNSELLOR in held and bool(getattr(user, "is_supervisor", False))


def supervisor_required(view):
    """Only supervisors (see ``is_supervisor``); others get 403."""
    from functools import wraps

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_supervisor(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def require_role(user, *roles: str) -> None:
    if not has_role(user, *roles):
        raise PermissionDenied


class RoleRequiredMixin(AccessMixin):
    """Class-based views declare ``roles``; others get 403."""

    roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        require_role(request.user, *self.roles)
        return super().dispatch(request, *args, **kwargs)


def role_required(*roles: str):
    """The same check for function views."""

    def decorator(view):
        from functools import wraps

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require_role(request.user, *roles)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def sync_role_permissions(apps=None) -> None:
    """Create the role groups and give each its permissions (idempotent)."""
    from django.apps import apps as global_apps

    apps = apps or global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in Role.values:
        group, _created = Group.objects.get_or_create(name=role)
        if role == Role.ADMIN:
            perms = Permission.objects.all()
        else:
            codenames = models.Q(pk__in=[])
            for app_label, actions in ROLE_PERMISSIONS[role].items():
                codenames |= models.Q(
                    content_type__app_label=app_label,
                    codename__regex=r"^({})_".format("|".join(actions)),
                )
            perms = Permission.objects.filter(codenames)
        group.permissions.set(perms)


def sync_role_permissions_signal(sender, apps=None, using=None, **kwargs):
    # Runs after each app's post_migrate; only once the last app has its
    # permissions is the mapping complete, and re-running it is cheap.
    sync_role_permissions(apps)
