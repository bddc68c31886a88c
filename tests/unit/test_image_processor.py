"""Unit tests of the pure image processing module, on images generated here."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageOps

import images
from image_processor import (
    BOX_SIZE,
    ImageRejected,
    Limits,
    Operation,
    Reason,
    Route,
    check_size,
    fit_within,
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
def test_route_follows_the_file_name(key, operation, fmt):
    assert route(key) == Route(operation, fmt)


@pytest.mark.parametrize(
    "key", ["uploads/a.gif", "uploads/noext", "uploads/.png", "uploads/a.jpg.exe", "uploads/a."]
)
def test_route_rejects_other_extensions(key):
    with pytest.raises(ImageRejected) as caught:
        route(key)
    assert caught.value.reason is Reason.UNSUPPORTED_EXTENSION


@pytest.mark.parametrize(
    ("size", "box", "expected"),
    [
        ((300, 200), 1024, (300, 200)),
        ((3000, 2000), 1024, (1024, 683)),
        ((2000, 3000), 1024, (683, 1024)),
        ((4096, 1), 1024, (1024, 1)),
        ((1024, 1024), 1024, (1024, 1024)),
        ((3000, 2000), 200, (200, 133)),
    ],
)
def test_fit_within_keeps_aspect_and_never_upscales(size, box, expected):
    assert fit_within(*size, box) == expected


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
def test_each_operation_in_each_format(fmt, ext, suffix, size, expected_size, expected_modes):
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
def test_grayscale_has_no_colour_left(fmt, ext):
    result = process_image(
        images.make(fmt, (256, 256)), route(f"uploads/g_grayscale.{ext}"), LIMITS
    )

    output = decode(result.data).convert("RGB")
    red, green, blue = (band.tobytes() for band in output.split())
    # Lossy WEBP stores chroma at quarter resolution: allow its rounding.
    tolerance = 2 if fmt == "WEBP" else 0
    assert max(abs(r - g) for r, g in zip(red, green, strict=True)) <= tolerance
    assert max(abs(r - b) for r, b in zip(red, blue, strict=True)) <= tolerance


def test_resize_content_matches_a_reference_downscale():
    source = images.gradient((2048, 1536))
    data = images.encode(source, "PNG")

    result = process_image(data, route("uploads/r.png"), LIMITS)

    reference = source.resize((1024, 768), Image.Resampling.LANCZOS)
    output = decode(result.data)
    difference = max(abs(a - b) for a, b in zip(output.tobytes(), reference.tobytes(), strict=True))
    assert difference <= 8


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("WEBP", "webp")])
@pytest.mark.parametrize("suffix", ["", "_thumb", "_grayscale"])
def test_transparency_is_kept(fmt, ext, suffix):
    image = images.gradient((1200, 800)).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((1200, 800)))
    data = images.encode(image, fmt, **({"lossless": True} if fmt == "WEBP" else {}))

    result = process_image(data, route(f"uploads/t{suffix}.{ext}"), LIMITS)

    output = decode(result.data)
    assert "A" in output.getbands()
    alpha = output.getchannel("A")
    lowest, highest = alpha.getextrema()
    assert lowest < 20
    assert highest > 235


def test_palette_transparency_becomes_alpha():
    image = Image.new("P", (400, 400), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] * 128)
    image.paste(0, (0, 0, 200, 400))
    data = images.encode(image, "PNG", transparency=1)

    output = decode(process_image(data, route("uploads/p_thumb.png"), LIMITS).data)

    assert output.mode == "RGBA"
    assert output.size == (200, 200)
    assert output.getpixel((10, 100)) == (0, 0, 0, 255)
    assert output.getpixel((190, 100))[3] == 0


def test_sixteen_bit_png_is_scaled_not_clipped():
    image = Image.new("I;16", (64, 64), 40000)
    data = images.encode(image, "PNG")

    output = decode(process_image(data, route("uploads/deep.png"), LIMITS).data)

    assert output.mode == "L"
    assert abs(output.getpixel((0, 0)) - 40000 // 256) <= 1


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_exif_orientation_is_applied(orientation, fmt, ext):
    data = images.with_orientation(fmt, (1600, 1000), orientation)
    raw = decode(data)
    assert images.is_upright(raw) == (orientation == 1)  # the fixture really is turned

    output = decode(process_image(data, route(f"uploads/o.{ext}"), LIMITS).data)

    assert output.size == (1024, 640)
    assert images.is_upright(output)
    assert ImageOps.exif_transpose(output).size == output.size


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_all_metadata_is_stripped(fmt, ext):
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
def test_embedded_icc_profile_is_converted_to_srgb(fmt, ext):
    # Under the swapped profile, values stored as pure red mean blue light.
    image = Image.new("RGB", (300, 300), (255, 0, 0))
    options = {"quality": 95} if fmt != "PNG" else {}
    data = images.encode(image, fmt, icc_profile=images.swapped_rgb_profile(), **options)

    output = decode(process_image(data, route(f"uploads/icc.{ext}"), LIMITS).data)

    red, green, blue = output.convert("RGB").getpixel((150, 150))
    assert blue > 200
    assert max(red, green) < 60


def test_cmyk_jpeg_becomes_rgb_with_the_right_colours():
    # C=0 M=255 Y=255 K=0 is red ink.
    data = images.encode(Image.new("CMYK", (2000, 1000), (0, 255, 255, 0)), "JPEG", quality=95)

    output = decode(process_image(data, route("uploads/print.jpg"), LIMITS).data)

    assert output.mode == "RGB"
    assert output.size == (1024, 512)
    red, green, blue = output.getpixel((500, 250))
    assert red > 200
    assert max(green, blue) < 60


# --------------------------------------------------------------------------
# Rejections
# --------------------------------------------------------------------------


def test_size_limits_from_the_event():
    check_size(LIMITS.max_bytes, LIMITS)
    with pytest.raises(ImageRejected) as too_big:
        check_size(LIMITS.max_bytes + 1, LIMITS)
    with pytest.raises(ImageRejected) as empty:
        check_size(0, LIMITS)
    assert too_big.value.reason is Reason.TOO_LARGE_BYTES
    assert empty.value.reason is Reason.EMPTY


def test_downloaded_bytes_over_the_limit_are_rejected():
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
def test_content_that_is_not_an_allowed_image_is_unsupported_type(data, key):
    rejected = rejection(data, key)

    assert rejected.reason is Reason.UNSUPPORTED_TYPE
    assert rejected.suspicious


@pytest.mark.parametrize(
    ("fmt", "key"),
    [("PNG", "uploads/a.jpg"), ("JPEG", "uploads/a.png"), ("WEBP", "uploads/a.jpeg")],
)
def test_content_that_does_not_match_its_name_is_type_mismatch(fmt, key):
    rejected = rejection(images.make(fmt, (50, 50)), key)

    assert rejected.reason is Reason.TYPE_MISMATCH
    assert rejected.suspicious


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
@pytest.mark.parametrize("size", [(4097, 10), (10, 4097), (4097, 4097), (5000, 5000)])
def test_dimensions_over_the_limit(fmt, ext, size):
    if fmt == "WEBP" and max(size) > 16383:
        pytest.skip("WEBP cannot encode more than 16383 pixels a side")
    data = images.encode(Image.new("L" if fmt != "WEBP" else "RGB", size), fmt)

    rejected = rejection(data, f"uploads/big.{ext}")

    assert rejected.reason is Reason.TOO_LARGE_DIMENSIONS
    assert not rejected.suspicious


def test_exactly_the_limit_is_accepted():
    data = images.encode(Image.new("L", (4096, 16)), "PNG")

    result = process_image(data, route("uploads/edge.png"), LIMITS)

    assert (result.output.width, result.output.height) == (1024, 4)


def test_header_claiming_huge_dimensions_is_a_decompression_bomb():
    # A 60000x60000 JPEG is never encoded: patch the SOF0 frame of a tiny one.
    data = bytearray(images.encode(Image.new("L", (8, 8)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (60000).to_bytes(2, "big") * 2

    rejected = rejection(bytes(data), "uploads/bomb.jpg")

    assert rejected.reason is Reason.DECOMPRESSION_BOMB
    assert rejected.suspicious


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_images_are_corrupt(fmt, ext, keep):
    data = images.make(fmt, (800, 600))

    rejected = rejection(data[: int(len(data) * keep)], f"uploads/cut.{ext}")

    assert rejected.reason is Reason.CORRUPT


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("WEBP", "webp")])
def test_animated_images_are_rejected(fmt, ext):
    frames = [images.gradient((64, 64)), images.gradient((64, 64)).rotate(90)]
    data = images.encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)

    rejected = rejection(data, f"uploads/anim.{ext}")

    assert rejected.reason is Reason.ANIMATED


def test_memory_guard_rejects_what_cannot_fit_and_names_the_need():
    data = images.encode(Image.new("RGB", (2000, 2000)), "PNG")

    rejected = rejection(data, "uploads/m.png", Limits(memory_budget_bytes=16 * 2**20))

    assert rejected.reason is Reason.TOO_LARGE_FOR_MEMORY
    assert "MiB" in rejected.message


def test_processing_box_sizes_are_the_documented_ones():
    assert BOX_SIZE == {Operation.RESIZE: 1024, Operation.THUMBNAIL: 200}
