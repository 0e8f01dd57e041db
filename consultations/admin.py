from django.contrib import admin

from accounts.admin import AuditedAdminMixin
from accounts.roles import Role, has_role

from .models import CannedReply, Client, LineAutoReply, PartnerAgency, Topic


@admin.register(Client)
class ClientAdmin(AuditedAdminMixin, admin.ModelAdmin):
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


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "active")
    list_editable = ("order", "active")


@admin.register(PartnerAgency)
class PartnerAgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "active")
    list_filter = ("category", "active")
    search_fields = ("name",)


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
