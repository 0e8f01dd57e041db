"""The plain project's pages: the floor (login required, the same template
as the app's floor), a login page and a health check for bench/floor.py."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import loader
from django.urls import path


@login_required
def floor(request):
    template = loader.get_template("bench/floor.html")
    return HttpResponse(template.render({"user": request.user}))


def healthz(request):
    return HttpResponse("ok")


urlpatterns = [
    path("_bench/floor/", floor),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="bench/plain_login.html"),
    ),
    path("healthz", healthz),
]
