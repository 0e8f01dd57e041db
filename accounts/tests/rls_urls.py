"""URLs of the row-level security tests only (accounts/tests/test_rls.py):
a view that forgets the scope, one that fails, one that runs no query, and
one whose transaction is rolled back before its page reads the clients."""

from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.template.response import SimpleTemplateResponse
from django.urls import include, path


def raw_clients(request):
    # Deliberately unscoped: raw SQL, as a careless view might write it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM consultations_client ORDER BY id")
        return JsonResponse([row[0] for row in cursor.fetchall()], safe=False)


def fails(request):
    raise RuntimeError("a bug")


def quiet(request):
    return HttpResponse("no query")


def rolled_back(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # the view's first query
    transaction.set_rollback(True)
    # A template response is rendered after the view's transaction has
    # ended (here: rolled back); the raw query then runs outside it.
    response = SimpleTemplateResponse(engines["django"].from_string(""))
    response.add_post_render_callback(lambda response: raw_clients(request))
    return response


urlpatterns = [
    path("raw-clients/", raw_clients),
    path("fails/", fails),
    path("quiet/", quiet),
    path("rolled-back/", rolled_back),
    path("", include("config.urls")),  # the sign-in page and the rest
]
