"""Japanese labels for the third-party apps shown in the Django admin
(django-axes, django-otp's TOTP devices), which ship no Japanese catalogue.

Their strings are translated by this project's catalogue: axes marks its
labels for translation, so listing the same msgids here (``gettext_noop``)
is enough for ``makemessages`` to carry them. django-otp writes plain
strings; ``label_third_party_apps`` makes them lazy translations of the very
same English text, so the migration autodetector sees no change.
"""

from django.utils.translation import gettext_lazy, gettext_noop

AXES_LABELS = (
    gettext_noop("Axes"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
)

# django-otp: model and field names as Django derives them from the code.
TOTP_MODEL = (gettext_noop("TOTP device"), gettext_noop("TOTP devices"))
TOTP_FIELDS = {
    "name": gettext_noop("name"),
    "confirmed": gettext_noop("confirmed"),
    "user": gettext_noop("user"),
    "key": gettext_noop("key"),
    "created_at": gettext_noop("created at"),
    "last_used_at": gettext_noop("last used at"),
}
TOTP_APP = gettext_noop("TOTP devices (two-factor authentication)")


def label_third_party_apps(apps) -> None:
    """Called from AccountsConfig.ready(): app and model names of django-otp
    and django-axes through gettext."""
    if apps.is_installed("axes"):
        apps.get_app_config("axes").verbose_name = gettext_lazy("Axes")
    if not apps.is_installed("django_otp.plugins.otp_totp"):
        return
    config = apps.get_app_config("otp_totp")
    config.verbose_name = gettext_lazy(TOTP_APP)
    device = config.get_model("TOTPDevice")
    device._meta.verbose_name = gettext_lazy(TOTP_MODEL[0])
    device._meta.verbose_name_plural = gettext_lazy(TOTP_MODEL[1])
    for name, label in TOTP_FIELDS.items():
        device._meta.get_field(name).verbose_name = gettext_lazy(label)
