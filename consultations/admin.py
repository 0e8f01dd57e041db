from django.contrib import admin

from .models import Client


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
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
