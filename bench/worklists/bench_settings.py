from config.settings.local import *  # noqa

ROOT_URLCONF = "floor_urls"
ALLOWED_HOSTS = ["*"]
