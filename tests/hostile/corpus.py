"""A seeded corpus of hostile, broken, borderline and odd-but-legitimate uploads.

Each case is generated at test time (nothing binary is committed) and carries
the outcome the pipeline must reach. ``python -m hostile.corpus`` (from tests/)
prints the list.
"""

from __future__ import annotations

import functools
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

import images

MIB = 1024 * 1024
SEED = 20261129


@dataclass(frozen=True)
class Expected:
    status: str  # PROCESSED | REJECTED | IGNORED
    reason: str | None = None
    size: tuple[int, int] | None = None  # output size, for PROCESSED
    mode: str | None = None


@dataclass(frozen=True)
class Case:
    id: str
    key: str
    build: Callable[[], bytes]
    expected: Expected


def processed(size: tuple[int, int], mode: str | None = None) -> Expected:
    return Expected("PROCESSED", size=size, mode=mode)


def rejected(reason: str) -> Expected:
    return Expected("REJECTED", reason=reason)


IGNORED = Expected("IGNORED")


# --------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` but whose data is a few bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def png_with_text_bomb(kind: bytes) -> bytes:
    """A valid 32x32 PNG with a compressed text chunk that inflates to 64 MiB."""
    base = images.make("PNG", (32, 32))
    bomb = zlib.compress(b"A" * (64 * MIB), 9)
    # zTXt: keyword, method 0. iTXt: keyword, compressed, method 0, language, translation.
    header = b"Comment\0\0" if kind == b"zTXt" else b"Comment\0\x01\x00\0\0"
    data = header + bomb
    ihdr_end = 8 + 25
    return base[:ihdr_end] + _chunk(kind, data) + base[ihdr_end:]


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(images.encode(Image.new("L", (8, 8)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """A lossy WEBP whose VP8 frame header claims another size (14 bits a side)."""
    data = bytearray(images.encode(Image.new("RGB", (16, 16)), "WEBP"))
    vp8 = data.index(b"VP8 ")
    start = data.index(b"\x9d\x01\x2a", vp8) + 3
    data[start : start + 4] = struct.pack("<HH", width & 0x3FFF, height & 0x3FFF)
    return bytes(data)


def padded_png(total: int) -> bytes:
    """A valid PNG followed by junk after IEND up to ``total`` bytes."""
    base = images.make("PNG", (64, 64))
    return base + b"\0" * (total - len(base))


def truncated(fmt: str, keep: float) -> Callable[[], bytes]:
    def build() -> bytes:
        data = images.make(fmt, (640, 480))
        return data[: int(len(data) * keep)]

    return build


def bad_png_crc(chunk: bytes) -> Callable[[], bytes]:
    def build() -> bytes:
        data = bytearray(images.make("PNG", (64, 64)))
        start = data.index(chunk)
        length = struct.unpack(">I", data[start - 4 : start])[0]
        data[start + 4 + length] ^= 0xFF  # first byte of the chunk's CRC
        return bytes(data)

    return build


def bad_huffman_jpeg() -> bytes:
    data = bytearray(images.make("JPEG", (256, 256)))
    dht = data.index(b"\xff\xc4")
    data[dht + 5 : dht + 21] = b"\xff" * 16  # code counts that no Huffman table can have
    return bytes(data)


def random_bytes(size: int, seed: int) -> Callable[[], bytes]:
    return lambda: random.Random(seed).randbytes(size)


def foreign(fmt: str) -> Callable[[], bytes]:
    documents = {
        "PDF": b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n",
        "SVG": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        b'<script>fetch("//x")</script></svg>',
        "HTML": b"<!doctype html><html><body><script>document.cookie</script></body></html>",
    }
    if fmt in documents:
        return lambda: documents[fmt]
    return lambda: images.make(fmt, (64, 64))


def animated(fmt: str) -> bytes:
    frames = [images.gradient((64, 64)), images.gradient((64, 64)).rotate(180)]
    return images.encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=80)


def cmyk_jpeg(adobe_transform: int | None = None) -> bytes:
    image = Image.new("CMYK", (800, 600), (0, 255, 255, 0))
    return images.encode(image, "JPEG", quality=92)


def ycck_jpeg() -> bytes:
    """A CMYK JPEG whose Adobe marker says YCCK (transform 2), as Photoshop writes."""
    data = bytearray(cmyk_jpeg())
    adobe = data.find(b"Adobe")
    if adobe != -1:
        data[adobe + 11] = 2
    return bytes(data)


# --------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------


def build_corpus() -> list[Case]:
    cases: list[Case] = []
    add = cases.append

    # Decompression bombs: enormous claims, tiny bodies.
    add(
        Case(
            "png-claims-100000x100000",
            "uploads/bomb1.png",
            lambda: png_claiming(100_000, 100_000),
            rejected("decompression_bomb"),
        )
    )
    add(
        Case(
            "png-claims-20000x20000",
            "uploads/bomb2.png",
            lambda: png_claiming(20_000, 20_000),
            rejected("decompression_bomb"),
        )
    )
    add(
        Case(
            "png-claims-5000x5000",
            "uploads/big.png",
            lambda: png_claiming(5000, 5000),
            rejected("too_large_dimensions"),
        )
    )
    add(
        Case(
            "jpeg-sof-60000x60000",
            "uploads/bomb.jpg",
            lambda: jpeg_claiming(60_000, 60_000),
            rejected("decompression_bomb"),
        )
    )
    add(
        Case(
            "webp-claims-16383x16383",
            "uploads/bomb.webp",
            lambda: webp_claiming(16_383, 16_383),
            rejected("decompression_bomb"),
        )
    )
    add(
        Case(
            "png-ztxt-bomb",
            "uploads/ztxt.png",
            lambda: png_with_text_bomb(b"zTXt"),
            rejected("decompression_bomb"),
        )
    )
    add(
        Case(
            "png-itxt-bomb",
            "uploads/itxt.png",
            lambda: png_with_text_bomb(b"iTXt"),
            rejected("decompression_bomb"),
        )
    )

    # Limits at their edges.
    add(
        Case(
            "exactly-4096x4096",
            "uploads/edge_thumb.png",
            lambda: images.encode(Image.new("L", (4096, 4096), 90), "PNG"),
            processed((200, 200), "L"),
        )
    )
    add(
        Case(
            "4097x4097",
            "uploads/over.png",
            lambda: images.encode(Image.new("L", (4097, 4097)), "PNG"),
            rejected("too_large_dimensions"),
        )
    )
    add(
        Case(
            "4097x1",
            "uploads/wide.png",
            lambda: images.encode(Image.new("L", (4097, 1)), "PNG"),
            rejected("too_large_dimensions"),
        )
    )
    add(
        Case(
            "strip-4096x1",
            "uploads/strip.png",
            lambda: images.encode(Image.new("L", (4096, 1)), "PNG"),
            processed((1024, 1)),
        )
    )
    add(
        Case(
            "just-under-10MiB",
            "uploads/padded.png",
            lambda: padded_png(10 * MIB - 1),
            processed((64, 64)),
        )
    )
    add(
        Case(
            "exactly-10MiB",
            "uploads/padded10.png",
            lambda: padded_png(10 * MIB),
            processed((64, 64)),
        )
    )
    add(
        Case(
            "just-over-10MiB",
            "uploads/padded11.png",
            lambda: padded_png(10 * MIB + 1),
            rejected("too_large_bytes"),
        )
    )
    add(Case("zero-bytes", "uploads/empty.png", lambda: b"", rejected("empty")))

    # Formats in disguise.
    for fmt in ("GIF", "BMP", "TIFF", "PDF", "SVG", "HTML"):
        for ext in ("png", "jpg", "webp"):
            add(
                Case(
                    f"{fmt.lower()}-as-{ext}",
                    f"uploads/disguised-{fmt.lower()}.{ext}",
                    foreign(fmt),
                    rejected("unsupported_type"),
                )
            )
    for ext, seed in (("png", 1), ("jpg", 2), ("webp", 3)):
        add(
            Case(
                f"random-as-{ext}",
                f"uploads/random.{ext}",
                random_bytes(4096, SEED + seed),
                rejected("unsupported_type"),
            )
        )
    add(
        Case(
            "png-named-jpg",
            "uploads/liar.jpg",
            lambda: images.make("PNG"),
            rejected("type_mismatch"),
        )
    )
    add(
        Case(
            "jpeg-named-png",
            "uploads/liar.png",
            lambda: images.make("JPEG"),
            rejected("type_mismatch"),
        )
    )
    add(
        Case(
            "webp-named-jpeg",
            "uploads/liar.jpeg",
            lambda: images.make("WEBP"),
            rejected("type_mismatch"),
        )
    )
    add(
        Case(
            "no-extension",
            "uploads/README",
            lambda: images.make("PNG"),
            rejected("unsupported_extension"),
        )
    )
    add(
        Case("svg-extension", "uploads/logo.svg", foreign("SVG"), rejected("unsupported_extension"))
    )
    add(
        Case(
            "double-extension-ok",
            "uploads/photo.png.jpg",
            lambda: images.make("JPEG"),
            processed((300, 200)),
        )
    )
    add(
        Case(
            "double-extension-lie",
            "uploads/photo.jpg.png",
            lambda: images.make("JPEG"),
            rejected("type_mismatch"),
        )
    )
    add(
        Case(
            "upper-case-extension",
            "uploads/SHOUT.PNG",
            lambda: images.make("PNG"),
            processed((300, 200)),
        )
    )
    add(
        Case(
            "upper-case-thumb",
            "uploads/SHOUT_THUMB.JPEG",
            lambda: images.make("JPEG", (800, 400)),
            processed((200, 100)),
        )
    )

    # Broken files.
    for fmt, ext in (("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")):
        for keep in (0.1, 0.5, 0.95):
            add(
                Case(
                    f"truncated-{ext}-{int(keep * 100)}",
                    f"uploads/cut{int(keep * 100)}.{ext}",
                    truncated(fmt, keep),
                    rejected("corrupt"),
                )
            )
    add(Case("png-bad-ihdr-crc", "uploads/crc.png", bad_png_crc(b"IHDR"), rejected("corrupt")))
    # Pillow does not check IDAT CRCs; the pixel data itself is intact.
    add(Case("png-bad-idat-crc", "uploads/crc2.png", bad_png_crc(b"IDAT"), processed((64, 64))))
    add(Case("jpeg-bad-huffman", "uploads/huff.jpg", bad_huffman_jpeg, rejected("corrupt")))

    # Odd but legitimate images.
    add(Case("cmyk-jpeg", "uploads/cmyk.jpg", cmyk_jpeg, processed((800, 600), "RGB")))
    add(Case("ycck-jpeg", "uploads/ycck.jpg", ycck_jpeg, processed((800, 600), "RGB")))
    add(
        Case(
            "progressive-jpeg",
            "uploads/prog.jpg",
            lambda: images.make("JPEG", (2048, 1536), progressive=True),
            processed((1024, 768)),
        )
    )
    add(
        Case(
            "16-bit-png",
            "uploads/deep.png",
            lambda: images.encode(Image.new("I;16", (300, 300), 50000), "PNG"),
            processed((300, 300), "L"),
        )
    )
    add(
        Case(
            "palette-transparency",
            "uploads/pal_thumb.png",
            lambda: images.encode(images.gradient((400, 400)).convert("P"), "PNG", transparency=0),
            processed((200, 200), "RGBA"),
        )
    )
    add(
        Case(
            "grey-alpha",
            "uploads/la.png",
            lambda: images.encode(images.gradient((300, 300), "LA"), "PNG"),
            processed((300, 300), "LA"),
        )
    )
    for orientation in range(1, 9):
        add(
            Case(
                f"exif-orientation-{orientation}",
                f"uploads/orient{orientation}.jpg",
                functools.partial(images.with_orientation, "JPEG", (1600, 1000), orientation),
                processed((1024, 640)),  # upright 1600x1000, whatever the stored turn
            )
        )
    add(
        Case(
            "non-srgb-icc",
            "uploads/icc.png",
            lambda: images.encode(
                Image.new("RGB", (64, 64), (255, 0, 0)),
                "PNG",
                icc_profile=images.swapped_rgb_profile(),
            ),
            processed((64, 64), "RGB"),
        )
    )
    add(Case("animated-webp", "uploads/anim.webp", lambda: animated("WEBP"), rejected("animated")))
    add(Case("apng", "uploads/anim.png", lambda: animated("PNG"), rejected("animated")))

    # Keys.
    add(
        Case(
            "key-spaces",
            "uploads/my holiday/day one.png",
            lambda: images.make("PNG"),
            processed((300, 200)),
        )
    )
    add(Case("key-plus", "uploads/a+b.png", lambda: images.make("PNG"), processed((300, 200))))
    add(Case("key-percent", "uploads/100%.png", lambda: images.make("PNG"), processed((300, 200))))
    add(
        Case(
            "key-unicode",
            "uploads/фото/写真_grayscale.png",
            lambda: images.make("PNG"),
            processed((300, 200), "L"),
        )
    )
    add(
        Case(
            "key-very-long",
            "uploads/" + "d/" * 200 + "x" * 300 + ".png",
            lambda: images.make("PNG"),
            processed((300, 200)),
        )
    )
    add(
        Case(
            "key-nested",
            "uploads/a/b/c/d/e/f/g.png",
            lambda: images.make("PNG"),
            processed((300, 200)),
        )
    )
    add(Case("folder-marker", "uploads/folder/", lambda: b"", IGNORED))
    add(Case("under-processed", "processed/loop.png", lambda: images.make("PNG"), IGNORED))
    add(Case("outside-prefixes", "other/x.png", lambda: images.make("PNG"), IGNORED))
    return cases


CORPUS = build_corpus()

if __name__ == "__main__":
    for case in CORPUS:
        print(f"{case.id:32} {case.key[:60]:60} {case.expected}")
    print(f"{len(CORPUS)} cases")
