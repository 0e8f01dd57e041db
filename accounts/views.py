from base64 import b32encode

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from . import replica
from .redirects import safe_next
from .roles import Role, user_roles


@login_not_required
@transaction.non_atomic_requests
@require_GET
@never_cache
def healthz(request):
    """For load balancers and monitoring: "ok" (200) when the database answers
    and accepts changes, "degraded" (200) when it answers but refuses changes
    (read-only: a standby, maintenance), so pages can be read but nothing saved,
    or when a read replica is configured but down or lagging (every read then
    goes to the primary), and 503 when it does not answer. It reads no table of
    the app and has its own short time limits, so a locked table or a slow
    query cannot hold it."""
    try:
        read_only = _database_is_read_only()
    except Exception:
        return HttpResponse(
            "database unavailable\n", status=503, content_type="text/plain"
        )
    if read_only:
        return HttpResponse(
            "degraded: the database is read-only\n", content_type="text/plain"
        )
    if replica.configured():
        health = replica.check(fresh=True)
        if not health.ok:
            return HttpResponse(
                f"degraded: {health.reason}; reads go to the primary\n",
                content_type="text/plain",
            )
    return HttpResponse("ok\n", content_type="text/plain")


def _database_is_read_only() -> bool:
    if connection.vendor != "postgresql":
        # SQLite (the demo): a plain query; BEGIN would wait for the write lock.
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return False
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 1000")
        cursor.execute("SET LOCAL lock_timeout = 500")
        cursor.execute(
            "SELECT current_setting('transaction_read_only') = 'on' "
            "OR pg_is_in_recovery()"
        )
        return cursor.fetchone()[0]


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


class OTPForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
                "pattern": "[0-9]{6}",
            }
        ),
    )


def _qr_svg(url: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def otp_view(request):
    """The second factor. A user with a confirmed TOTP device enters a code; a
    user without one first scans a new secret, then confirms it with a code."""
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    next_url = safe_next(request, "/")
    if request.user.is_verified():
        return redirect(next_url)
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device, _created = TOTPDevice.objects.get_or_create(
            user=request.user, confirmed=False, defaults={"name": "authenticator"}
        )
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(next_url)
        form.add_error(
            "token",
            _(
                "The code is not right. Check the time on your phone "
                "and try the current code."
            ),
        )
    context = {"form": form, "enrolling": enrolling, "next": next_url}
    if enrolling:
        # The SVG is generated here from our own secret URL: no user input.
        qr = mark_safe(_qr_svg(device.config_url))  # noqa: S308
        context.update(secret=b32encode(device.bin_key).decode(), qr=qr)
    return render(request, "registration/otp.html", context)


class PreferencesForm(forms.Form):
    keyboard_shortcuts = forms.BooleanField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = user._meta.get_field("keyboard_shortcuts")
        self.fields["keyboard_shortcuts"].label = capfirst(field.verbose_name)
        self.fields["keyboard_shortcuts"].help_text = field.help_text
        self.fields["keyboard_shortcuts"].initial = user.keyboard_shortcuts


def preferences(request):
    """Her own settings (every member of staff): single-key shortcuts on or
    off (WCAG 2.1.4)."""
    # An unticked box sends nothing: an empty POST is still a submission.
    data = request.POST if request.method == "POST" else None
    form = PreferencesForm(data, user=request.user)
    if request.method == "POST" and form.is_valid():
        request.user.keyboard_shortcuts = form.cleaned_data["keyboard_shortcuts"]
        request.user.save(update_fields=["keyboard_shortcuts"])
        messages.success(request, _("Your settings have been saved."))
        return redirect("accounts:preferences")
    return render(request, "accounts/preferences.html", {"form": form})
