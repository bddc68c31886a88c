"""Images generated at test time, so the repository holds no binary fixtures."""

from __future__ import annotations

import io
import struct

from PIL import Image, ImageChops, ImageDraw, ImageStat

EXIF_ORIENTATION = 0x0112


def gradient(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A smooth two-axis gradient with a marker in the top-left corner.

    The marker (a dark square covering the top-left eighth) lets a test tell
    which way up an output is.
    """
    width, height = size
    red = Image.linear_gradient("L").resize(size)
    green = Image.linear_gradient("L").rotate(90).resize(size)
    blue = Image.new("L", size, 128)
    image = Image.merge("RGB", (red, green, blue))
    ImageDraw.Draw(image).rectangle((0, 0, width // 8, height // 8), fill=(0, 0, 0))
    if mode != "RGB":
        image = image.convert(mode)
    return image


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def make(fmt: str, size: tuple[int, int] = (300, 200), mode: str = "RGB", **options) -> bytes:
    return encode(gradient(size, mode), fmt, **options)


def with_orientation(fmt: str, size: tuple[int, int], orientation: int) -> bytes:
    """An image whose stored pixels must be turned by EXIF ``orientation`` to be upright."""
    image = gradient(size)
    exif = image.getexif()
    exif[EXIF_ORIENTATION] = orientation
    # Store the pixels as a camera would: apply the inverse of the orientation.
    inverse = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_90,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_270,
    }
    stored = image.transpose(inverse[orientation]) if orientation in inverse else image
    return encode(stored, fmt, exif=exif.tobytes())


def is_upright(image: Image.Image) -> bool:
    """True when ``image`` looks like an upright ``gradient`` of its size.

    The gradient runs one way in red and the other in green, with a dark corner
    marker, so every flip and rotation changes it beyond this tolerance.
    """
    difference = ImageChops.difference(image.convert("RGB"), gradient(image.size))
    return max(ImageStat.Stat(difference).mean) < 12


# --------------------------------------------------------------------------
# ICC: a matrix/TRC RGB profile whose red and blue colorants are swapped
# --------------------------------------------------------------------------


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15f16(x) + _s15f16(y) + _s15f16(z)


def _text_desc(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    body = b"desc" + b"\0" * 4 + struct.pack(">I", len(ascii_text)) + ascii_text
    return body + b"\0" * 12 + b"\0" * 67  # empty Unicode and ScriptCode parts


def swapped_rgb_profile() -> bytes:
    """An ICC v2 RGB profile that says 'red' channel values are blue light and vice versa.

    Converted to sRGB with colour management, a pure-red pixel must come out
    blue; a converter that ignores the profile leaves it red.
    """
    # sRGB's D50-adapted colorants, with red and blue exchanged.
    red = (0.4361, 0.2225, 0.0139)
    green = (0.3851, 0.7169, 0.0971)
    blue = (0.1431, 0.0606, 0.7141)
    curve = b"curv" + b"\0" * 4 + struct.pack(">I", 1) + struct.pack(">H", 0x0233) + b"\0\0"
    tags = [
        (b"desc", _text_desc("Swapped RGB (test)")),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(*blue)),
        (b"gXYZ", _xyz(*green)),
        (b"bXYZ", _xyz(*red)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text" + b"\0" * 4 + b"public domain\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        padded = body + b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += padded
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + bytes([2, 0x10, 0, 0])
        + b"mntr"
        + b"RGB "
        + b"XYZ "
        + bytes(12)
        + b"acsp"
        + b"APPL"
        + bytes(4)  # flags
        + bytes(4)  # manufacturer
        + bytes(4)  # model
        + bytes(8)  # attributes
        + bytes(4)  # rendering intent: perceptual
        + _s15f16(0.9642)
        + _s15f16(1.0)
        + _s15f16(0.8249)
        + bytes(4)
        + bytes(16)
        + bytes(28)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data
