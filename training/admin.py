from django.contrib import admin

from accounts.admin import AuditedAdminMixin, OrganisationAdminMixin

from .models import Event, Speaker, SurveyResponse


class SpeakerInline(admin.TabularInline):
    model = Speaker
    extra = 0
    raw_id_fields = ["client"]


@admin.register(Event)
class EventAdmin(OrganisationAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["date", "kind", "title", "venue", "participant_count"]
    list_filter = ["kind"]
    search_fields = ["title", "venue"]
    date_hierarchy = "date"
    inlines = [SpeakerInline]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ["event", "satisfaction", "comment"]
    list_filter = ["satisfaction"]
    list_select_related = ["event"]
    raw_id_fields = ["event"]
