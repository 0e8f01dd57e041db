from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .audit import audit_context


class AuditContextMiddleware:
    """Makes the client IP and path of the current request available to
    accounts.audit.audit(), so services need not pass the request around."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_context(ip=request.META.get("REMOTE_ADDR"), path=request.path):
            return self.get_response(request)


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
