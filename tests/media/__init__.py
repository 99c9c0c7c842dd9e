"""Real pictures made with Pillow for the media tests, and hostile files that only look like
pictures."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image, ImageCms

#: EXIF Orientation 6: the camera was turned; the stored pixels must be turned 90° clockwise.
TURNED = 6


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def photo_with_gps(width: int = 60, height: int = 40, *, orientation: int = TURNED) -> bytes:
    """A JPEG as a phone takes it: EXIF with GPS position, camera, orientation; an ICC
    profile; a comment."""
    picture = Image.new("RGB", (width, height), (200, 30, 30))
    picture.paste((20, 40, 220), (0, 0, width // 2, height))  # left half blue: turns show
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Pocket 12"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (55.0, 42.0, 18.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (13.0, 11.0, 30.0),
    }
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, icc_profile=srgb_profile(), comment=b"at home")
    return out.getvalue()


def picture_bytes(kind: str, size: tuple[int, int] = (50, 30), mode: str = "RGB") -> bytes:
    """A plain picture of `kind` (PNG, GIF, WEBP, JPEG, BMP…)."""
    out = io.BytesIO()
    Image.new(mode, size, (10, 120, 60) if mode == "RGB" else None).save(out, kind)
    return out.getvalue()


def two_frame_gif() -> bytes:
    """An animated GIF: a green frame, then a red one."""
    frames = [Image.new("RGB", (20, 20), (0, 200, 0)), Image.new("RGB", (20, 20), (200, 0, 0))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A few hundred bytes of PNG whose header claims `width` × `height` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 4096, 9))
        + _chunk(b"IEND", b"")
    )


#: What Pillow reports of a file's encoding (not metadata about the picture or its author).
LAYOUT = ("dpi", "jfif", "jfif_version", "jfif_unit", "jfif_density", "progressive",
          "progression")  # fmt: skip


def metadata_of(data: bytes) -> dict[str, object]:
    """What a stored file still says about itself besides its pixels."""
    with Image.open(io.BytesIO(data)) as picture:
        return {
            "exif": dict(picture.getexif()),
            "info": {k: v for k, v in picture.info.items() if k not in LAYOUT},
            "format": picture.format,
            "size": picture.size,
        }
