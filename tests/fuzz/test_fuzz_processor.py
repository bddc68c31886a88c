"""Property-based fuzzing of validation and decoding (hypothesis).

Whatever the bytes, `process_image` ends in a processed image inside its box
or in `ImageRejected`; never any other exception. `make test` runs a bounded
number of examples (profile "ci"); `make fuzz` runs the long profile.
"""

from __future__ import annotations

import io
import os
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import images
from image_processor import BOX_SIZE, ImageRejected, Limits, process_image, route

settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Small limits keep each example fast; the logic is the same at 4096.
LIMITS = Limits(max_bytes=2 * 1024 * 1024, max_dimension=1024, memory_budget_bytes=64 * 2**20)
KEYS = ["uploads/f.jpg", "uploads/f.png", "uploads/f.webp", "uploads/f_thumb.png",
        "uploads/f_grayscale.jpg", "uploads/f_thumb.webp"]  # fmt: skip


@cache
def seeds() -> dict[str, bytes]:
    return {
        "uploads/f.jpg": images.make("JPEG", (96, 64)),
        "uploads/f_grayscale.jpg": images.make("JPEG", (64, 96), progressive=True),
        "uploads/f.png": images.make("PNG", (96, 64)),
        "uploads/f_thumb.png": images.encode(images.gradient((300, 250), "RGBA"), "PNG"),
        "uploads/f.webp": images.make("WEBP", (96, 64)),
        "uploads/f_thumb.webp": images.make("WEBP", (320, 200), lossless=True),
    }


def check(data: bytes, key: str) -> None:
    target = route(key)
    try:
        result = process_image(data, target, LIMITS)
    except ImageRejected as rejected:
        assert rejected.reason.value  # noqa: PT017 - either outcome is allowed here
        return
    output = Image.open(io.BytesIO(result.data))
    assert output.format == target.expected_format
    box = BOX_SIZE.get(target.operation, LIMITS.max_dimension)
    assert max(output.size) <= box
    assert max(output.size) <= max(result.source.width, result.source.height)


@given(data=st.binary(max_size=4096), key=st.sampled_from(KEYS))
def test_arbitrary_bytes_never_escape(data, key):
    check(data, key)


@given(data=st.binary(max_size=512), key=st.sampled_from(KEYS))
def test_arbitrary_bytes_behind_a_valid_signature_never_escape(data, key):
    signature = {"jpg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n", "webp": b"RIFF\0\0\0\0WEBP"}
    check(signature[key.rsplit(".", 1)[1]] + data, key)


@st.composite
def mutated(draw):
    key = draw(st.sampled_from(sorted(seeds())))
    data = bytearray(seeds()[key])
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        position = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip":
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[position] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80]))
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[position : position + draw(st.integers(1, 16))]
        else:
            del data[max(1, position) :]
    return bytes(data), key


@given(case=mutated())
def test_mutations_of_valid_images_never_escape(case):
    data, key = case
    check(data, key)
