"""Where to go after a form: the one place that reads a ``next`` parameter."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str) -> str:
    """The ``next`` parameter of the request (POST, else GET) if it points into
    this site, else ``default``. Another host, a scheme-relative ``//host``
    URL, a ``javascript:`` URL or, on an HTTPS request, an ``http://`` URL
    all give ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return target
    return default
