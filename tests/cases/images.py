"""Test images made with Pillow, one with a GPS position in its EXIF."""

from __future__ import annotations

import io

from PIL import Image


def jpeg_with_gps(size=(64, 48)) -> bytes:
    img = Image.new("RGB", size, (200, 40, 40))
    exif = img.getexif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (31.0, 13.0, 49.44)   # GPSLatitudeRef, GPSLatitude
    gps[3], gps[4] = "E", (121.0, 28.0, 25.32)  # GPSLongitudeRef, GPSLongitude
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def image(fmt: str, size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 40)).save(out, fmt)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as img:
        return bool(img.getexif().get_ifd(0x8825)) or b"GPS" in img.info.get("exif", b"")
