"""Unit tests of the pure image processing module, on images generated here."""

from __future__ import annotations

import io
from typing import cast

import pytest
from PIL import Image, ImageOps

import images
from image_processor import (
    ImageRejected,
    Limits,
    Operation,
    Reason,
    Route,
    check_size,
    is_lossless_webp,
    process_image,
    route,
)

LIMITS = Limits()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def rejection(data: bytes, key: str, limits: Limits = LIMITS) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        process_image(data, route(key), limits)
    return caught.value


# --------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "operation", "fmt"),
    [
        ("uploads/a.jpg", Operation.RESIZE, "JPEG"),
        ("uploads/a.JPEG", Operation.RESIZE, "JPEG"),
        ("uploads/x/y/a.png", Operation.RESIZE, "PNG"),
        ("uploads/a.WebP", Operation.RESIZE, "WEBP"),
        ("uploads/a_thumb.jpg", Operation.THUMBNAIL, "JPEG"),
        ("uploads/A_THUMB.PNG", Operation.THUMBNAIL, "PNG"),
        ("uploads/a_grayscale.webp", Operation.GRAYSCALE, "WEBP"),
        ("uploads/my_thumb_grayscale.png", Operation.GRAYSCALE, "PNG"),
        ("uploads/photo.png.jpg", Operation.RESIZE, "JPEG"),
    ],
)
def test_route_follows_the_file_name(key: str, operation: Operation, fmt: str) -> None:
    assert route(key) == Route(operation, fmt)


@pytest.mark.parametrize(
    "key", ["uploads/a.gif", "uploads/noext", "uploads/.png", "uploads/a.jpg.exe", "uploads/a."]
)
def test_route_rejects_other_extensions(key: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        route(key)
    assert caught.value.reason is Reason.UNSUPPORTED_EXTENSION


@pytest.mark.parametrize(
    ("size", "suffix", "expected"),
    [
        ((300, 200), "", (300, 200)),
        ((3000, 2000), "", (1024, 683)),
        ((2000, 3000), "", (683, 1024)),
        ((4096, 1), "", (1024, 1)),
        ((1024, 1024), "", (1024, 1024)),
        ((1025, 1025), "", (1024, 1024)),
        ((3000, 2000), "_thumb", (200, 133)),
        ((201, 100), "_thumb", (200, 100)),
        ((200, 200), "_thumb", (200, 200)),
        ((3000, 2000), "_grayscale", (3000, 2000)),
    ],
)
def test_fit_within_keeps_aspect_and_never_upscales(
    size: tuple[int, int], suffix: str, expected: tuple[int, int]
) -> None:
    data = images.encode(Image.new("L", size, 128), "PNG")

    output = decode(process_image(data, route(f"uploads/f{suffix}.png"), LIMITS).data)

    assert output.size == expected


# --------------------------------------------------------------------------
# Operations, per format
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
@pytest.mark.parametrize(
    ("suffix", "size", "expected_size", "expected_modes"),
    [
        ("", (3000, 2000), (1024, 683), {"RGB"}),
        ("", (300, 200), (300, 200), {"RGB"}),
        ("_thumb", (3000, 2000), (200, 133), {"RGB"}),
        ("_thumb", (150, 100), (150, 100), {"RGB"}),
        # WEBP stores grey as RGB with equal channels.
        ("_grayscale", (640, 480), (640, 480), {"L", "RGB"}),
    ],
)
def test_each_operation_in_each_format(
    fmt: str,
    ext: str,
    suffix: str,
    size: tuple[int, int],
    expected_size: tuple[int, int],
    expected_modes: set[str],
) -> None:
    # Arrange
    data = images.make(fmt, size)

    # Act
    result = process_image(data, route(f"uploads/p/name{suffix}.{ext}"), LIMITS)

    # Assert
    output = decode(result.data)
    assert output.format == fmt
    assert output.size == expected_size
    assert output.mode in expected_modes
    assert result.content_type == f"image/{ext.replace('jpg', 'jpeg')}"
    assert (result.output.width, result.output.height) == expected_size
    assert (result.source.width, result.source.height) == size
    assert result.output.size_bytes == len(result.data)


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_grayscale_has_no_colour_left(fmt: str, ext: str) -> None:
    result = process_image(
        images.make(fmt, (256, 256)), route(f"uploads/g_grayscale.{ext}"), LIMITS
    )

    output = decode(result.data).convert("RGB")
    red, green, blue = (band.tobytes() for band in output.split())
    # Lossy WEBP stores chroma at quarter resolution: allow its rounding.
    tolerance = 2 if fmt == "WEBP" else 0
    assert max(abs(r - g) for r, g in zip(red, green, strict=True)) <= tolerance
    assert max(abs(r - b) for r, b in zip(red, blue, strict=True)) <= tolerance


def test_resize_content_matches_a_reference_downscale() -> None:
    source = images.gradient((2048, 1536))
    data = images.encode(source, "PNG")

    result = process_image(data, route("uploads/r.png"), LIMITS)

    reference = source.resize((1024, 768), Image.Resampling.LANCZOS)
    output = decode(result.data)
    difference = max(abs(a - b) for a, b in zip(output.tobytes(), reference.tobytes(), strict=True))
    assert difference <= 8


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("WEBP", "webp")])
@pytest.mark.parametrize("suffix", ["", "_thumb", "_grayscale"])
def test_transparency_is_kept(fmt: str, ext: str, suffix: str) -> None:
    image = images.gradient((1200, 800)).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((1200, 800)))
    data = images.encode(image, fmt, **({"lossless": True} if fmt == "WEBP" else {}))

    result = process_image(data, route(f"uploads/t{suffix}.{ext}"), LIMITS)

    output = decode(result.data)
    assert "A" in output.getbands()
    alpha = output.getchannel("A")
    lowest, highest = cast("tuple[int, int]", alpha.getextrema())
    assert lowest < 20
    assert highest > 235


def test_palette_transparency_becomes_alpha() -> None:
    image = Image.new("P", (400, 400), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] * 128)
    image.paste(0, (0, 0, 200, 400))
    data = images.encode(image, "PNG", transparency=1)

    output = decode(process_image(data, route("uploads/p_thumb.png"), LIMITS).data)

    assert output.mode == "RGBA"
    assert output.size == (200, 200)
    assert output.getpixel((10, 100)) == (0, 0, 0, 255)
    assert cast("tuple[int, ...]", output.getpixel((190, 100)))[3] == 0


def test_sixteen_bit_png_is_scaled_not_clipped() -> None:
    image = Image.new("I;16", (64, 64), 40000)
    data = images.encode(image, "PNG")

    output = decode(process_image(data, route("uploads/deep.png"), LIMITS).data)

    assert output.mode == "L"
    assert abs(cast(int, output.getpixel((0, 0))) - 40000 // 256) <= 1


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_exif_orientation_is_applied(orientation: int, fmt: str, ext: str) -> None:
    data = images.with_orientation(fmt, (1600, 1000), orientation)
    raw = decode(data)
    assert images.is_upright(raw) == (orientation == 1)  # the fixture really is turned

    output = decode(process_image(data, route(f"uploads/o.{ext}"), LIMITS).data)

    assert output.size == (1024, 640)
    assert images.is_upright(output)
    assert ImageOps.exif_transpose(output).size == output.size


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_all_metadata_is_stripped(fmt: str, ext: str) -> None:
    image = images.gradient((500, 400))
    exif = image.getexif()
    exif[0x010F] = "SecretCam"  # Make
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret</x:xmpmeta>'
    options = {"exif": exif.tobytes(), "icc_profile": images.swapped_rgb_profile(), "xmp": xmp}
    if fmt == "JPEG":
        options["comment"] = b"secret comment"
    data = images.encode(image, fmt, **options)
    assert b"SecretCam" in data

    result = process_image(data, route(f"uploads/m.{ext}"), LIMITS)

    output = decode(result.data)
    assert not output.getexif()
    for key in ("exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"):
        assert key not in output.info
    for secret in (b"SecretCam", b"secret", b"Swapped RGB"):
        assert secret not in result.data


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_embedded_icc_profile_is_converted_to_srgb(fmt: str, ext: str) -> None:
    # Under the swapped profile, values stored as pure red mean blue light.
    image = Image.new("RGB", (300, 300), (255, 0, 0))
    options = {"quality": 95} if fmt != "PNG" else {}
    data = images.encode(image, fmt, icc_profile=images.swapped_rgb_profile(), **options)

    output = decode(process_image(data, route(f"uploads/icc.{ext}"), LIMITS).data)

    red, green, blue = cast("tuple[int, ...]", output.convert("RGB").getpixel((150, 150)))
    assert blue > 200
    assert max(red, green) < 60


def test_cmyk_jpeg_becomes_rgb_with_the_right_colours() -> None:
    # C=0 M=255 Y=255 K=0 is red ink.
    data = images.encode(Image.new("CMYK", (2000, 1000), (0, 255, 255, 0)), "JPEG", quality=95)

    output = decode(process_image(data, route("uploads/print.jpg"), LIMITS).data)

    assert output.mode == "RGB"
    assert output.size == (1024, 512)
    red, green, blue = cast("tuple[int, ...]", output.getpixel((500, 250)))
    assert red > 200
    assert max(green, blue) < 60


# --------------------------------------------------------------------------
# Rejections
# --------------------------------------------------------------------------


def test_size_limits_from_the_event() -> None:
    check_size(LIMITS.max_bytes, LIMITS)
    with pytest.raises(ImageRejected) as too_big:
        check_size(LIMITS.max_bytes + 1, LIMITS)
    with pytest.raises(ImageRejected) as empty:
        check_size(0, LIMITS)
    assert too_big.value.reason is Reason.TOO_LARGE_BYTES
    assert empty.value.reason is Reason.EMPTY


def test_downloaded_bytes_over_the_limit_are_rejected() -> None:
    data = images.make("PNG", (64, 64))
    small = Limits(max_bytes=len(data) - 1)

    assert rejection(data, "uploads/a.png", small).reason is Reason.TOO_LARGE_BYTES


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (images.make("GIF", (50, 50)), "uploads/a.png"),
        (images.make("BMP", (50, 50)), "uploads/a.jpg"),
        (images.make("TIFF", (50, 50)), "uploads/a.webp"),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "uploads/a.png"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "uploads/a.png",
        ),
        (b"<html><body>hi</body></html>", "uploads/a.jpg"),
        (bytes(range(256)) * 4, "uploads/a.webp"),
    ],
)
def test_content_that_is_not_an_allowed_image_is_unsupported_type(data: bytes, key: str) -> None:
    rejected = rejection(data, key)

    assert rejected.reason is Reason.UNSUPPORTED_TYPE
    assert rejected.suspicious


@pytest.mark.parametrize(
    ("fmt", "key"),
    [("PNG", "uploads/a.jpg"), ("JPEG", "uploads/a.png"), ("WEBP", "uploads/a.jpeg")],
)
def test_content_that_does_not_match_its_name_is_type_mismatch(fmt: str, key: str) -> None:
    rejected = rejection(images.make(fmt, (50, 50)), key)

    assert rejected.reason is Reason.TYPE_MISMATCH
    assert rejected.suspicious


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
@pytest.mark.parametrize("size", [(4097, 10), (10, 4097), (4097, 4097), (5000, 5000)])
def test_dimensions_over_the_limit(fmt: str, ext: str, size: tuple[int, int]) -> None:
    data = images.encode(Image.new("L" if fmt != "WEBP" else "RGB", size), fmt)

    rejected = rejection(data, f"uploads/big.{ext}")

    assert rejected.reason is Reason.TOO_LARGE_DIMENSIONS
    assert not rejected.suspicious


def test_exactly_the_limit_is_accepted() -> None:
    data = images.encode(Image.new("L", (4096, 16)), "PNG")

    result = process_image(data, route("uploads/edge.png"), LIMITS)

    assert (result.output.width, result.output.height) == (1024, 4)


def test_header_claiming_huge_dimensions_is_a_decompression_bomb() -> None:
    # A 60000x60000 JPEG is never encoded: patch the SOF0 frame of a tiny one.
    data = bytearray(images.encode(Image.new("L", (8, 8)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (60000).to_bytes(2, "big") * 2

    rejected = rejection(bytes(data), "uploads/bomb.jpg")

    assert rejected.reason is Reason.DECOMPRESSION_BOMB
    assert rejected.suspicious


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_images_are_corrupt(fmt: str, ext: str, keep: float) -> None:
    data = images.make(fmt, (800, 600))

    rejected = rejection(data[: int(len(data) * keep)], f"uploads/cut.{ext}")

    assert rejected.reason is Reason.CORRUPT


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("WEBP", "webp")])
def test_animated_images_are_rejected(fmt: str, ext: str) -> None:
    frames = [images.gradient((64, 64)), images.gradient((64, 64)).rotate(90)]
    data = images.encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)

    rejected = rejection(data, f"uploads/anim.{ext}")

    assert rejected.reason is Reason.ANIMATED


def test_memory_guard_rejects_what_cannot_fit_and_names_the_need() -> None:
    data = images.encode(Image.new("RGB", (2000, 2000)), "PNG")

    rejected = rejection(data, "uploads/m.png", Limits(memory_budget_bytes=16 * 2**20))

    assert rejected.reason is Reason.TOO_LARGE_FOR_MEMORY
    assert "MiB" in rejected.message


# --------------------------------------------------------------------------
# Real-world images: tRNS transparency, multi-picture JPEGs, lossless WEBP,
# greyscale ICC profiles
# --------------------------------------------------------------------------

# (mode, transparent value, opaque value, opaque value as 8-bit L or RGB)
TRNS_CASES = [
    ("1", 0, 1, 255),
    ("L", 7, 200, 200),
    ("I;16", 300, 51200, 200),
    ("RGB", (1, 2, 3), (200, 100, 50), (200, 100, 50)),
]
OPERATIONS = [("", (1024, 512)), ("_thumb", (200, 100)), ("_grayscale", (1600, 800))]


@pytest.mark.parametrize(("mode", "clear", "solid", "expected"), TRNS_CASES, ids=lambda v: str(v))
@pytest.mark.parametrize(("suffix", "size"), OPERATIONS)
def test_png_trns_transparency_is_kept_in_every_mode(
    mode: str,
    clear: int | tuple[int, int, int],
    solid: int | tuple[int, int, int],
    expected: int | tuple[int, int, int],
    suffix: str,
    size: tuple[int, int],
) -> None:
    # Arrange: the left half is the tRNS colour (transparent), the right half opaque.
    image = Image.new(mode, (1600, 800), clear)
    image.paste(Image.new(mode, (800, 800), solid), (800, 0))  # (an int paste clips I;16)
    data = images.encode(image, "PNG", transparency=clear)

    # Act
    result = process_image(data, route(f"uploads/t{suffix}.png"), LIMITS)

    # Assert
    output = decode(result.data)
    grey = mode != "RGB" or suffix == "_grayscale"
    assert output.mode == ("LA" if grey else "RGBA")
    assert result.output.mode == output.mode
    assert output.size == size
    width, height = size
    left = cast("tuple[int, ...]", output.getpixel((width // 8, height // 2)))
    right = cast("tuple[int, ...]", output.getpixel((width * 7 // 8, 5)))
    assert left[-1] == 0
    assert right[-1] == 255
    if grey:
        luma = expected if mode != "RGB" else (200 * 299 + 100 * 587 + 50 * 114) // 1000
        assert right == (luma, 255)
    else:
        assert isinstance(expected, tuple)
        assert right == (*expected, 255)


def test_png_without_trns_stays_opaque_and_alpha_free() -> None:
    data = images.encode(Image.new("L", (300, 200), 7), "PNG")

    output = decode(process_image(data, route("uploads/opaque.png"), LIMITS).data)

    assert output.mode == "L"
    assert "transparency" not in output.info


@pytest.mark.parametrize("form", ["mpo", "ultrahdr", "ultrahdr-element", "ultrahdr-iso"])
@pytest.mark.parametrize(("suffix", "size"), [("", (1024, 768)), ("_thumb", (200, 150))])
def test_multi_picture_jpeg_is_processed_as_its_primary_image(
    form: str, suffix: str, size: tuple[int, int]
) -> None:
    # Arrange: a still with a second picture (stereo view or HDR gain map) behind it.
    data = images.multi_picture_jpeg((1600, 1200), form)
    assert Image.open(io.BytesIO(data)).format in ("MPO", "JPEG")

    # Act
    result = process_image(data, route(f"uploads/phone{suffix}.jpg"), LIMITS)

    # Assert: one plain JPEG of the primary; the secondary image and its XMP are gone.
    output = decode(result.data)
    assert output.format == "JPEG"
    assert output.size == size
    assert (result.source.width, result.source.height) == (1600, 1200)
    assert result.source.format == "JPEG"
    assert result.content_type == "image/jpeg"
    red, green, blue = cast("tuple[int, ...]", output.getpixel((size[0] // 2, size[1] // 2)))
    assert abs(red - images.PRIMARY_COLOUR[0]) <= 8
    assert max(abs(green - images.PRIMARY_COLOUR[1]), abs(blue - images.PRIMARY_COLOUR[2])) <= 8
    for marker in (b"MPF\0", b"hdrgm", b"Container:Directory"):
        assert marker not in result.data
    assert result.data.count(b"\xff\xd8") == 1  # one start-of-image: no second picture


def test_multi_picture_jpeg_in_greyscale_is_the_primary_in_grey() -> None:
    data = images.multi_picture_jpeg((800, 600), "ultrahdr-iso")

    output = decode(process_image(data, route("uploads/hdr_grayscale.jpg"), LIMITS).data)

    assert output.mode == "L"
    assert output.size == (800, 600)
    expected = (200 * 299 + 30 * 587 + 30 * 114) // 1000  # luma of PRIMARY_COLOUR
    assert abs(cast(int, output.getpixel((400, 300))) - expected) <= 4


def test_a_multi_picture_jpeg_too_large_for_memory_is_still_guarded() -> None:
    data = images.multi_picture_jpeg((2000, 2000), "mpo")

    rejected = rejection(data, "uploads/m.jpg", Limits(memory_budget_bytes=8 * 2**20))

    assert rejected.reason is Reason.TOO_LARGE_FOR_MEMORY


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("size", [(16, 16), (300, 200)])
def test_lossless_webp_stays_lossless_and_exact(mode: str, size: tuple[int, int]) -> None:
    # Arrange: small enough that no operation resizes it.
    source = images.screenshot(size, mode)
    data = images.encode(source, "WEBP", lossless=True)
    assert b"VP8L" in images.webp_chunks(data)

    # Act
    result = process_image(data, route("uploads/logo.webp"), LIMITS)

    # Assert: a lossless bitstream, every pixel (and alpha value) as uploaded.
    assert b"VP8L" in images.webp_chunks(result.data)
    assert b"VP8 " not in images.webp_chunks(result.data)
    output = decode(result.data)
    assert output.mode == mode
    # Premultiplied: what is visible must be exact; the encoder may change the
    # colour under fully transparent pixels.
    visible = "RGBa" if mode == "RGBA" else mode
    assert output.convert(visible).tobytes() == source.convert(visible).tobytes()
    if mode == "RGBA":
        assert output.getchannel("A").tobytes() == source.getchannel("A").tobytes()


@pytest.mark.parametrize("suffix", ["", "_thumb", "_grayscale"])
def test_lossless_webp_stays_lossless_in_every_operation(suffix: str) -> None:
    data = images.encode(images.screenshot((1200, 800)), "WEBP", lossless=True)

    result = process_image(data, route(f"uploads/screen{suffix}.webp"), LIMITS)

    chunks = images.webp_chunks(result.data)
    assert b"VP8L" in chunks
    assert b"VP8 " not in chunks


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_lossy_webp_stays_lossy(mode: str) -> None:
    image = images.gradient((300, 200)).convert(mode)
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize((300, 200)))  # libwebp drops opaque alpha
    data = images.encode(image, "WEBP", quality=90)

    result = process_image(data, route("uploads/photo.webp"), LIMITS)

    chunks = images.webp_chunks(result.data)
    assert b"VP8 " in chunks
    assert b"VP8L" not in chunks
    assert (b"ALPH" in chunks) == (mode == "RGBA")


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png")])
@pytest.mark.parametrize("suffix", ["", "_grayscale"])
def test_greyscale_with_a_grey_icc_profile_is_colour_managed(
    fmt: str, ext: str, suffix: str
) -> None:
    # Arrange: 128 under a linear-light grey profile is half the light.
    image = Image.new("L", (300, 200), 128)
    options = {"quality": 100} if fmt == "JPEG" else {}
    data = images.encode(image, fmt, icc_profile=images.linear_grey_profile(), **options)

    # Act
    result = process_image(data, route(f"uploads/grey{suffix}.{ext}"), LIMITS)

    # Assert: sRGB-encoded half light (about 188), still one grey channel, no profile.
    output = decode(result.data)
    assert output.mode == "L"
    assert "icc_profile" not in output.info
    assert abs(cast(int, output.getpixel((150, 100))) - images.srgb_from_linear(128 / 255)) <= 2


def test_grey_alpha_png_with_a_grey_icc_profile_keeps_its_alpha() -> None:
    image = Image.new("LA", (300, 200), (128, 255))
    image.paste((128, 0), (0, 0, 150, 200))
    data = images.encode(image, "PNG", icc_profile=images.linear_grey_profile())

    output = decode(process_image(data, route("uploads/grey.png"), LIMITS).data)

    assert output.mode == "LA"
    grey, alpha = cast("tuple[int, ...]", output.getpixel((225, 100)))
    assert abs(grey - images.srgb_from_linear(128 / 255)) <= 2
    assert alpha == 255
    assert cast("tuple[int, ...]", output.getpixel((75, 100)))[1] == 0


@pytest.mark.parametrize("lossless", [True, False])
def test_lossless_detection_walks_past_odd_sized_chunks(lossless: bool) -> None:
    # An extended WEBP: VP8X, an ICCP chunk of odd length (padded to even), then the bitstream.
    profile = images.swapped_rgb_profile() + b"\0"  # one byte longer: odd
    assert len(profile) % 2 == 1
    data = images.encode(
        images.screenshot((64, 48)), "WEBP", lossless=lossless, icc_profile=profile
    )
    assert images.webp_chunks(data)[:2] == [b"VP8X", b"ICCP"]

    assert is_lossless_webp(data) is lossless
    assert is_lossless_webp(data[:30]) is False  # cut before any bitstream chunk


# --------------------------------------------------------------------------
# Found by `make mutation`: behaviour no test pinned down
# --------------------------------------------------------------------------


def test_a_one_byte_object_is_not_called_empty() -> None:
    # Arrange / Act
    rejected = rejection(b"\x89", "uploads/one.png")

    # Assert: one byte is something, and not an image; "empty" means no bytes at all.
    assert rejected.reason is Reason.UNSUPPORTED_TYPE
    with pytest.raises(ImageRejected) as empty:
        check_size(0, LIMITS)
    assert empty.value.reason is Reason.EMPTY


def test_a_rejection_says_what_was_found_and_what_was_expected() -> None:
    rejected = rejection(images.make("PNG", (50, 50)), "uploads/a.jpg")

    assert rejected.message == "the content is PNG but the file name says JPEG"


def test_the_memory_guard_names_what_is_needed_and_what_is_available() -> None:
    data = images.encode(Image.new("RGB", (2000, 2000)), "PNG")

    rejected = rejection(data, "uploads/m.png", Limits(memory_budget_bytes=16 * 2**20))

    assert "16 MiB are available" in rejected.message
    assert "2000x2000" in rejected.message


def test_an_animated_image_is_rejected_with_a_message_that_says_why() -> None:
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:])

    rejected = rejection(buffer.getvalue(), "uploads/anim.png")

    assert rejected.message == "the image is animated; only single-frame images are processed"


def test_a_bilevel_png_without_transparency_comes_out_greyscale() -> None:
    image = Image.new("1", (300, 200), 0)
    image.paste(1, (150, 0, 300, 200))

    output = decode(
        process_image(images.encode(image, "PNG"), route("uploads/bw.png"), LIMITS).data
    )

    assert output.mode == "L"
    assert (output.getpixel((10, 100)), output.getpixel((290, 100))) == (0, 255)


def test_a_palette_png_without_transparency_gets_no_alpha() -> None:
    image = Image.new("RGB", (300, 200), (200, 30, 30)).convert("P")

    output = decode(process_image(images.encode(image, "PNG"), route("uploads/p.png"), LIMITS).data)

    assert output.mode == "RGB"


def test_an_rgba_png_with_an_icc_profile_is_colour_managed_and_keeps_its_alpha() -> None:
    # Under the swapped profile, values stored as pure red mean blue light.
    image = Image.new("RGBA", (300, 300), (255, 0, 0, 128))
    data = images.encode(image, "PNG", icc_profile=images.swapped_rgb_profile())

    output = decode(process_image(data, route("uploads/icc-alpha.png"), LIMITS).data)

    red, green, blue, alpha = cast("tuple[int, ...]", output.convert("RGBA").getpixel((150, 150)))
    assert blue > 200
    assert max(red, green) < 60
    assert alpha == 128
