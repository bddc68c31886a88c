"""Property-based fuzzing of validation and decoding (hypothesis).

Whatever the bytes, `process_image` ends in a processed image inside its box
or in `ImageRejected` with a reason bad content can have; never any other
exception. Most arbitrary bytes stop at the magic-byte check, so the
strategies that matter are structure-aware: they mutate valid images *behind*
their signatures and keep the container consistent (PNG chunk CRCs, zlib
streams, RIFF sizes, JPEG markers), so the damage reaches the decoders
themselves. `make test` runs a bounded number of examples (profile "ci");
`make fuzz` runs the long profile and prints where examples ended.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

import images
from image_processor import (
    BOX_SIZE,
    CONTENT_TYPES,
    ImageRejected,
    Limits,
    Reason,
    process_image,
    route,
)

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

#: What bad content can be rejected for. Never UNSUPPORTED_EXTENSION (every key
#: here is valid), OBJECT_MISSING (an S3 outcome), or EMPTY unless it is empty.
CONTENT_REASONS = frozenset(Reason) - {
    Reason.UNSUPPORTED_EXTENSION,
    Reason.OBJECT_MISSING,
    Reason.EMPTY,
}
#: Rejections decided before any decoder runs.
BEFORE_DECODING = frozenset({Reason.UNSUPPORTED_TYPE, Reason.TYPE_MISMATCH})

Draw = Callable[[int, int], int]  # draw(low, high) -> an int in [low, high]


@cache
def seeds() -> dict[str, tuple[str, bytes]]:
    """Valid images of every kind the processor handles: name -> (key, bytes)."""
    trns = Image.new("L", (48, 40), 7)
    trns.paste(Image.new("L", (24, 40), 200), (24, 0))
    grey_icc = {"icc_profile": images.linear_grey_profile()}
    encode = images.encode
    return {
        "jpeg": ("uploads/f.jpg", images.make("JPEG", (96, 64))),
        "jpeg-progressive": (
            "uploads/f_grayscale.jpg",
            images.make("JPEG", (64, 96), progressive=True),
        ),
        "jpeg-cmyk": ("uploads/f.jpg", encode(Image.new("CMYK", (40, 32), (0, 255, 0, 0)), "JPEG")),
        "jpeg-grey-icc": (
            "uploads/f.jpg",
            encode(Image.new("L", (40, 32), 128), "JPEG", **grey_icc),
        ),
        "mpo": ("uploads/f_thumb.jpg", images.multi_picture_jpeg((64, 48), "mpo")),
        "ultrahdr": ("uploads/f.jpg", images.multi_picture_jpeg((64, 48), "ultrahdr-iso")),
        "png": ("uploads/f.png", images.make("PNG", (96, 64))),
        "png-rgba": ("uploads/f_thumb.png", encode(images.gradient((300, 250), "RGBA"), "PNG")),
        "png-trns": ("uploads/f_thumb.png", encode(trns, "PNG", transparency=7)),
        "png-16": ("uploads/f.png", encode(Image.new("I;16", (32, 32), 40000), "PNG")),
        "png-palette": ("uploads/f.png", images.make("PNG", (64, 48), "P", transparency=0)),
        "webp": ("uploads/f.webp", images.make("WEBP", (96, 64))),
        "webp-lossless": ("uploads/f_thumb.webp", images.make("WEBP", (320, 200), lossless=True)),
        "webp-alpha": ("uploads/f.webp", encode(images.screenshot((64, 48), "RGBA"), "WEBP")),
        "heic": ("uploads/f.heic", images.heic(images.gradient((96, 64)), orientation=6, gps=True)),
        "heic-multi": (
            "uploads/f_thumb.heic",
            images.heic(images.gradient((64, 48)), extra=(images.gradient((32, 32)),)),
        ),
    }


def check(data: bytes, key: str, *, record: bool = True) -> Reason | None:
    """Process ``data``; assert the outcome is one of the two allowed; return the reason.

    ``record`` adds the outcome to hypothesis' statistics (``make fuzz`` prints them).
    A ``.heic`` key is processed with HEIC input switched on (the seed's rule
    writes it as JPEG).
    """
    target = route(key, heif=key.endswith(".heic"))
    try:
        result = process_image(data, target, LIMITS)
    except ImageRejected as caught:
        rejected: ImageRejected | None = caught
    else:
        rejected = None
    if rejected is not None:
        assert rejected.reason in CONTENT_REASONS or (rejected.reason is Reason.EMPTY and not data)
        assert rejected.message
        if record:
            event(f"rejected: {rejected.reason.value}")
        return rejected.reason
    if record:
        event("processed")
    output = Image.open(io.BytesIO(result.data))
    output.load()
    written = "JPEG" if target.expected_format == "HEIF" else target.expected_format
    assert output.format == written
    assert result.content_type == CONTENT_TYPES[written]
    box = BOX_SIZE.get(target.operation, LIMITS.max_dimension)
    assert max(output.size) <= box
    assert max(output.size) <= max(result.source.width, result.source.height)
    assert (result.output.width, result.output.height) == output.size
    return None


# --------------------------------------------------------------------------
# Structure-aware mutations (driven by hypothesis, or by a seeded Random)
# --------------------------------------------------------------------------


def _damage(body: bytearray, draw: Draw) -> bytearray:
    """Flip, set, insert, delete or truncate a few bytes of ``body``."""
    for _ in range(draw(1, 6)):
        if not body:
            break
        kind = draw(0, 4)
        position = draw(0, len(body) - 1)
        if kind == 0:
            body[position] ^= 1 << draw(0, 7)
        elif kind == 1:
            body[position] = (0x00, 0xFF, 0x7F, 0x80)[draw(0, 3)]
        elif kind == 2:
            body[position:position] = bytes(draw(0, 255) for _ in range(draw(1, 8)))
        elif kind == 3:
            del body[position : position + draw(1, 16)]
        else:
            del body[max(1, position) :]
    return body


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, position = [], 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        chunks.append((kind, data[position + 8 : position + 8 + length]))
        position += 12 + length
    return chunks


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in chunks:
        out += (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )
    return out


def mutate_png(data: bytes, draw: Draw) -> bytes:
    """Damage one chunk with its CRC recomputed, or the decompressed scanlines with a valid zlib."""
    chunks = _png_chunks(data)
    if draw(0, 1):
        # The filter bytes and pixels inside a valid zlib stream: reaches unfiltering.
        index = next(i for i, (kind, _) in enumerate(chunks) if kind == b"IDAT")
        raw = bytearray(zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT")))
        chunks = [c for c in chunks if c[0] != b"IDAT"]
        chunks.insert(index, (b"IDAT", zlib.compress(bytes(_damage(raw, draw)))))
    else:
        index = draw(0, len(chunks) - 1)
        kind, body = chunks[index]
        chunks[index] = (kind, bytes(_damage(bytearray(body), draw)))
    return _png(chunks)


def mutate_jpeg(data: bytes, draw: Draw) -> bytes:
    """Damage a marker segment's fields (tables, frame header) or the entropy-coded scan."""
    body = bytearray(data)
    scan = data.index(b"\xff\xda")
    # The entropy-coded scan (after the SOS header), or the header segments after the
    # first marker (SOI and the next marker are the signature the sniffing checks).
    start = scan + 2 + int.from_bytes(data[scan + 2 : scan + 4], "big") if draw(0, 1) else 4
    head, tail = body[:start], body[start:]
    return bytes(head + _damage(tail, draw))


def mutate_webp(data: bytes, draw: Draw) -> bytes:
    """Damage the bytes inside one RIFF chunk and fix the chunk's and the file's sizes."""
    chunks: list[list[Any]] = []  # [fourcc bytes, body bytearray]
    position = 12
    while position + 8 <= len(data):
        fourcc, size = (
            data[position : position + 4],
            struct.unpack("<I", data[position + 4 : position + 8])[0],
        )
        chunks.append([fourcc, bytearray(data[position + 8 : position + 8 + size])])
        position += 8 + size + (size & 1)
    index = draw(0, len(chunks) - 1)
    body = chunks[index][1]
    keep = min(len(body), 10 if draw(0, 1) else 0)  # sometimes spare the bitstream header
    chunks[index][1] = body[:keep] + _damage(body[keep:], draw)
    payload = b"WEBP" + b"".join(
        fourcc + struct.pack("<I", len(body)) + bytes(body) + b"\0" * (len(body) & 1)
        for fourcc, body in chunks
    )
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def _boxes(data: bytes, start: int, end: int) -> list[tuple[int, int, bytes]]:
    """The ISO BMFF boxes in ``data[start:end]``: (offset, size, type), where sizes are sane."""
    boxes, position = [], start
    while position + 8 <= end:
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        if size < 8 or position + size > end:
            break
        boxes.append((position, size, kind))
        position += size
    return boxes


def mutate_heic(data: bytes, draw: Draw) -> bytes:
    """Damage a HEIC's boxes behind its ``ftyp``: the item boxes in ``meta`` or the coded data.

    The ``ftyp`` box (the signature the sniffing checks) is spared. Half the
    time one box inside ``meta`` (``iinf``, ``iloc``, ``iprp`` with ``ispe``,
    ``irot``, ``colr``) is damaged with the sizes of it and of ``meta`` fixed,
    so that libheif parses into the damage; otherwise the bytes after ``ftyp``.
    """
    body = bytearray(data)
    top = _boxes(data, 0, len(data))
    meta = next(((o, s) for o, s, k in top if k == b"meta"), None)
    if meta is not None and draw(0, 1):
        offset, size = meta
        inner = _boxes(data, offset + 12, offset + size)  # meta is a full box: 4 more bytes
        if inner:
            o, s, _kind = inner[draw(0, len(inner) - 1)]
            damaged = bytes(data[o : o + 8]) + bytes(_damage(bytearray(data[o + 8 : o + s]), draw))
            damaged = struct.pack(">I", len(damaged)) + damaged[4:]
            new_meta = data[offset:o] + damaged + data[o + s : offset + size]
            new_meta = struct.pack(">I", len(new_meta)) + new_meta[4:]
            rest = data[offset + size :]
            # iloc's offsets into mdat are now off by the size change: that is damage too.
            return bytes(data[:offset] + new_meta + rest)
    start = top[0][1] if top else 16
    return bytes(body[:start] + _damage(body[start:], draw))


MUTATORS = {"jpeg": mutate_jpeg, "mpo": mutate_jpeg, "ultrahdr": mutate_jpeg,
            "png": mutate_png, "webp": mutate_webp, "heic": mutate_heic}  # fmt: skip


def mutate(name: str, draw: Draw) -> tuple[bytes, str]:
    key, data = seeds()[name]
    return MUTATORS[name.split("-")[0]](data, draw), key


@st.composite
def structured(draw: st.DrawFn) -> tuple[bytes, str]:
    name = draw(st.sampled_from(sorted(seeds())))
    return mutate(name, lambda low, high: draw(st.integers(low, high)))


@st.composite
def blind(draw: st.DrawFn) -> tuple[bytes, str]:
    """Byte-level damage anywhere, the signature included."""
    name = draw(st.sampled_from(sorted(seeds())))
    key, data = seeds()[name]
    return bytes(_damage(bytearray(data), lambda low, high: draw(st.integers(low, high)))), key


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------


@given(data=st.binary(min_size=1, max_size=4096), key=st.sampled_from(KEYS))
def test_arbitrary_bytes_never_escape(data: bytes, key: str) -> None:
    check(data, key)


@given(data=st.binary(max_size=512), key=st.sampled_from(KEYS))
def test_arbitrary_bytes_behind_a_valid_signature_never_escape(data: bytes, key: str) -> None:
    signature = {"jpg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n", "webp": b"RIFF\0\0\0\0WEBP"}
    check(signature[key.rsplit(".", 1)[1]] + data, key)


@given(data=st.binary(max_size=512))
def test_arbitrary_bytes_behind_a_heic_ftyp_box_never_escape(data: bytes) -> None:
    check(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + data, "uploads/f.heic")


@given(case=structured())
def test_structured_mutations_of_valid_images_never_escape(case: tuple[bytes, str]) -> None:
    data, key = case
    check(data, key)


@given(case=blind())
def test_blind_mutations_of_valid_images_never_escape(case: tuple[bytes, str]) -> None:
    data, key = case
    check(data, key)


def test_every_seed_is_processed() -> None:
    for name, (key, data) in seeds().items():
        assert check(data, key, record=False) is None, name


def test_structured_mutations_reach_the_decoders() -> None:
    # Arrange: a seeded sample of the same mutations the property draws.
    rng = random.Random(20261202)
    names = sorted(seeds())

    # Act
    outcomes = [check(*mutate(rng.choice(names), rng.randint), record=False) for _ in range(300)]

    # Assert: almost every example gets past the signature and name checks,
    # and the sample holds both outcomes (some damage is survivable).
    stopped_early = sum(reason in BEFORE_DECODING for reason in outcomes)
    assert stopped_early <= len(outcomes) // 20
    assert None in outcomes
    assert Reason.CORRUPT in outcomes


def test_heic_mutations_reach_libheif_and_end_in_a_reason() -> None:
    # Arrange: damaged boxes of HEIC files (one with a second top-level image).
    rng = random.Random(20261206)

    # Act
    outcomes = [
        check(*mutate(rng.choice(["heic", "heic-multi"]), rng.randint), record=False)
        for _ in range(200)
    ]

    # Assert: past the sniffing, into the decoder; both outcomes occur.
    assert sum(reason in BEFORE_DECODING for reason in outcomes) <= len(outcomes) // 20
    assert None in outcomes
    assert Reason.CORRUPT in outcomes
