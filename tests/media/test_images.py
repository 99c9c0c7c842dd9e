"""Pictures are taken by their content, turned upright, scaled, and re-encoded with nothing
but their pixels; everything else is refused with its reason, before it is decoded."""

from __future__ import annotations

import io

import blurhash
import pytest
from PIL import Image

from smartnode.media.images import AVATAR, MEDIA, Limits, MediaRefused, prepare_image
from tests.media import metadata_of, photo_with_gps, picture_bytes, png_bomb, two_frame_gif

LIMITS = Limits(max_bytes=10 * 1024 * 1024, max_pixels=33_177_600)


def test_a_phone_photo_loses_its_gps_exif_profile_and_comment_and_stands_upright() -> None:
    original = photo_with_gps(60, 40)
    assert b"PhoneCo" in original and metadata_of(original)["exif"]
    picture = prepare_image(original, LIMITS, MEDIA)
    assert (picture.content_type, picture.extension) == ("image/jpeg", "jpg")
    assert (picture.width, picture.height) == (40, 60)  # turned as EXIF Orientation 6 says
    stored = metadata_of(picture.data)
    assert stored == {"exif": {}, "info": {}, "format": "JPEG", "size": (40, 60)}
    for trace in (b"Exif", b"PhoneCo", b"Pocket", b"GPS", b"at home", b"lcms", b"ICC_PROFILE"):
        assert trace not in picture.data
    with Image.open(io.BytesIO(picture.data)) as upright:
        top, bottom = upright.getpixel((20, 5)), upright.getpixel((20, 55))
    assert top[2] > 150 and top[0] < 100  # the blue half came to the top
    assert bottom[0] > 150 and bottom[2] < 100


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [("PNG", "image/png"), ("WEBP", "image/webp"), ("JPEG", "image/jpeg")],
)
def test_each_format_is_kept_and_the_blurhash_describes_the_picture(kind, content_type) -> None:
    picture = prepare_image(picture_bytes(kind, (50, 30)), LIMITS, MEDIA)
    assert picture.content_type == content_type and (picture.width, picture.height) == (50, 30)
    assert metadata_of(picture.data)["format"] == kind
    colour = blurhash.decode(picture.blurhash, 4, 4)[2][2]
    assert abs(colour[0] - 10) < 30 and abs(colour[1] - 120) < 30 and abs(colour[2] - 60) < 30


def test_an_animated_gif_becomes_its_first_frame_as_png() -> None:
    picture = prepare_image(two_frame_gif(), LIMITS, MEDIA)
    assert picture.content_type == "image/png"
    with Image.open(io.BytesIO(picture.data)) as still:
        assert getattr(still, "n_frames", 1) == 1
        assert still.convert("RGB").getpixel((5, 5)) == (0, 200, 0)


def test_a_camera_mpo_is_taken_as_the_jpeg_of_its_first_picture() -> None:
    out = io.BytesIO()
    first, second = Image.new("RGB", (30, 20), (250, 0, 0)), Image.new("RGB", (30, 20), "blue")
    first.save(out, "MPO", save_all=True, append_images=[second])
    picture = prepare_image(out.getvalue(), LIMITS, MEDIA)
    assert picture.content_type == "image/jpeg" and (picture.width, picture.height) == (30, 20)
    with Image.open(io.BytesIO(picture.data)) as stored:
        assert stored.format == "JPEG" and getattr(stored, "n_frames", 1) == 1
        assert stored.getpixel((10, 10))[0] > 200


def test_a_transparent_png_keeps_its_transparency() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (255, 0, 0, 0)).save(out, "PNG")
    picture = prepare_image(out.getvalue(), LIMITS, MEDIA)
    with Image.open(io.BytesIO(picture.data)) as stored:
        assert stored.mode == "RGBA" and stored.getpixel((0, 0))[3] == 0


def test_large_pictures_are_scaled_down_and_avatars_cut_to_a_centred_square() -> None:
    wide = picture_bytes("PNG", (4000, 1000))
    media = prepare_image(wide, LIMITS, MEDIA)
    assert (media.width, media.height) == (1920, 480)
    avatar = prepare_image(wide, LIMITS, AVATAR)
    assert (avatar.width, avatar.height) == (400, 400)
    small = prepare_image(picture_bytes("PNG", (120, 300)), LIMITS, AVATAR)
    assert (small.width, small.height) == (120, 120)  # never enlarged


@pytest.mark.parametrize(
    "data",
    [
        b"just some text, saved as picture.png",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"GIF89a",  # a header and nothing more
        picture_bytes("BMP"),  # a real picture of a format not taken
        picture_bytes("TIFF"),
        picture_bytes("PNG")[:60],  # cut short
        b"",
    ],
)
def test_what_is_not_a_picture_we_take_is_refused_by_its_content(data: bytes) -> None:
    with pytest.raises(MediaRefused) as refused:
        prepare_image(data, LIMITS, MEDIA)
    assert refused.value.reason == "not_image" and refused.value.status_code == 422


@pytest.mark.parametrize("size", [(60_000, 60_000), (7_000, 7_000)])
def test_a_png_bomb_is_refused_by_its_header_before_it_is_decoded(size) -> None:
    bomb = png_bomb(*size)
    assert len(bomb) < 1000
    with pytest.raises(MediaRefused) as refused:
        prepare_image(bomb, LIMITS, MEDIA)
    assert refused.value.reason == "too_many_pixels"


def test_the_pixel_and_byte_limits_are_the_settings() -> None:
    data = picture_bytes("PNG", (200, 100))
    with pytest.raises(MediaRefused) as pixels:
        prepare_image(data, Limits(max_bytes=10**6, max_pixels=19_999), MEDIA)
    assert pixels.value.reason == "too_many_pixels"
    with pytest.raises(MediaRefused) as size:
        prepare_image(data, Limits(max_bytes=len(data) - 1, max_pixels=10**6), MEDIA)
    assert size.value.reason == "too_big"
    assert prepare_image(data, Limits(max_bytes=len(data), max_pixels=20_000), MEDIA).width == 200
