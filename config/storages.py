"""The private storages of files the app keeps and serves later (LINE content,
import uploads): named in settings.STORAGES, on this server's disk by default
or in S3-compatible object storage when several servers share them
(config.settings.base, "SHARED FILES"). Neither has a URL: a file is served
only by the app's authorised, audited views, which stream it from storage.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from storages.backends.s3 import S3Storage

NO_URL = "A private file has no URL; it is served by the app's views only."


class PrivateFileSystemStorage(FileSystemStorage):
    """Files on this server's disk, readable by the owner only. The folder is
    read from the setting ``root_setting`` at each use (tests point it
    elsewhere)."""

    def __init__(self, *, root_setting: str, **kwargs):
        self.root_setting = root_setting
        super().__init__(
            file_permissions_mode=0o600, directory_permissions_mode=0o700, **kwargs
        )

    @property
    def base_location(self):
        return getattr(settings, self.root_setting)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError(NO_URL)


class PrivateS3Storage(S3Storage):
    """Objects in a bucket shared by the servers: private (no ACL grants
    anyone else), and never given a URL, presigned or not."""

    default_acl = "private"
    querystring_auth = True

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError(NO_URL)


class NamedStorage:
    """The storage named ``alias`` in settings.STORAGES, looked up at each use,
    so that a change of the setting (a test's) takes effect."""

    def __init__(self, alias: str):
        self.alias = alias

    def __getattr__(self, name):
        return getattr(storages[self.alias], name)
