from django.contrib import admin

from accounts.admin import AuditedAdminMixin

from .models import Client, PartnerAgency, Topic


@admin.register(Client)
class ClientAdmin(AuditedAdminMixin, admin.ModelAdmin):
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


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "active")
    list_editable = ("order", "active")


@admin.register(PartnerAgency)
class PartnerAgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "active")
    list_filter = ("category", "active")
    search_fields = ("name",)
