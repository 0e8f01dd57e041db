"""No double booking when many people book one room at the same moment."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from jpdates import on_screen
from shelter.models import Stay
from shelter.services import stay_book
from tests.factories import ClientFactory, UserFactory

from .factories import RoomFactory

THREADS = 20


def error_codes(exc: ValidationError) -> set[str]:
    if hasattr(exc, "error_dict"):
        return {e.code for errors in exc.error_dict.values() for e in errors}
    return {e.code for e in exc.error_list}


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_overlapping_bookings_leave_exactly_one_stay():
    """20 threads, each on its own database connection, book overlapping days
    of one room at once: one booking succeeds, the 19 others are refused with
    the conflict error naming the dates, and the room holds one stay."""
    room = RoomFactory()
    user = UserFactory()
    clients = [ClientFactory() for _ in range(THREADS)]
    start = dt.date(2021, 10, 1)
    barrier = threading.Barrier(THREADS)
    outcomes: list = [None] * THREADS
    seen = set()

    def book(i: int) -> None:
        try:
            connections["default"].ensure_connection()
            seen.add(id(connections["default"].connection))
            first = start + dt.timedelta(days=i % 3)  # 1–4, 2–5, 3–6 October
            barrier.wait(timeout=30)
            stay_book(
                by=user,
                room=room,
                client=clients[i],
                start=first,
                end=first + dt.timedelta(days=3),
            )
            outcomes[i] = "booked"
        except ValidationError as exc:
            outcomes[i] = ("refused", error_codes(exc), " ".join(exc.messages))
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            outcomes[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(seen) == THREADS  # each thread had its own connection
    booked = [o for o in outcomes if o == "booked"]
    refused = [o for o in outcomes if isinstance(o, tuple) and o[0] == "refused"]
    assert len(booked) == 1, outcomes
    assert len(refused) == THREADS - 1, outcomes
    assert all(codes == {"overlap"} for _r, codes, _m in refused), refused
    stay = Stay.objects.get()
    assert all(on_screen(stay.start_date) in message for _r, _c, message in refused)
    assert Stay.objects.filter(room=room).count() == 1
