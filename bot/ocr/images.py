"""What a photo must be before it is read: an image, at most 10 MB and 6,000 px a side."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from rules.text import Text, t

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 6000

TOO_LARGE = t(
    "照片太大（超过10 MB），请压缩后再发。",
    "The photo is too large (over 10 MB); send a smaller one.",
)
TOO_MANY_PIXELS = t(
    "照片尺寸太大（长边超过6000像素），请缩小后再发。",
    "The photo is too large (over 6,000 pixels a side); send a smaller one.",
)
NOT_AN_IMAGE = t(
    "这个文件不是能识别的图片（支持JPEG、PNG、WebP、BMP），请重新拍照。",
    "This file is not an image that can be read (JPEG, PNG, WebP, BMP); take the photo again.",
)


class PhotoError(Exception):
    """The photo cannot be read; `reason` says why, in both languages."""

    def __init__(self, reason: Text) -> None:
        super().__init__(reason.en)
        self.reason = reason


@dataclass(frozen=True)
class Photo:
    """An image's bytes, checked, with its SHA-256 (the only trace kept of it)."""

    data: bytes
    sha256: str
    width: int
    height: int


_FORMATS = {"JPEG", "PNG", "WEBP", "BMP", "MPO", "TIFF"}


def check_photo(data: bytes) -> Photo:
    """Return the photo when it can be read; raise PhotoError (never anything else)."""
    if len(data) > MAX_BYTES:
        raise PhotoError(TOO_LARGE)
    from PIL import Image, ImageFile

    # WeasyPrint, once imported (`beian chat` renders in its own process), lets Pillow load
    # truncated images for the whole process; a photo cut short is refused all the same.
    truncated_ok, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in _FORMATS:
                    raise PhotoError(NOT_AN_IMAGE)
                width, height = image.size
                if max(width, height) > MAX_SIDE:
                    raise PhotoError(TOO_MANY_PIXELS)
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # verify() does not decode: a truncated file fails here
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError(TOO_MANY_PIXELS) from exc
    except Exception as exc:  # whatever Pillow raises on a bad file
        raise PhotoError(NOT_AN_IMAGE) from exc
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
    return Photo(data, hashlib.sha256(data).hexdigest(), width, height)
