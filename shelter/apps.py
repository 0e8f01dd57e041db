from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShelterConfig(AppConfig):
    name = "shelter"
    verbose_name = _("Places (shelter and salon)")
