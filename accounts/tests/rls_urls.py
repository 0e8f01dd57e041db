"""URLs of the row-level security tests only (accounts/tests/test_rls.py):
a view that forgets the scope, and one that fails."""

from django.db import connection
from django.http import JsonResponse
from django.urls import include, path


def raw_clients(request):
    # Deliberately unscoped: raw SQL, as a careless view might write it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM consultations_client ORDER BY id")
        return JsonResponse([row[0] for row in cursor.fetchall()], safe=False)


def fails(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("raw-clients/", raw_clients),
    path("fails/", fails),
    path("", include("config.urls")),  # the sign-in page and the rest
]
