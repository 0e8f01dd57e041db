"""LINE intake (SPEC §2, "consultations/ (LINE)").

Messages reach the app through a signed webhook (``webhook.py``) and are
stored per LINE user (``models.py``). Counsellors read them in an inbox, link
the LINE user to a client, record the day's exchange as a LINE consultation
and reply through the Messaging API (``messaging.py``). Writes are in
``services.py``, reads in ``selectors.py``.

The LINE display name and user id are personal data: only counsellors see
them, conversation pages are audited like client records, and log lines name
record ids only, never a message text.
"""
