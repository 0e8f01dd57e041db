from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import AuditEntry, User

admin.site.site_header = "ibasho"
admin.site.site_title = "ibasho"


@admin.register(User)
class IbashoUserAdmin(UserAdmin):
    list_display = ("username", "last_name", "first_name", "is_active", "is_staff")
    list_filter = ("groups", "is_active", "is_staff")


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
