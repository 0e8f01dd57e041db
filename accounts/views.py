from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from .roles import Role, user_roles


@login_not_required
@transaction.non_atomic_requests
@require_GET
@never_cache
def healthz(request):
    """200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return HttpResponse(
            "database unavailable\n", status=503, content_type="text/plain"
        )
    return HttpResponse("ok\n", content_type="text/plain")


class HomeView(TemplateView):
    """The start page: what this user's roles let them do."""

    template_name = "accounts/home.html"

    def get_context_data(self, **kwargs):
        from .home import sections_for

        context = super().get_context_data(**kwargs)
        context["sections"] = sections_for(self.request.user)
        context["has_no_role"] = not user_roles(self.request.user)
        context["Role"] = Role
        return context


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)
