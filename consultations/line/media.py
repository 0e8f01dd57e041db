"""Where LINE message content is kept, and what it is.

Content is stored through Django's storage API in the private storage
"line_media" (config.storages: the folder LINE_MEDIA_ROOT, or an S3 bucket
shared by several servers; never under MEDIA_URL or static: the storage has
no URL), under random names; it is served only by the conversation's media
view. Its type is read from its first bytes (magic numbers), never from a
name or from what LINE announced.
"""

from __future__ import annotations

import io
import os
import secrets
import tempfile
import warnings
import zipfile

from django.core.files.base import ContentFile, File

from config.storages import NamedStorage

from .models import LineMessage

Kind = LineMessage.Kind
OCTET_STREAM = "application/octet-stream"
THUMBNAIL_SIZE = (480, 480)
# Pillow refuses larger images (decompression bombs) instead of warning.
THUMBNAIL_MAX_PIXELS = 60_000_000

storage = NamedStorage("line_media")


def random_name() -> str:
    return secrets.token_hex(16)


def partial_file():
    """A temporary file for a download in progress, deleted when closed:
    inside the private folder (created if needed, owner only) when the
    storage is this server's disk, else in the system's temporary folder
    (the file is the owner's only either way)."""
    try:
        folder = storage.path("partial")
    except NotImplementedError:  # object storage: no folder on this server
        folder = None
    else:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    return tempfile.NamedTemporaryFile(dir=folder, prefix="dl-")


# TYPES
# ------------------------------------------------------------------------------

IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
VIDEO_TYPES = {"video/mp4", "video/quicktime", "video/3gpp"}
AUDIO_TYPES = {"audio/mp4", "audio/aac"}
OFFICE_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/3gpp": "3gp",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "application/pdf": "pdf",
    "application/zip": "zip",
    OFFICE_TYPES["word/"]: "docx",
    OFFICE_TYPES["xl/"]: "xlsx",
    OFFICE_TYPES["ppt/"]: "pptx",
}


def _zip_type(file) -> str:
    """An Office Open XML document (docx, xlsx, pptx) by its parts, else zip."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return ""
    if "[Content_Types].xml" in names:
        for folder, content_type in OFFICE_TYPES.items():
            if any(name.startswith(folder) for name in names):
                return content_type
    return "application/zip"


def sniff(file) -> str:
    """The type of the content of the (binary, seekable) ``file``, read from
    its bytes; '' if none of the kinds known here."""
    file.seek(0)
    head = file.read(32)
    found = ""
    if head.startswith(b"\xff\xd8\xff"):
        found = "image/jpeg"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = "image/png"
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        found = "image/gif"
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        found = "image/webp"
    elif head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            found = "audio/mp4"
        elif brand == b"qt  ":
            found = "video/quicktime"
        elif brand.startswith(b"3g"):
            found = "video/3gpp"
        else:
            found = "video/mp4"
    elif len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        found = "audio/aac"  # ADTS
    elif head.startswith(b"%PDF-"):
        found = "application/pdf"
    elif head.startswith(b"PK\x03\x04"):
        file.seek(0)
        found = _zip_type(file)
    file.seek(0)
    return found


def content_type_for(kind: str, found: str) -> str | None:
    """The type to keep the content as, given the message's kind and the type
    found in its bytes; None when the bytes are not of that kind (an "image"
    that is a PDF or an HTML page)."""
    if kind == Kind.IMAGE:
        return found if found in IMAGE_TYPES else None
    if kind == Kind.VIDEO:
        return found if found in VIDEO_TYPES else None
    if kind == Kind.AUDIO:
        # A voice message is an MP4 container (m4a), whatever its brand says.
        if found in AUDIO_TYPES:
            return found
        return "audio/mp4" if found in VIDEO_TYPES else None
    return found or OCTET_STREAM


def download_name(message: LineMessage, content_type: str) -> str:
    """The name a download is offered under: never the sender's file name
    as is (it is shown on the page), but the message's kind and id."""
    extension = EXTENSIONS.get(content_type, "bin")
    return f"line-{message.kind}-{message.pk}.{extension}"


# THUMBNAILS
# ------------------------------------------------------------------------------


def make_thumbnail(file) -> bytes | None:
    """A JPEG thumbnail of an image file, or None if Pillow cannot read it
    (a damaged file, or one too large to decode safely)."""
    from PIL import Image, ImageOps

    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                if image.width * image.height > THUMBNAIL_MAX_PIXELS:
                    return None
                image.draft("RGB", THUMBNAIL_SIZE)
                image = ImageOps.exif_transpose(image)
                image.thumbnail(THUMBNAIL_SIZE)
                if image.mode in ("RGBA", "LA", "P"):
                    image = image.convert("RGBA")
                    background = Image.new("RGB", image.size, "white")
                    background.paste(image, mask=image.getchannel("A"))
                    image = background
                else:
                    image = image.convert("RGB")
                out = io.BytesIO()
                image.save(out, "JPEG", quality=80)
                return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    except Image.DecompressionBombWarning:
        return None
    finally:
        file.seek(0)


def store(file, *, thumbnail: bool) -> tuple[str, str]:
    """Save the content (and for an image its thumbnail) under random names;
    return (name, thumbnail name or '')."""
    name = storage.save(random_name(), File(file))
    thumb_name = ""
    if thumbnail:
        thumb = make_thumbnail(file)
        if thumb is not None:
            thumb_name = storage.save(random_name(), ContentFile(thumb))
    return name, thumb_name


def delete_files(*names: str) -> None:
    for name in names:
        if name:
            storage.delete(name)
