from django.contrib import admin

from accounts.admin import AuditedAdminMixin, OrganisationAdminMixin
from accounts.roles import Role, has_role, user_roles

from .line.forms import LineChannelAdminForm
from .line.models import LineChannel
from .models import (
    CannedReply,
    Client,
    Complaint,
    LineAutoReply,
    LineChat,
    LineUser,
    PartnerAgency,
)


@admin.register(Client)
class ClientAdmin(OrganisationAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Contact details follow Client.contact_visible_to here too, whatever a
    user's staff status; the safety flags are changed only on the client's
    edit page in the app, which asks for a reason when one is cleared."""

    list_display = (
        "code",
        "status",
        "household_type",
        "assigned_counsellor",
        "created_at",
    )
    list_filter = ("status", "household_type")
    search_fields = ("code",)
    readonly_fields = ("code", "created_at", "updated_at")
    exclude = ("search_text",)

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        # A new client may be given flags; an existing one keeps them here.
        return readonly + Client.SAFETY_FLAGS if obj is not None else readonly

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or ())
        if obj is not None and not obj.contact_visible_to(request.user):
            exclude += Client.CONTACT_FIELDS
        return exclude

    def lookup_allowed(self, lookup, value, request=None):
        # Filtering the list by phone, e-mail or area (?area=…) would confirm
        # a flagged client's hidden details: only supervisors may.
        field = lookup.split("__")[0]
        if field in (*Client.CONTACT_FIELDS, "search_phone") and not (
            request is not None and has_role(request.user, Role.ADMIN)
        ):
            return False
        return super().lookup_allowed(lookup, value, request)


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """The list of complaints (主訴). The code is what statistics carry and
    what consultations refer to: set when an entry is added, then fixed."""

    list_display = ("label", "code", "order", "active")
    list_editable = ("order", "active")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()


@admin.register(PartnerAgency)
class PartnerAgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "active")
    list_filter = ("category", "active")
    search_fields = ("name",)


@admin.register(CannedReply)
class CannedReplyAdmin(OrganisationAdminMixin, admin.ModelAdmin):
    """Canned replies (定型文) for the LINE reply box. Variables: {相談員名}
    (the counsellor's name) and {受付時間} (the LINE desk's hours)."""

    list_display = ("title", "order", "active", "updated_at")
    list_editable = ("order", "active")
    search_fields = ("title", "text")


@admin.register(LineAutoReply)
class LineAutoReplyAdmin(admin.ModelAdmin):
    """The greeting (with its consent button) and the reply outside the LINE
    desk's hours: one of each, seeded, edited here. {受付時間} becomes the
    desk's hours."""

    list_display = ("kind", "active", "updated_at")
    readonly_fields = ("kind",)


class AdminRoleOnlyMixin:
    """Pages for the admin role only, whatever model permissions a staff
    user holds: the LINE user id is for admins (counsellors never see it)."""

    def has_module_permission(self, request):
        return Role.ADMIN in user_roles(request.user)

    def has_view_permission(self, request, obj=None):
        return Role.ADMIN in user_roles(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LineChannel)
class LineChannelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The organisations' LINE official accounts, for admins only (of their
    own organisations: the list is scoped). The secret and the access token
    are write-only (consultations.line.forms.LineChannelAdminForm); an
    account is deactivated rather than deleted."""

    form = LineChannelAdminForm
    list_display = ("name", "channel_id", "organisation", "active")
    list_select_related = ("organisation",)
    fields = (
        "owner",
        "name",
        "channel_id",
        "secret",
        "access_token",
        "active",
        "webhook_url",
    )

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj else [f for f in fields if f != "webhook_url"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        site_url = request.build_absolute_uri("/")

        class Form(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, site_url=site_url, **kw)

        return Form

    def has_module_permission(self, request):
        return Role.ADMIN in user_roles(request.user)

    def has_view_permission(self, request, obj=None):
        return Role.ADMIN in user_roles(request.user)

    def has_change_permission(self, request, obj=None):
        return Role.ADMIN in user_roles(request.user)

    def has_add_permission(self, request):
        return Role.ADMIN in user_roles(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LineUser)
class LineUserAdmin(AdminRoleOnlyMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Read only: who wrote to the LINE account, with the LINE user id an
    admin may need (LINE's support, the Developers console)."""

    list_display = ("pk", "line_user_id", "client", "is_following", "last_event_at")
    list_select_related = ("client",)
    search_fields = ("line_user_id", "client__code")
    fields = (
        "line_user_id",
        "display_name",
        "client",
        "is_following",
        "first_contact_at",
        "last_event_at",
        "profile_checked_at",
    )
    readonly_fields = fields


@admin.register(LineChat)
class LineChatAdmin(AdminRoleOnlyMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "pk",
        "line_user",
        "status",
        "claimed_by",
        "started_at",
        "first_response_at",
        "ended_at",
        "outcome",
        "outside_hours",
    )
    list_filter = ("status", "outcome", "outside_hours")
    list_select_related = ("line_user", "claimed_by")
    fields = (
        "line_user",
        "status",
        "started_at",
        "claimed_by",
        "claimed_at",
        "first_response_at",
        "ended_at",
        "ended_by",
        "outcome",
        "outside_hours",
        "consultation",
    )
    readonly_fields = fields
