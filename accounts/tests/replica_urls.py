"""URLs of the replica tests only (accounts/tests/test_replica.py): a view
that reads the clients on the replica's connection with raw SQL, as a
careless view might, so that only row-level security limits it."""

from django.db import connections
from django.http import JsonResponse
from django.urls import include, path


def raw_clients_replica(request):
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT id FROM consultations_client ORDER BY id")
        return JsonResponse([row[0] for row in cursor.fetchall()], safe=False)


urlpatterns = [
    path("raw-clients-replica/", raw_clients_replica, name="raw_clients_replica"),
    path("", include("config.urls")),
]
