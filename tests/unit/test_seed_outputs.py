"""The default configuration (the seed's rule) gives the previous release's bytes.

The digests below were computed with the processor as it was before recipes
(one operation per upload, chosen by the file name), on inputs generated here,
with the pinned Pillow. The recipe engine must reproduce every output byte
for byte. A Pillow upgrade changes encoders' bytes: regenerate the digests
with the previous release's ``lambda/image_processor.py`` and review.
"""

from __future__ import annotations

import hashlib
from functools import cache

import pytest
from PIL import Image

import images
from image_processor import Limits, process_image, route


@cache
def cases() -> dict[str, tuple[str, bytes]]:
    """Every operation on each kind of input the processor handles: name -> (key, bytes)."""
    trns = Image.new("L", (48, 40), 7)
    trns.paste(Image.new("L", (24, 40), 200), (24, 0))
    alpha = images.gradient((600, 400)).convert("RGBA")
    alpha.putalpha(Image.linear_gradient("L").resize((600, 400)))
    inputs = {
        "jpeg": ("jpg", images.make("JPEG", (2400, 1800))),
        "jpeg-progressive": ("jpg", images.make("JPEG", (640, 960), progressive=True)),
        "jpeg-cmyk": ("jpg", images.encode(Image.new("CMYK", (400, 320), (0, 255, 0, 0)), "JPEG")),
        "jpeg-icc": (
            "jpg",
            images.make("JPEG", (500, 400), icc_profile=images.swapped_rgb_profile()),
        ),
        "jpeg-orientation-6": ("jpg", images.with_orientation("JPEG", (1600, 1000), 6)),
        "mpo": ("jpg", images.multi_picture_jpeg((640, 480), "mpo")),
        "png": ("png", images.make("PNG", (1200, 900))),
        "png-rgba": ("png", images.encode(alpha, "PNG")),
        "png-trns": ("png", images.encode(trns, "PNG", transparency=7)),
        "png-16": ("png", images.encode(Image.new("I;16", (64, 64), 40000), "PNG")),
        "png-palette": ("png", images.make("PNG", (640, 480), "P", transparency=0)),
        "png-orientation-8": ("png", images.with_orientation("PNG", (900, 600), 8)),
        "webp": ("webp", images.make("WEBP", (1100, 800))),
        "webp-lossless": ("webp", images.make("WEBP", (600, 400), lossless=True)),
        "webp-alpha": ("webp", images.encode(alpha, "WEBP")),
    }
    return {
        f"{name}{suffix}": (f"uploads/f{suffix}.{ext}", data)
        for name, (ext, data) in inputs.items()
        for suffix in ("", "_thumb", "_grayscale")
    }


#: sha256 (first 16 hex digits) of each output under the previous release.
PREVIOUS_RELEASE = {
    "jpeg": "d178e0aedf6cf99b",
    "jpeg_thumb": "37e46bfc6abfc7d1",
    "jpeg_grayscale": "e24c209a4a1989e3",
    "jpeg-progressive": "8266f4ea959c4695",
    "jpeg-progressive_thumb": "2b78891877c46544",
    "jpeg-progressive_grayscale": "f5d2e6a4936061fb",
    "jpeg-cmyk": "33392f2bec33c53c",
    "jpeg-cmyk_thumb": "42566e0c547071c8",
    "jpeg-cmyk_grayscale": "d233fac897d96350",
    "jpeg-icc": "f5648575334adb0a",
    "jpeg-icc_thumb": "9ad2202f68d69e95",
    "jpeg-icc_grayscale": "07dd697967cddc92",
    "jpeg-orientation-6": "deb8ebe007e9a73a",
    "jpeg-orientation-6_thumb": "3da48ad2df833d1b",
    "jpeg-orientation-6_grayscale": "255abe2dcdaad869",
    "mpo": "e01703b205753e65",
    "mpo_thumb": "f89fee22ff23b88d",
    "mpo_grayscale": "f452c52e7049d330",
    "png": "25fb5363775e0605",
    "png_thumb": "0d7d1e850e128d0f",
    "png_grayscale": "83c753176d957f26",
    "png-rgba": "97f683aaff872a7f",
    "png-rgba_thumb": "4344731f520a91fd",
    "png-rgba_grayscale": "603c11d276401004",
    "png-trns": "bb8e89d943561d98",
    "png-trns_thumb": "bb8e89d943561d98",
    "png-trns_grayscale": "bb8e89d943561d98",
    "png-16": "8b944a048c989892",
    "png-16_thumb": "8b944a048c989892",
    "png-16_grayscale": "8b944a048c989892",
    "png-palette": "8139a94613bd266a",
    "png-palette_thumb": "86ad59ffa900e414",
    "png-palette_grayscale": "41f0a06be8225f69",
    "png-orientation-8": "800639ee2d898faa",
    "png-orientation-8_thumb": "95f279a1921cb0f6",
    "png-orientation-8_grayscale": "b73eabdefa3b17ad",
    "webp": "d14cfd4d3862ea26",
    "webp_thumb": "5ff9fbf4b82cbf60",
    "webp_grayscale": "ff16ffce3343a3b1",
    "webp-lossless": "3b6a951fdd5d07b4",
    "webp-lossless_thumb": "7438567b5aa03856",
    "webp-lossless_grayscale": "dd910bacbc60c06d",
    "webp-alpha": "529c782266f932f2",
    "webp-alpha_thumb": "3bfc6255318b495a",
    "webp-alpha_grayscale": "26f1d41f9cf7d3db",
}


@pytest.mark.parametrize("name", sorted(PREVIOUS_RELEASE))
def test_the_default_gives_the_previous_releases_bytes(name: str) -> None:
    key, data = cases()[name]

    output = process_image(data, route(key), Limits()).data

    assert hashlib.sha256(output).hexdigest()[:16] == PREVIOUS_RELEASE[name]


def test_every_case_has_a_digest() -> None:
    assert set(PREVIOUS_RELEASE) == set(cases())
