"""Uploaded pictures made safe to serve (pure: bytes in, bytes out, no I/O).

A picture is recognised by its content (JPEG, PNG, WebP, GIF; a GIF's or an animation's first
frame), refused above a byte and a pixel count before it is decoded, turned upright by its
EXIF orientation, brought to sRGB, scaled down (a square crop for avatars) and encoded again
from its pixels alone: no EXIF, GPS, ICC profile, XMP or text chunk survives.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import blurhash
from PIL import Image, ImageCms, ImageOps

from smartnode.errors import ValidationFailed

#: The formats accepted, as Pillow names them; anything else is "not a picture".
ACCEPTED = ("JPEG", "PNG", "WEBP", "GIF")
#: The format a picture is stored in, by the format it came in (a GIF's first frame: PNG;
#: MPO is the JPEG of cameras that add a second picture, which Pillow opens as JPEG).
STORED_AS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
QUALITY = 85
#: Pixels of the small copy the blurhash is computed on, and its components (as Mastodon's).
BLUR_SIDE, BLUR_COMPONENTS = 32, 4
Reason = Literal["not_image", "too_big", "too_many_pixels"]


class MediaRefused(ValidationFailed):
    """An upload that is not a picture we take; `reason` says which rule refused it."""

    code = "media_refused"

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class Limits:
    """How large an upload may be: in bytes, and in pixels (width × height) once decoded."""

    max_bytes: int
    max_pixels: int


@dataclass(frozen=True, slots=True)
class Shape:
    """What a picture becomes: its longest side at most `max_side`; a centred square if
    `square`."""

    max_side: int
    square: bool = False


#: A picture attached to a post.
MEDIA = Shape(max_side=1920)
#: A profile picture.
AVATAR = Shape(max_side=400, square=True)


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """A picture ready to store."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    blurhash: str


def prepare_image(data: bytes, limits: Limits, shape: Shape) -> PreparedImage:
    """The picture in `data` re-encoded to `shape`; MediaRefused when it is not one we take."""
    if len(data) > limits.max_bytes:
        raise MediaRefused("too_big", f"the picture is larger than {limits.max_bytes} bytes")
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED) as source:
            return _prepared(source, limits, shape)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many(limits) from None  # (the warning is raised where warnings are errors)
    except MediaRefused:
        raise
    except Exception:  # hostile files fail in the decoders in many ways: all mean the same
        raise MediaRefused(
            "not_image", "the file is not a JPEG, PNG, WebP or GIF picture that can be read"
        ) from None


def _too_many(limits: Limits) -> MediaRefused:
    return MediaRefused("too_many_pixels", f"the picture has more than {limits.max_pixels} pixels")


def _prepared(source: Image.Image, limits: Limits, shape: Shape) -> PreparedImage:
    width, height = source.size
    if width < 1 or height < 1 or width * height > limits.max_pixels:
        raise _too_many(limits)
    kind = str(source.format)
    if STORED_AS[kind] == "JPEG":  # decode at a reduced scale when the picture is much larger
        source.draft("RGB", (shape.max_side, shape.max_side))
    source.seek(0)
    try:
        picture = ImageOps.exif_transpose(source)  # upright, from the first frame
    except Exception:  # an EXIF block that cannot be read: the pixels as they are
        picture = source.copy()
    picture = _in_srgb(picture, source.info.get("icc_profile"))
    picture = _sized(picture, shape)
    stored_as = STORED_AS[kind]
    picture = _plain(picture, keep_alpha=stored_as != "JPEG")
    out = io.BytesIO()
    if stored_as == "PNG":
        picture.save(out, "PNG", optimize=True)
    else:
        picture.save(out, stored_as, quality=QUALITY)
    return PreparedImage(
        data=out.getvalue(),
        content_type=CONTENT_TYPES[stored_as],
        extension=EXTENSIONS[stored_as],
        width=picture.width,
        height=picture.height,
        blurhash=blurhash_of(picture),
    )


def _has_alpha(picture: Image.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in picture.info


def _in_srgb(picture: Image.Image, icc: object) -> Image.Image:
    """The picture in RGB(A) or L, its colour profile (if any) applied, not kept."""
    mode = "RGBA" if _has_alpha(picture) else "RGB"
    if picture.mode in ("P", "PA", "1", "I", "I;16", "F", "LA", "La", "RGBa", "YCbCr", "LAB",
                        "HSV") or (picture.mode == "L" and mode == "RGBA"):  # fmt: skip
        picture = picture.convert(mode)
    if isinstance(icc, bytes) and icc:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
            out_mode = picture.mode if picture.mode in ("RGB", "RGBA") else "RGB"
            converted = ImageCms.profileToProfile(picture, profile, srgb, outputMode=out_mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a profile we cannot apply: the pixels as they are
    if picture.mode not in ("RGB", "RGBA", "L"):
        picture = picture.convert(mode)
    return picture


def _sized(picture: Image.Image, shape: Shape) -> Image.Image:
    """Scaled down to fit `shape` (never up); a centred square crop for a square shape."""
    if shape.square:
        side = min(picture.width, picture.height, shape.max_side)
        return ImageOps.fit(picture, (side, side), Image.Resampling.LANCZOS)
    if max(picture.size) > shape.max_side:
        picture = picture.copy()
        picture.thumbnail((shape.max_side, shape.max_side), Image.Resampling.LANCZOS)
    return picture


def _plain(picture: Image.Image, *, keep_alpha: bool) -> Image.Image:
    """A new image of the same pixels and nothing else (no info, no EXIF, no profile)."""
    if not keep_alpha and picture.mode == "RGBA":
        flat = Image.new("RGB", picture.size, (255, 255, 255))
        flat.paste(picture, mask=picture.getchannel("A"))
        picture = flat
    return Image.frombytes(picture.mode, picture.size, picture.tobytes())


def blurhash_of(picture: Image.Image) -> str:
    """The picture's BlurHash (what apps show while it loads)."""
    small = picture.convert("RGB")
    small.thumbnail((BLUR_SIDE, BLUR_SIDE), Image.Resampling.BILINEAR)
    data = small.tobytes()  # r, g, b of each pixel, row by row
    width = small.width
    rows = [
        [list(data[3 * (y * width + x) : 3 * (y * width + x) + 3]) for x in range(width)]
        for y in range(small.height)
    ]
    return str(blurhash.encode(rows, BLUR_COMPONENTS, BLUR_COMPONENTS))
