from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, has_role
from consultations.models import Channel

from .models import Programme, ProgrammeRule, Target


class ProgrammeRuleForm(forms.ModelForm):
    channel = forms.ChoiceField(
        label=_("consultation channel"),
        choices=[("", _("Any channel")), *Channel.choices],
        required=False,
        help_text=_("Consultations only."),
    )

    class Meta:
        model = ProgrammeRule
        fields = (
            "record_kind", "valid_from", "valid_until", "channel", "facility",
            "group", "line_channel",
        )  # fmt: skip


class ProgrammeRuleInline(admin.TabularInline):
    """The rules that give new records this programme (reports.attribution):
    set by admins only."""

    model = ProgrammeRule
    form = ProgrammeRuleForm
    extra = 0
    fields = (
        "record_kind",
        "valid_from",
        "valid_until",
        "channel",
        "facility",
        "group",
        "line_channel",
    )

    def _admin(self, request) -> bool:
        return has_role(request.user, Role.ADMIN)

    def has_view_permission(self, request, obj=None):
        return self._admin(request)

    def has_add_permission(self, request, obj=None):
        return self._admin(request)

    def has_change_permission(self, request, obj=None):
        return self._admin(request)

    def has_delete_permission(self, request, obj=None):
        return self._admin(request)


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
    inlines = [TargetInline, ProgrammeRuleInline]
