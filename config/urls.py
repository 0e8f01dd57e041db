from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView

from accounts import views as account_views


@login_not_required
def admin_login(request):
    """One login page for the app and the Django admin. A signed-in user
    without admin rights gets 403 instead of a redirect loop."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return RedirectView.as_view(url=reverse_lazy("accounts:login"), query_string=True)(
        request
    )


urlpatterns = [
    path("", account_views.HomeView.as_view(), name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("", include("consultations.urls")),
    path("line/", include("consultations.line.urls")),
    path("shelter/", include("shelter.urls")),
    path("groups/", include("peergroups.urls")),
    path("training/", include("training.urls")),
    path("reports/", include("reports.urls")),
]

# Development tool only (config.settings.production refuses it): the stand-in
# for the LINE Messaging API and the LINE simulator.
if getattr(settings, "LINE_SIMULATOR", False):
    urlpatterns += [
        path("dev/line-api/", include("devtools.line_api_urls")),
        path("dev/line-simulator/", include("devtools.urls")),
    ]
