from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from . import scoping
from .audit import Action, audit
from .models import AuditEntry, User


class AuditedAdminMixin:
    """For admin pages of records about clients: opening, listing, saving and
    deleting through the Django admin are audited like the app's own pages."""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 0) == 200:
            audit(
                user=request.user,
                action=Action.VIEW,
                object_type=self.model._meta.label_lower,
                detail="admin list",
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 0) == 200:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                audit(user=request.user, action=Action.VIEW, obj=obj, detail="admin")
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit(
            user=request.user,
            action=Action.CHANGE if change else Action.CREATE,
            obj=obj,
            detail="admin " + ",".join(sorted(form.changed_data))[:200],
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            if formset.has_changed():
                audit(
                    user=request.user,
                    action=Action.CHANGE,
                    obj=form.instance,
                    detail=f"admin {formset.model._meta.label_lower}",
                )

    def delete_model(self, request, obj):
        audit(user=request.user, action=Action.DELETE, obj=obj, detail="admin")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit(user=request.user, action=Action.DELETE, obj=obj, detail="admin")
        super().delete_queryset(request, queryset)


class OrganisationAdminMixin:
    """The add page of a top-level record (a client, a facility, a group, an
    event, a canned reply): an admin of several organisations chooses the
    one it belongs to, from hers, as in the app's own forms
    (accounts.forms.OrganisationChoiceMixin). The organisation column itself
    stays out of the model form: it is never changed once set."""

    def _chooses_organisation(self, request, obj) -> bool:
        return obj is None and len(scoping.visible_organisation_ids(request.user)) > 1

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if self._chooses_organisation(request, obj) and "organisation" not in fields:
            fields.insert(0, "organisation")
        return fields

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or ()), "organisation"]

    def get_form(self, request, obj=None, **kwargs):
        from .forms import OrganisationChoiceMixin

        form = super().get_form(request, obj, **kwargs)
        if not self._chooses_organisation(request, obj):
            return form
        user = request.user

        def __init__(self, *args, **kwargs):
            super(chooser, self).__init__(*args, organisation_user=user, **kwargs)

        chooser = type(
            form.__name__, (OrganisationChoiceMixin, form), {"__init__": __init__}
        )
        return chooser


admin.site.site_header = "ibasho"
admin.site.site_title = "ibasho"


@admin.register(User)
class IbashoUserAdmin(UserAdmin):
    list_display = (
        "username",
        "last_name",
        "first_name",
        "is_active",
        "is_staff",
        "is_supervisor",
    )
    list_filter = ("groups", "is_active", "is_staff", "is_supervisor")
    fieldsets = (
        *UserAdmin.fieldsets,
        (_("LINE desk"), {"fields": ("is_supervisor",)}),
    )

    def get_queryset(self, request):
        """The members of the admin's organisations, and users who belong to
        none yet (just added): another organisation's staff are not listed,
        opened or changed here."""
        from django.db.models import Q

        members = User.organisations.through.objects.values("user_id")
        return (
            super()
            .get_queryset(request)
            .filter(Q(pk__in=scoping.members_of().values("pk")) | ~Q(pk__in=members))
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # A user added by an admin of one organisation belongs to it.
            mine = scoping.visible_organisation_ids(request.user)
            if len(mine) == 1:
                obj.organisations.add(mine[0])


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Admins read and search the trail; nobody can add, change or delete."""

    list_display = (
        "at",
        "user",
        "action",
        "object_type",
        "object_id",
        "client_code",
        "ip_address",
        "path",
    )
    list_filter = ("action", "object_type", "at")
    search_fields = ("client_code", "user__username", "object_id", "ip_address", "path")
    date_hierarchy = "at"
    list_select_related = ("user",)
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def get_queryset(self, request):
        """The entries written by members of the admin's organisations: the
        trail of another organisation (its staff, its client codes) is its
        own admins'. Entries without a user (commands, the webhook) are the
        operator's, read in the database."""
        return (
            super()
            .get_queryset(request)
            .filter(user__in=scoping.members_of().values("pk"))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _admin_site_has_permission(request):
    """The Django admin is for the admin role, and for staff given model
    permissions there (e.g. coordinators keeping facilities)."""
    from .roles import Role, has_role

    user = request.user
    return user.is_active and (user.is_staff or has_role(user, Role.ADMIN))


admin.site.has_permission = _admin_site_has_permission
