from django.contrib import admin

from .models import Programme, Target


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = (
        "order",
        "kind",
        "metric_key",
        "label",
        "unit",
        "direction",
        "target_value",
        "target_year",
        "baseline_value",
        "baseline_year",
        "actual_value",
    )


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("fiscal_year", "name", "municipality", "updated_at")
    list_filter = ("fiscal_year",)
    search_fields = ("name", "municipality")
    filter_horizontal = ("partner_agencies",)
    readonly_fields = ("version", "created_at", "updated_at")
    inlines = [TargetInline]
