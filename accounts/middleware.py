import logging

from django import db
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import middleware as otp_middleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_context

logger = logging.getLogger(__name__)


class AuditContextMiddleware:
    """Makes the client IP and path of the current request available to
    accounts.audit.audit(), so services need not pass the request around."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_context(ip=request.META.get("REMOTE_ADDR"), path=request.path):
            return self.get_response(request)


class SessionIdleMiddleware:
    """Sessions end SESSION_COOKIE_AGE after the last request: a signed-in
    session's expiry (in the database and the cookie) is pushed back when it
    was last pushed back SESSION_REFRESH_SECONDS ago or more, so that a
    page view does not write the session every time. The idle limit is thus
    met to within that many seconds (29-30 minutes for 30)."""

    KEY = "_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = request.session
        if session.accessed and session.get("_auth_user_id"):
            now = self.now()
            if now - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[self.KEY] = now  # modified: saved with a new expiry
        return response

    @staticmethod
    def now() -> int:
        return int(timezone.now().timestamp())

    @classmethod
    def signed_in(cls, sender, request, user, **kwargs):
        request.session[cls.KEY] = cls.now()


class JapaneseFirstLocaleMiddleware(LocaleMiddleware):
    """Japanese unless the user chose English with the language switch: the
    browser's Accept-Language is not consulted, so a shared office PC with an
    English browser still shows the app in Japanese."""

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language


class NoStoreMiddleware:
    """Pages for signed-in users may show personal data: browsers and proxies
    must not keep them (Cache-Control: no-store)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "no-store" in response.get("Cache-Control", ""):
            # Already not kept (the LINE pages' live updates say so without
            # loading the user: their poll costs one query).
            return response
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
        return response


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's, but a public view is let through before the user is loaded
    (Django loads the session and the user first): the LINE pages' live
    updates check their own token and cost one query."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class OTPMiddleware(otp_middleware.OTPMiddleware):
    """django-otp's, without a query of its own in the common case: the TOTP
    device that verified this session counts when it is among the user's
    confirmed TOTP devices, whose ids come with her (accounts.backends); the
    device itself is loaded only if something asks for it. Any other case
    (no such ids, another kind of device, a device not confirmed or not
    hers) is left to django-otp, which then loads the device and refuses it."""

    TOTP = TOTPDevice._meta.label_lower

    def _verify_user_sync(self, request, user):
        confirmed = getattr(user, "_ibasho_totp_ids", None)
        if confirmed is None or not user.is_authenticated:
            return super()._verify_user_sync(request, user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY) or ""
        label, _, pk = self._normalize_persistent_id(persistent_id).rpartition("/")
        if label != self.TOTP or not pk.isdigit() or int(pk) not in confirmed:
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        user.otp_device = SimpleLazyObject(lambda: TOTPDevice.objects.get(pk=pk))
        return user


class TwoFactorMiddleware:
    """With OTP_REQUIRED, a signed-in user who has not passed the second factor
    in this session may only reach the two-factor pages and log out."""

    ALLOWED_URL_NAMES = {"otp", "logout"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "login_required", True) is False:
            # Public views (health check, webhook, the LINE pages' live
            # updates, which check their own token): decided before the user
            # is loaded, so that they cost no session or user query.
            return None
        user = getattr(request, "user", None)
        if not settings.OTP_REQUIRED or user is None or not user.is_authenticated:
            return None
        if user.is_verified():
            return None
        match = request.resolver_match
        if match and match.url_name in self.ALLOWED_URL_NAMES:
            return None
        return redirect_to_login(request.get_full_path(), reverse("accounts:otp"))


class DatabaseTroubleMiddleware:
    """A view that fails because the database is busy or refuses changes (a
    statement or lock timeout, a read-only or unreachable database) answers
    with the app's own 503 page instead of a bare server error. The request's
    transaction has been rolled back, so the page says that nothing was saved
    and shows what the user typed, to copy. Errors that point to a bug or to
    bad data (IntegrityError, DataError, ProgrammingError) stay server errors.

    The page is rendered without the database (no menu, no user), and the log
    line names the error class and SQLSTATE only: no SQL, values or input."""

    TROUBLE = (db.OperationalError, db.InternalError, db.InterfaceError)
    # Fields never shown back: secrets, and the form's own machinery.
    HIDDEN = ("password", "token", "csrfmiddlewaretoken", "secret", "otp", "next")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, self.TROUBLE):
            return None
        cause = exception.__cause__
        logger.error(
            "database trouble on %s %s: %s (SQLSTATE %s)",
            request.method,
            request.resolver_match.view_name if request.resolver_match else "-",
            type(cause or exception).__name__,
            getattr(cause, "sqlstate", None) or "-",
        )
        posted = request.method == "POST"
        typed = []
        if posted:
            for name, values in request.POST.lists():
                if any(word in name.lower() for word in self.HIDDEN):
                    continue
                text = "\n".join(v for v in values if v.strip())
                if text:
                    typed.append({"name": name, "value": text})
        match = request.resolver_match
        context = {
            "posted": posted,
            "typed": typed,
            "signing_in": bool(match and match.url_name == "login"),
            "back": request.get_full_path(),
        }
        response = HttpResponse(
            loader.render_to_string("503.html", context), status=503
        )
        response["Retry-After"] = "60"
        add_never_cache_headers(response)
        return response


class RefuseNulMiddleware:
    """PostgreSQL can neither store nor compare text holding a NUL character
    (U+0000): a query with one fails with a server error. A request whose
    query string or form fields (names or values, uploads' field names
    included) hold a NUL is therefore refused here, before any view runs, with
    a 400 page; nothing is written. (Django already drops non-printable
    characters from uploaded file names.)"""

    NUL = "\x00"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.has_nul(request):
            # The method and path only: the parameters may be personal data.
            logger.warning(
                "Refused a %s request to %s: NUL character in its parameters",
                request.method,
                request.path,
            )
            return render(request, "400_nul.html", status=400)
        return self.get_response(request)

    @classmethod
    def has_nul(cls, request) -> bool:
        fields = [request.GET]
        if request.method == "POST":
            fields += [request.POST, request.FILES]
        for data in fields:
            for key, values in data.lists():
                if cls.NUL in key:
                    return True
                if any(isinstance(v, str) and cls.NUL in v for v in values):
                    return True
        return False
