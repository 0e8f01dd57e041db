from .audit import audit_context


class AuditContextMiddleware:
    """Makes the client IP and path of the current request available to
    accounts.audit.audit(), so services need not pass the request around."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_context(ip=request.META.get("REMOTE_ADDR"), path=request.path):
            return self.get_response(request)
