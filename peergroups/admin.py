from django.contrib import admin

from accounts.admin import AuditedAdminMixin, OrganisationAdminMixin

from .models import Attendance, Group, Series, Session


@admin.register(Group)
class GroupAdmin(OrganisationAdminMixin, admin.ModelAdmin):
    list_display = ["name", "active"]
    search_fields = ["name"]


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    raw_id_fields = ["client"]


@admin.register(Session)
class SessionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["date", "end_date", "group", "theme", "anonymous_count"]
    list_filter = ["group"]
    list_select_related = ["group"]
    date_hierarchy = "date"
    raw_id_fields = ["series"]
    inlines = [AttendanceInline]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["group", "frequency", "first_date", "last_date", "holiday_policy"]
    list_select_related = ["group"]
