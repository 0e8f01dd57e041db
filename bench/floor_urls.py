"""The benchmark's URLconf (bench/floor_settings.py): the app's URLs, plus

* ``/_bench/floor/``: the floor, a signed-in view (the app's
  LoginRequiredMiddleware, as for every page) rendering a bare ~1 kB template
  that extends nothing, without the context processors: the cost of the app's
  middleware, session and user;
* ``/_bench/floor-base/``: the same text inside the app's base.html, rendered
  as the app's pages are (context processors, the menu): the signed-in fixed
  cost of a page;
* ``/_bench/admin/``: a Django admin site with a plain ModelAdmin of
  consultations, 50 rows a page (the app's admin has no consultations), the
  reference the issue compares the consultation list and the team worklist to.
"""

from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns
from consultations.models import Consultation

ADMIN_ROWS = 50


def floor(request):
    template = loader.get_template("bench/floor.html")
    return HttpResponse(template.render({"user": request.user}))


def floor_base(request):
    return render(request, "bench/floor_base.html")


bench_admin = admin.AdminSite(name="bench_admin")


@admin.register(Consultation, site=bench_admin)
class ConsultationAdmin(admin.ModelAdmin):
    """The columns of the app's consultation list."""

    list_display = (
        "started_at",
        "channel",
        "client",
        "is_new",
        "main_complaint",
        "counsellor",
        "duration_minutes",
    )
    list_select_related = ("client", "main_complaint", "counsellor")
    list_per_page = ADMIN_ROWS
    ordering = ("-started_at", "-id")


urlpatterns = [
    path("_bench/floor/", floor, name="bench_floor"),
    path("_bench/floor-base/", floor_base, name="bench_floor_base"),
    path("_bench/admin/", bench_admin.urls),
    *app_urlpatterns,
]
