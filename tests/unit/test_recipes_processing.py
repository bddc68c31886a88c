"""Recipes in the pure image processor: one decode, every output, each to its golden properties.

And HEIC input: sniffed by its ``ftyp`` brands, decoded by pillow-heif only
when the file name (HEIC input switched on) allowed it, and held to the same
guards and the same output rules as every other format.
"""

from __future__ import annotations

import io
from typing import cast

import pytest
from PIL import Image, ImageFile

import image_processor
import images
from image_processor import (
    SEED_RECIPES,
    ImageRejected,
    Limits,
    Operation,
    Reason,
    Recipe,
    heif_brands,
    process_image,
    process_recipes,
    route,
    sniff_format,
)

LIMITS = Limits()
THREE = (
    Recipe("display", 1024, 1024, format="jpeg", quality=85),
    Recipe("thumb", 200, 200, format="webp"),
    Recipe("modern", 1024, 1024, format="avif"),
)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time Pillow decodes an image's pixels (a load with tiles still to decode)."""
    seen: list[str] = []
    original = ImageFile.ImageFile.load

    def counting_load(self: ImageFile.ImageFile) -> object:
        if self.tile:
            seen.append(str(self.format))
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    return seen


# --------------------------------------------------------------------------
# One decode, every output
# --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_three_recipes_decode_the_upload_once(fmt: str, decodes: list[str]) -> None:
    data = images.make(fmt, (3000, 2000))

    result = process_recipes(data, fmt, THREE, LIMITS)

    assert decodes == [fmt]
    assert [o.output.format for o in result.outputs] == ["JPEG", "WEBP", "AVIF"]


def test_the_decode_shrinks_on_load_to_the_largest_output_only() -> None:
    data = images.make("JPEG", (4000, 3000))
    opened: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def watch(self):  # type: ignore[no-untyped-def]
        if self.tile:
            opened.append(self.size)
        return original(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ImageFile.ImageFile, "load", watch)
        result = process_recipes(data, "JPEG", THREE, LIMITS)

    # 4000 px shrinks on load by 1/2 (2000 px covers 1024, 1/4 would not);
    # the 200 px output is resized from that decode, not decoded again at 1/8.
    assert opened == [(2000, 1500)]
    assert [o.output.width for o in result.outputs] == [1024, 200, 1024]


def test_the_seeds_recipes_are_the_three_operations() -> None:
    assert SEED_RECIPES[Operation.RESIZE] == Recipe("resize", 1024, 1024)
    assert SEED_RECIPES[Operation.THUMBNAIL] == Recipe("thumbnail", 200, 200)
    assert SEED_RECIPES[Operation.GRAYSCALE] == Recipe("grayscale", grayscale=True)


@pytest.mark.parametrize("suffix", ["", "_thumb", "_grayscale"])
@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_a_recipe_set_of_the_seeds_recipe_gives_todays_bytes(
    fmt: str, ext: str, suffix: str
) -> None:
    data = images.with_orientation(fmt, (1600, 1000), 6)
    target = route(f"uploads/a{suffix}.{ext}")

    alone = process_image(data, target, LIMITS).data
    seed = SEED_RECIPES[target.operation]
    # (A JPEG's greyscale decodes luma alone only when every output is grey.)
    other = Recipe("other", 64, 64, grayscale=seed.grayscale, format="png")
    in_a_set = process_recipes(data, fmt, (other, seed), LIMITS).outputs[1]

    assert in_a_set.data == alone


# --------------------------------------------------------------------------
# Each option, against golden properties
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipe", "size", "expected"),
    [
        (Recipe("a", 1024, 1024), (3000, 2000), (1024, 683)),
        (Recipe("a", 200, 200), (2000, 3000), (133, 200)),
        (Recipe("a", 1200, 400), (3000, 2000), (600, 400)),  # the height binds
        (Recipe("a", 300, 1000), (3000, 2000), (300, 200)),  # the width binds
        (Recipe("a", 5000, 5000), (300, 200), (300, 200)),  # never enlarged
        (Recipe("a"), (640, 480), (640, 480)),  # no box: the decoded size
    ],
)
@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "avif"])
def test_box_and_aspect(
    recipe: Recipe, size: tuple[int, int], expected: tuple[int, int], fmt: str
) -> None:
    recipe = Recipe(recipe.name, recipe.width, recipe.height, format=fmt)
    data = images.make("PNG", size)

    [output] = process_recipes(data, "PNG", (recipe,), LIMITS).outputs

    decoded = decode(output.data)
    assert decoded.format == fmt.upper()
    assert decoded.size == expected == (output.output.width, output.output.height)
    assert abs(decoded.width / decoded.height - size[0] / size[1]) <= 1 / min(expected)
    assert output.content_type == f"image/{fmt}"


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_a_box_applies_to_the_upright_image(orientation: int) -> None:
    data = images.with_orientation("JPEG", (1600, 1000), orientation)

    [output] = process_recipes(data, "JPEG", (Recipe("wide", 800, 200),), LIMITS).outputs

    decoded = decode(output.data)
    assert decoded.size == (320, 200)
    assert images.is_upright(decoded)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "avif"])
def test_grayscale_in_every_format(fmt: str) -> None:
    data = images.make("JPEG", (400, 300))

    [output] = process_recipes(
        data, "JPEG", (Recipe("g", grayscale=True, format=fmt),), LIMITS
    ).outputs
    decoded = decode(output.data).convert("RGB")

    red, green, blue = (band.tobytes() for band in decoded.split())
    assert max(abs(r - g) for r, g in zip(red, green, strict=True)) <= 3
    assert max(abs(r - b) for r, b in zip(red, blue, strict=True)) <= 3
    assert output.output.mode == "L"


@pytest.mark.parametrize(("fmt", "lossless"), [("png", False), ("webp", True), ("same", False)])
def test_lossless_stays_lossless(fmt: str, lossless: bool) -> None:
    source = images.screenshot((320, 200))
    data = images.encode(source, "PNG")

    [output] = process_recipes(
        data, "PNG", (Recipe("exact", format=fmt, lossless=lossless),), LIMITS
    ).outputs

    assert decode(output.data).convert("RGB").tobytes() == source.tobytes()


def test_quality_is_the_recipes() -> None:
    data = images.make("JPEG", (800, 600))
    low, high = (Recipe(f"q{q}", format="webp", quality=q) for q in (30, 95))

    outputs = process_recipes(data, "JPEG", (low, high), LIMITS).outputs

    assert outputs[0].output.size_bytes < outputs[1].output.size_bytes / 2


@pytest.mark.parametrize(("fmt", "keeps_alpha"), [("png", True), ("webp", True), ("avif", True)])
def test_alpha_is_kept_where_the_format_has_it(fmt: str, keeps_alpha: bool) -> None:
    image = images.gradient((1200, 800)).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((1200, 800)))
    data = images.encode(image, "PNG")

    [output] = process_recipes(data, "PNG", (Recipe("a", 400, 400, format=fmt),), LIMITS).outputs

    decoded = decode(output.data)
    assert ("A" in decoded.getbands()) is keeps_alpha
    lowest, highest = cast("tuple[int, int]", decoded.getchannel("A").getextrema())
    assert lowest < 20
    assert highest > 235


def test_jpeg_from_a_transparent_image_is_flattened_on_white() -> None:
    image = Image.new("RGBA", (100, 100), (255, 0, 0, 0))  # invisible red
    image.paste((0, 0, 255, 255), (50, 0, 100, 100))
    data = images.encode(image, "PNG")

    [output] = process_recipes(data, "PNG", (Recipe("j", format="jpeg"),), LIMITS).outputs

    decoded = decode(output.data)
    assert decoded.mode == "RGB"
    assert (
        min(cast("tuple[int, ...]", decoded.getpixel((20, 50)))) > 240
    )  # white, not the hidden red
    red, green, blue = cast("tuple[int, ...]", decoded.getpixel((80, 50)))
    assert blue > 200
    assert max(red, green) < 60


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "avif"])
def test_metadata_is_gone_from_every_format(fmt: str) -> None:
    image = images.gradient((500, 400))
    exif = image.getexif()
    exif[0x010F] = "SecretCam"
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 0.0)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret</x:xmpmeta>'
    data = images.encode(
        image, "JPEG", exif=exif.tobytes(), icc_profile=images.swapped_rgb_profile(), xmp=xmp
    )

    [output] = process_recipes(data, "JPEG", (Recipe("m", 300, 300, format=fmt),), LIMITS).outputs

    decoded = decode(output.data)
    assert not decoded.getexif()
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp"):
        assert key not in decoded.info
    for secret in (b"SecretCam", b"secret", b"Swapped RGB"):
        assert secret not in output.data


@pytest.mark.parametrize("fmt", ["webp", "avif"])
def test_colour_is_converted_to_srgb_in_the_new_formats(fmt: str) -> None:
    image = Image.new("RGB", (300, 300), (255, 0, 0))  # blue light, under the swapped profile
    data = images.encode(image, "PNG", icc_profile=images.swapped_rgb_profile())

    [output] = process_recipes(data, "PNG", (Recipe("c", format=fmt, quality=90),), LIMITS).outputs

    red, green, blue = cast(
        "tuple[int, ...]", decode(output.data).convert("RGB").getpixel((150, 150))
    )
    assert blue > 200
    assert max(red, green) < 60


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_output_is_upright(orientation: int) -> None:
    data = images.with_orientation("JPEG", (1600, 1000), orientation)

    outputs = process_recipes(data, "JPEG", THREE, LIMITS).outputs

    for output in outputs:
        assert images.is_upright(decode(output.data)), output.recipe.name


def test_more_outputs_plan_more_memory() -> None:
    data = images.make("PNG", (1000, 1000))
    budget = Limits(memory_budget_bytes=1000 * 1000 * 12)  # PNG alone plans 10 bytes a pixel

    process_recipes(data, "PNG", THREE[:1], budget)
    with pytest.raises(ImageRejected) as caught:
        process_recipes(data, "PNG", THREE, budget)

    assert caught.value.reason is Reason.TOO_LARGE_FOR_MEMORY


# --------------------------------------------------------------------------
# HEIC input
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    """A phone's portrait HEIC: stored turned (irot), with a GPS position and XMP."""
    return images.heic(images.gradient((1200, 1600)), orientation=6, gps=True)


def test_heic_is_sniffed_by_its_brand_never_by_its_name(phone_photo: bytes) -> None:
    assert phone_photo[4:12] == b"ftypheic"
    assert sniff_format(phone_photo, heif=True) == "HEIF"
    assert sniff_format(phone_photo) is None  # switched off: not a format we accept
    mif1 = phone_photo[:8] + b"mif1" + phone_photo[12:]  # structural brand; heic compatible
    assert sniff_format(mif1, heif=True) == "HEIF"
    avif = phone_photo[:8] + b"avif" + phone_photo[12:].replace(b"heic", b"avif")
    assert heif_brands(avif) == (None, frozenset())
    assert sniff_format(b"\0\0\0\x18ftypisom\0\0\0\0isomiso2", heif=True) is None  # an MP4


def test_heic_switched_off_is_rejected_as_today(phone_photo: bytes) -> None:
    with pytest.raises(ImageRejected) as by_name:
        route("uploads/IMG_0001.HEIC")
    with pytest.raises(ImageRejected) as by_content:
        process_image(phone_photo, route("uploads/IMG_0001.jpg"), LIMITS)

    assert by_name.value.reason is Reason.UNSUPPORTED_EXTENSION
    assert by_content.value.reason is Reason.UNSUPPORTED_TYPE


def test_a_phones_heic_comes_out_upright_in_srgb_with_no_metadata(phone_photo: bytes) -> None:
    target = route("uploads/IMG_0001.HEIC", heif=True)

    result = process_recipes(phone_photo, target.expected_format, THREE, LIMITS)

    assert (result.source.format, result.source.width, result.source.height) == (
        "HEIF",
        1200,
        1600,
    )
    for output in result.outputs:
        decoded = decode(output.data)
        assert decoded.size == {"display": (768, 1024), "thumb": (150, 200)}.get(
            output.recipe.name, (768, 1024)
        )
        assert images.is_upright(decoded), output.recipe.name
        assert not decoded.getexif()
        assert "icc_profile" not in decoded.info
        assert "xmp" not in decoded.info
        for secret in (b"PhoneMaker", b"GPS secret"):
            assert secret not in output.data


def test_the_seeds_rule_writes_a_heic_upload_as_jpeg(phone_photo: bytes) -> None:
    result = process_image(phone_photo, route("uploads/IMG_0001_thumb.heic", heif=True), LIMITS)

    decoded = decode(result.data)
    assert (decoded.format, decoded.size, result.content_type) == ("JPEG", (150, 200), "image/jpeg")
    assert images.is_upright(decoded)


def test_a_heic_icc_profile_is_converted_to_srgb() -> None:
    data = images.heic(
        Image.new("RGB", (256, 256), (255, 0, 0)), icc_profile=images.swapped_rgb_profile()
    )

    [output] = process_recipes(data, "HEIF", (Recipe("c", format="png"),), LIMITS).outputs

    red, green, blue = cast("tuple[int, ...]", decode(output.data).getpixel((128, 128)))
    assert blue > 180
    assert max(red, green) < 80


def test_a_multi_image_heic_is_its_primary_image() -> None:
    primary = images.gradient((400, 300))
    other = Image.new("RGB", (640, 640), (0, 255, 0))
    data = images.heic(primary, extra=(other,))

    [output] = process_recipes(data, "HEIF", (Recipe("p", format="png"),), LIMITS).outputs

    decoded = decode(output.data)
    assert decoded.size == (400, 300)
    assert images.is_upright(decoded)


def test_a_heic_image_sequence_is_rejected_as_animated(phone_photo: bytes) -> None:
    sequence = phone_photo[:8] + b"msf1" + phone_photo[12:].replace(b"heic", b"hevc", 1)

    with pytest.raises(ImageRejected) as caught:
        process_recipes(sequence, "HEIF", THREE, LIMITS)

    assert caught.value.reason is Reason.ANIMATED


def test_a_heic_declaring_enormous_dimensions_is_a_bomb_never_decoded(
    phone_photo: bytes, decodes: list[str]
) -> None:
    at = phone_photo.index(b"ispe") + 8  # after the box type and its version/flags
    huge = (100_000).to_bytes(4, "big") * 2
    data = phone_photo[:at] + huge + phone_photo[at + 8 :]

    with pytest.raises(ImageRejected) as caught:
        process_recipes(data, "HEIF", THREE, LIMITS)

    assert caught.value.reason is Reason.DECOMPRESSION_BOMB
    assert decodes == []


def test_a_heic_over_the_dimension_limit_is_rejected_from_its_header(phone_photo: bytes) -> None:
    with pytest.raises(ImageRejected) as caught:
        process_recipes(phone_photo, "HEIF", THREE, Limits(max_dimension=1500))

    assert caught.value.reason is Reason.TOO_LARGE_DIMENSIONS


def test_the_memory_guard_plans_for_heic(phone_photo: bytes) -> None:
    needed = 1200 * 1600 * (16 + 4)  # HEIF's working bytes, plus a second output

    with pytest.raises(ImageRejected) as caught:
        process_recipes(phone_photo, "HEIF", THREE, Limits(memory_budget_bytes=needed - 1))
    process_recipes(phone_photo, "HEIF", THREE, Limits(memory_budget_bytes=needed))

    assert caught.value.reason is Reason.TOO_LARGE_FOR_MEMORY


@pytest.mark.parametrize("keep", [0.9, 0.5, 0.1])
def test_a_truncated_heic_is_corrupt(phone_photo: bytes, keep: float) -> None:
    with pytest.raises(ImageRejected) as caught:
        process_recipes(phone_photo[: int(len(phone_photo) * keep)], "HEIF", THREE, LIMITS)

    assert caught.value.reason is Reason.CORRUPT


def test_heifs_transforms_turn_the_image_and_its_exif_orientation_never_does(
    phone_photo: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pillow-heif resets the EXIF orientation it reads to 1, as libheif has
    # applied irot already; without that reset the EXIF still says 6, and the
    # processor must not turn the image a second time.
    import pillow_heif.as_plugin

    image_processor._register_heif()
    monkeypatch.setattr(pillow_heif.as_plugin, "set_orientation", lambda info: None)
    opened = Image.open(io.BytesIO(phone_photo), formats=["HEIF"])
    assert opened.getexif().get(0x0112) == 6  # the EXIF orientation is still there

    [output] = process_recipes(phone_photo, "HEIF", (Recipe("p", 400, 400),), LIMITS).outputs

    decoded = decode(output.data)
    assert decoded.size == (300, 400)
    assert images.is_upright(decoded)
