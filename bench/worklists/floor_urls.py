from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from consultations.models import Consultation

_TEMPLATE = engines["django"].from_string(
    "<!doctype html><html><head><title>{{ title }}</title></head><body>"
    + "<p>{{ user.username }} "
    + "x" * 900
    + "</p></body></html>"
)


@login_required
def floor(request):
    return HttpResponse(_TEMPLATE.render({"title": "floor"}, request))


site = admin.AdminSite(name="benchadmin")


class ConsultationAdmin(admin.ModelAdmin):
    list_display = ("id", "started_at", "channel", "client", "counsellor")
    list_select_related = ("client", "counsellor")
    list_per_page = 50
    show_full_result_count = True

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


site.register(Consultation, ConsultationAdmin)
urlpatterns = [
    path("__floor__/", floor),
    path("__admin__/", site.urls),
    path("", include("config.urls")),
]
