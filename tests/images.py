"""Images generated at test time, so the repository holds no binary fixtures."""

from __future__ import annotations

import io
import struct
from typing import Any

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


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def make(fmt: str, size: tuple[int, int] = (300, 200), mode: str = "RGB", **options: Any) -> bytes:
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
    curve = _curve(2.2)
    tags = [
        (b"desc", _text_desc("Swapped RGB (test)")),
        (b"wtpt", _xyz(*_D50)),
        (b"rXYZ", _xyz(*blue)),
        (b"gXYZ", _xyz(*green)),
        (b"bXYZ", _xyz(*red)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", _COPYRIGHT),
    ]
    return _icc_profile(b"RGB ", tags)


def linear_grey_profile() -> bytes:
    """An ICC v2 greyscale profile whose tone curve is linear (gamma 1.0).

    A stored 128 means half the light; in sRGB's encoding that is about 188.
    A converter that ignores the profile leaves it at 128.
    """
    tags = [
        (b"desc", _text_desc("Linear grey (test)")),
        (b"wtpt", _xyz(*_D50)),
        (b"kTRC", _curve(1.0)),
        (b"cprt", _COPYRIGHT),
    ]
    return _icc_profile(b"GRAY", tags)


def srgb_from_linear(value: float) -> float:
    """sRGB's encoding (IEC 61966-2-1) of a linear light value in 0..1, scaled to 0..255."""
    encoded = 12.92 * value if value <= 0.0031308 else 1.055 * value ** (1 / 2.4) - 0.055
    return encoded * 255


_D50 = (0.9642, 1.0, 0.8249)
_COPYRIGHT = b"text" + b"\0" * 4 + b"public domain\0"


def _curve(gamma: float) -> bytes:
    # curv with one entry: a u8Fixed8 gamma (ICC.1:2001-04, 6.5.3).
    return b"curv" + b"\0" * 4 + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"


def _icc_profile(colour_space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
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
        + colour_space
        + b"XYZ "
        + bytes(12)
        + b"acsp"
        + b"APPL"
        + bytes(4)  # flags
        + bytes(4)  # manufacturer
        + bytes(4)  # model
        + bytes(8)  # attributes
        + bytes(4)  # rendering intent: perceptual
        + _s15f16(_D50[0])
        + _s15f16(_D50[1])
        + _s15f16(_D50[2])
        + bytes(4)
        + bytes(16)
        + bytes(28)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


# --------------------------------------------------------------------------
# Multi-picture JPEGs: camera MPO and Ultra HDR (primary + gain map in MPF)
# --------------------------------------------------------------------------

#: Ultra HDR's primary-image XMP, after the example in Google's "Ultra HDR
#: Image Format v1.1" (https://developer.android.com/media/platform/hdr-image-format):
#: the hdrgm version and a GContainer directory naming the primary image and
#: the gain map that follows it in the MPF container. ``{version}`` is the
#: ``hdrgm:Version`` property: an attribute, or the element form XMP also allows.
_ULTRA_HDR_XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="test">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Container="http://ns.google.com/photos/1.0/container/"
    xmlns:Item="http://ns.google.com/photos/1.0/container/item/"
    xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/"{attribute}>{element}
   <Container:Directory>
    <rdf:Seq>
     <rdf:li rdf:parseType="Resource">
      <Container:Item Item:Semantic="Primary" Item:Mime="image/jpeg"/>
     </rdf:li>
     <rdf:li rdf:parseType="Resource">
      <Container:Item Item:Semantic="GainMap" Item:Mime="image/jpeg" Item:Length="{length}"/>
     </rdf:li>
    </rdf:Seq>
   </Container:Directory>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"""

#: The gain map's own XMP: how far HDR may brighten the SDR primary (log2).
_GAIN_MAP_XMP = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""
 xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" hdrgm:Version="1.0"
 hdrgm:GainMapMax="2.0" hdrgm:HDRCapacityMax="2.0"/></rdf:RDF></x:xmpmeta>"""

#: The colour of the primary image and of the secondary one, far apart so a
#: test can tell which of the two was processed.
PRIMARY_COLOUR = (200, 30, 30)
SECONDARY_GREY = 90


def multi_picture_jpeg(
    size: tuple[int, int], form: str, secondary_size: tuple[int, int] | None = None
) -> bytes:
    """A JPEG with a second image behind the first, listed in an MPF (CIPA DC-007) APP2 segment.

    ``form``: ``"mpo"`` (a camera's stereo pair, both frames full size),
    ``"ultrahdr"`` (an SDR primary with Ultra HDR XMP, plus a quarter-size
    greyscale gain map with its own XMP), ``"ultrahdr-element"`` (the same,
    with ``hdrgm:Version`` as an XMP element, not an attribute),
    ``"ultrahdr-iso"`` (no XMP in the primary, as ISO 21496-1 gain-map
    writers may leave it).
    """
    primary = gradient(size)
    primary.paste(PRIMARY_COLOUR, (size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4))
    if form == "mpo":
        secondary = Image.new("RGB", secondary_size or size, (SECONDARY_GREY,) * 3)
        return encode(primary, "MPO", save_all=True, append_images=[secondary], quality=92)
    gain_size = secondary_size or (max(1, size[0] // 4), max(1, size[1] // 4))
    gain_map = Image.new("L", gain_size, SECONDARY_GREY)
    gain_map.encoderinfo = {"xmp": _GAIN_MAP_XMP}  # how Pillow's MPO writer takes frame options
    gain_map_length = len(encode(gain_map, "JPEG", xmp=_GAIN_MAP_XMP))
    options: dict[str, object] = {"quality": 92}
    if form in ("ultrahdr", "ultrahdr-element"):
        version = {"attribute": "", "element": "\n   <hdrgm:Version>1.0</hdrgm:Version>"}
        if form == "ultrahdr":
            version = {"attribute": '\n    hdrgm:Version="1.0"', "element": ""}
        xmp = _ULTRA_HDR_XMP.format(length=gain_map_length, **version)
        options["xmp"] = xmp.encode()
    elif form != "ultrahdr-iso":
        raise ValueError(f"unknown form {form!r}")
    return encode(primary, "MPO", save_all=True, append_images=[gain_map], **options)


def webp_chunks(data: bytes) -> list[bytes]:
    """The FourCCs of a WEBP file's RIFF chunks, in order (``VP8L`` means lossless)."""
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WEBP"
    chunks, position = [], 12
    while position + 8 <= len(data):
        fourcc, size = (
            data[position : position + 4],
            struct.unpack("<I", data[position + 4 : position + 8])[0],
        )
        chunks.append(fourcc)
        position += 8 + size + (size & 1)
    return chunks


def screenshot(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Flat colours, hard edges and text-like strokes: what lossless WEBP is made for."""
    image = Image.new("RGB", size, (246, 246, 246))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((0, 0, width, height // 8), fill=(32, 96, 200))
    for row in range(height // 4, height - 8, 12):
        for column in range(8, width - 40, 48):
            draw.text((column, row), "Ab1", fill=(20, 20, 20))
    draw.line((0, height - 1, width, 0), fill=(220, 40, 40), width=3)
    if mode == "RGBA":
        image = image.convert("RGBA")
        image.putalpha(Image.linear_gradient("L").resize(size))
    return image


def heic(
    image: Image.Image,
    *,
    orientation: int = 1,
    gps: bool = False,
    icc_profile: bytes | None = None,
    quality: int = 60,
    extra: tuple[Image.Image, ...] = (),
) -> bytes:
    """A HEIC file as a phone writes one, encoded by pillow-heif (libheif with x265).

    ``orientation`` is stored the way cameras do: the pixels turned by its
    inverse, and HEIF's own transforms (pillow-heif writes ``irot``/``imir``
    from the EXIF orientation) turn them back. ``gps`` adds a GPS position to
    the EXIF; ``extra`` adds further top-level images after the primary.
    """
    import pillow_heif

    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    if gps:
        position = exif.get_ifd(0x8825)
        position[1], position[2] = "N", (52.0, 31.0, 12.0)  # GPSLatitudeRef, GPSLatitude
    inverse = {
        3: Image.Transpose.ROTATE_180,
        6: Image.Transpose.ROTATE_90,
        8: Image.Transpose.ROTATE_270,
    }
    stored = image.transpose(inverse[orientation]) if orientation in inverse else image
    if icc_profile is not None:
        stored.info["icc_profile"] = icc_profile
    heif = pillow_heif.from_pillow(stored)
    for other in extra:
        heif.add_from_pillow(other)
    buffer = io.BytesIO()
    heif.save(
        buffer, quality=quality, exif=exif.tobytes(), xmp=b"<x:xmpmeta>GPS secret</x:xmpmeta>"
    )
    return buffer.getvalue()
