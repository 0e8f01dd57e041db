"""Query counts that must not grow with the data."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_for(request) -> list[str]:
    """The SQL a request runs (savepoints of ATOMIC_REQUESTS left out)."""
    with CaptureQueriesContext(connection) as ctx:
        response = request()
    assert response.status_code == 200, response.status_code
    return [
        q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].upper()
    ]
