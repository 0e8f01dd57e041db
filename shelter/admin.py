"""Master data (facilities, rooms) for system administrators. Stays, salon
visits and calendars are kept in the app's own pages, where the rules
(no double booking, audit) apply; here they are read-only."""

from django.contrib import admin

from accounts.admin import AuditedAdminMixin, OrganisationAdminMixin

from .models import Facility, Room, Stay


class RoomInline(admin.TabularInline):
    model = Room
    extra = 1
    fields = ("name", "order", "active")


@admin.register(Facility)
class FacilityAdmin(OrganisationAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    inlines = [RoomInline]

    def get_inlines(self, request, obj):
        return [RoomInline] if obj is None or obj.kind == Facility.Kind.SHELTER else []


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "facility", "order", "active")
    list_filter = ("facility", "active")
    list_select_related = ("facility",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "facility":
            kwargs["queryset"] = Facility.objects.filter(kind=Facility.Kind.SHELTER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Stay)
class StayAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read-only: bookings are made and changed in the app."""

    list_display = ("id", "room", "kind", "start_date", "end_date", "status")
    list_filter = ("status", "kind", "room__facility")
    list_select_related = ("room__facility",)
    date_hierarchy = "start_date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
