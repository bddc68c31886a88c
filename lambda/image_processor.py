"""Pure image processing: bytes and an operation in, bytes and facts out.

No boto3 and no environment here. Every way an input can be unacceptable ends
in ``ImageRejected`` with a machine-readable ``Reason``; nothing else is raised
for bad input.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

from PIL import (
    ExifTags,
    Image,
    ImageFile,
    ImageMath,
    ImageOps,
    JpegImagePlugin,
    UnidentifiedImageError,
)

if TYPE_CHECKING:
    from PIL import ImageCms

# Pillow's decompression-bomb warning becomes an error: an image whose header
# claims more pixels than we allow is never decoded.
warnings.simplefilter("error", Image.DecompressionBombWarning)


class Operation(StrEnum):
    RESIZE = "resize"
    THUMBNAIL = "thumbnail"
    GRAYSCALE = "grayscale"


class Reason(StrEnum):
    EMPTY = "empty"
    TOO_LARGE_BYTES = "too_large_bytes"
    TOO_LARGE_DIMENSIONS = "too_large_dimensions"
    TOO_LARGE_FOR_MEMORY = "too_large_for_memory"
    UNSUPPORTED_EXTENSION = "unsupported_extension"
    UNSUPPORTED_TYPE = "unsupported_type"
    TYPE_MISMATCH = "type_mismatch"
    CORRUPT = "corrupt"
    ANIMATED = "animated"
    DECOMPRESSION_BOMB = "decompression_bomb"
    OBJECT_MISSING = "object_missing"
    KEY_TOO_LONG = "key_too_long"
    REQUEST_REFUSED = "request_refused"
    MALWARE = "malware"
    MALWARE_SCAN_UNSUPPORTED = "malware_scan_unsupported"
    MALWARE_SCAN_ACCESS_DENIED = "malware_scan_access_denied"
    SCANNED_OBJECT_CHANGED = "scanned_object_changed"


#: Rejections that look like an attack rather than an accident; the handler
#: also reports them to the security-alerts topic.
SUSPICIOUS_REASONS = frozenset(
    {Reason.DECOMPRESSION_BOMB, Reason.TYPE_MISMATCH, Reason.UNSUPPORTED_TYPE}
)

#: Longest side of the box each operation fits the image into.
BOX_SIZE = {Operation.RESIZE: 1024, Operation.THUMBNAIL: 200}

_EXTENSIONS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
#: Accepted only when HEIC input is switched on (``enable_heic_input``).
_HEIF_EXTENSIONS = {"heic": "HEIF", "heif": "HEIF", "hif": "HEIF"}
CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "AVIF": "image/avif",
}
#: The formats a recipe can write, and the file extension each one's key gets.
OUTPUT_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "AVIF": "avif"}
#: A recipe's ``format``: ``same`` keeps the upload's format (a HEIC upload becomes JPEG).
RECIPE_FORMATS = ("same", "jpeg", "png", "webp", "avif")
#: Formats whose encoder can be lossless (PNG always is; ``same`` follows the upload).
LOSSLESS_FORMATS = frozenset({"same", "png", "webp"})
#: Formats whose encoder takes a quality.
QUALITY_FORMATS = frozenset({"same", "jpeg", "webp", "avif"})
#: What ``same`` writes for an upload whose format the function cannot write.
SAME_FALLBACK = {"HEIF": "JPEG"}
#: ISO BMFF brands (the ``ftyp`` box) of HEIF still images coded with HEVC
#: (ISO/IEC 23008-12, Annex B: ``heic``, ``heix``, ``heim``, ``heis``) and of
#: image sequences (``hevc``, ``hevx``, ``msf1``); ``mif1`` is HEIF's
#: structural brand, whose codec the compatible brands say.
_HEIC_STILL_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis"})
_HEIC_SEQUENCE_BRANDS = frozenset({b"hevc", b"hevx", b"hevm", b"hevs", b"msf1"})
_SUFFIXES = (("_thumb", Operation.THUMBNAIL), ("_grayscale", Operation.GRAYSCALE))

# Encoder settings, chosen by the cost model `make bench` prints: the cheapest
# per image (Lambda GB-seconds of the encoder plus 30 days of S3 storage of
# its output, at list prices) whose PSNR is nowhere below Pillow's default.
# PNG levels 1 to 3 cost the same within the noise, 8% less than level 6 (3x
# the CPU for 20% smaller files); WEBP method 4 is the only lossy setting that
# matches the default's PSNR everywhere; lossless method 0 is a third of the
# CPU of method 2 for files nearly twice the size, still 40% cheaper per image.
_SAVE_OPTIONS: dict[str, dict[str, int | bool]] = {
    "JPEG": {"quality": 85},
    "PNG": {"compress_level": 2},
    "WEBP": {"quality": 80, "method": 4},
    # libavif through Pillow: speed and quality from the cost model of
    # `make bench` (bench/run.py, avif_costs); one thread, as a Lambda of
    # 1,024 MB has less than one vCPU.
    "AVIF": {"quality": 70, "speed": 10, "max_threads": 1},
}
#: A lossless WEBP upload stays lossless (screenshots, logos, line art), at
#: every size: a 16x16 or 64x64 icon is smaller lossless than lossy at quality
#: 80; a 200x150 one about 6% larger, where lossy shows artefacts (26.6 dB).
_WEBP_LOSSLESS_OPTIONS: dict[str, int | bool] = {"lossless": True, "quality": 25, "method": 0}

#: Peak working memory per source pixel, by format: the worst operation's
#: peak RSS above the process baseline in `make bench`, plus about 5%.
#: (JPEG decodes shrunk on load, except CMYK and greyscale at full size;
#: libwebp's decoder and encoder hold the most: 28 bytes a pixel for the
#: greyscale of a 4096x4096 lossless WEBP, 25 for a lossy one.) HEIF: 11.1
#: measured (bench/peak_rss.py, the greyscale of a 4096x4096 8-bit HEIC with
#: alpha); 16 leaves room for 10-bit HEIC, which was not measured.
WORKING_BYTES_PER_PIXEL = {"JPEG": 9, "PNG": 10, "WEBP": 30, "HEIF": 16}
#: A copy of the decoded image held beside it while another output is made:
#: added when a recipe set has more than one output (measured 1.0 for three
#: recipes on a 12-megapixel JPEG, 2.6 on a 4096x4096 HEIC).
EXTRA_OUTPUT_BYTES_PER_PIXEL = 4
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError)


class ImageRejected(Exception):
    """The input is not acceptable; a terminal outcome, never retried."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    @property
    def suspicious(self) -> bool:
        return self.reason in SUSPICIOUS_REASONS


@dataclass(frozen=True, slots=True)
class Route:
    """What to do with an upload, decided from its file name alone."""

    operation: Operation
    expected_format: str


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    max_dimension: int = 4096
    #: Memory the processing may use; ``None`` disables the memory guard.
    memory_budget_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class Recipe:
    """One output of an upload: its box, colour, format and encoder settings.

    ``width`` and ``height`` bound the upright output (aspect kept, never
    enlarged); ``None`` keeps the decoded size. ``format`` is one of
    ``RECIPE_FORMATS``; ``quality`` ``None`` takes the format's default.
    ``key`` is the output key's template, which the pipeline renders.
    """

    name: str
    width: int | None = None
    height: int | None = None
    grayscale: bool = False
    format: str = "same"
    quality: int | None = None
    lossless: bool = False
    key: str = "{recipe}/{path}.{ext}"

    @property
    def box(self) -> tuple[int, int] | None:
        if self.width is None or self.height is None:
            return None
        return self.width, self.height

    def output_format(self, source_format: str) -> str:
        """The format this recipe writes for an upload in ``source_format``."""
        if self.format == "same":
            return SAME_FALLBACK.get(source_format, source_format)
        return self.format.upper()


#: The seed's rule, one recipe per operation: what the default configuration runs.
SEED_RECIPES = {
    Operation.RESIZE: Recipe("resize", BOX_SIZE[Operation.RESIZE], BOX_SIZE[Operation.RESIZE]),
    Operation.THUMBNAIL: Recipe(
        "thumbnail", BOX_SIZE[Operation.THUMBNAIL], BOX_SIZE[Operation.THUMBNAIL]
    ),
    Operation.GRAYSCALE: Recipe("grayscale", grayscale=True),
}


def recipe_digest(recipes: Sequence[Recipe] | None) -> str:
    """A short digest of a recipe set (its canonical JSON); ``None`` is the seed's rule.

    A record stores the digest of the set that produced its outputs: the same
    upload under the same set is a duplicate, under another set a reprocess.
    """
    canonical: object = "seed" if recipes is None else [asdict(recipe) for recipe in recipes]
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class ImageFacts:
    format: str
    width: int
    height: int
    mode: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    data: bytes
    content_type: str
    source: ImageFacts
    output: ImageFacts


@dataclass(frozen=True, slots=True)
class Rendition:
    """One recipe's output."""

    recipe: Recipe
    data: bytes
    content_type: str
    output: ImageFacts


@dataclass(frozen=True, slots=True)
class ProcessedSet:
    """Every output of one upload, from one decode."""

    source: ImageFacts
    outputs: tuple[Rendition, ...]


def route(key: str, *, heif: bool = False) -> Route:
    """Decide the operation and the expected format from an object key's file name.

    ``heif`` (HEIC input switched on) also accepts ``.heic``, ``.heif`` and ``.hif``.
    """
    name = key.rsplit("/", 1)[-1]
    stem, dot, extension = name.rpartition(".")
    extensions = _EXTENSIONS | _HEIF_EXTENSIONS if heif else _EXTENSIONS
    expected = extensions.get(extension.lower()) if dot and stem else None
    if expected is None:
        raise ImageRejected(
            Reason.UNSUPPORTED_EXTENSION,
            f"file name {name!r} does not end in .jpg, .jpeg, .png or .webp",
        )
    lowered = stem.lower()
    for suffix, operation in _SUFFIXES:
        if lowered.endswith(suffix):
            return Route(operation, expected)
    return Route(Operation.RESIZE, expected)


def check_size(size_bytes: int, limits: Limits) -> None:
    """Reject by size alone, before anything is downloaded."""
    if size_bytes <= 0:
        raise ImageRejected(Reason.EMPTY, "the object is empty")
    if size_bytes > limits.max_bytes:
        raise ImageRejected(
            Reason.TOO_LARGE_BYTES,
            f"the object is {size_bytes} bytes; the limit is {limits.max_bytes} bytes",
        )


def sniff_format(data: bytes, *, heif: bool = False) -> str | None:
    """The format named by the file's magic bytes, if it is one we accept.

    ``heif`` (HEIC input switched on) also recognises HEIC by the brands of
    its ``ftyp`` box, never by the file name.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if heif and heif_brands(data)[0] is not None:
        return "HEIF"
    return None


def heif_brands(data: bytes) -> tuple[bytes | None, frozenset[bytes]]:
    """The major brand of a HEIC file's ``ftyp`` box (``None`` if not HEIC) and its brands.

    The file starts with the ``ftyp`` box (ISO/IEC 14496-12, 4.3): a 32-bit
    size, ``ftyp``, the major brand, a minor version and compatible brands.
    HEIC is a major brand of ``_HEIC_STILL_BRANDS`` or ``_HEIC_SEQUENCE_BRANDS``,
    or ``mif1``/``msf1`` with one of them compatible; AVIF (``avif``) is not.
    """
    if len(data) < 16 or data[4:8] != b"ftyp":
        return None, frozenset()
    size = int.from_bytes(data[:4], "big")
    if size < 16 or size > min(len(data), 4096) or size % 4:
        return None, frozenset()
    major = data[8:12]
    brands = frozenset({major} | {data[i : i + 4] for i in range(16, size, 4)})
    heic = _HEIC_STILL_BRANDS | _HEIC_SEQUENCE_BRANDS
    if major in heic or (major in (b"mif1", b"msf1") and brands & heic):
        return major, brands
    return None, frozenset()


def estimate_working_bytes(width: int, height: int, source_format: str, outputs: int = 1) -> int:
    """Memory that decoding and processing an image of this size is expected to need."""
    per_pixel = WORKING_BYTES_PER_PIXEL[source_format]
    if outputs > 1:
        per_pixel += EXTRA_OUTPUT_BYTES_PER_PIXEL
    return width * height * per_pixel


def process_image(data: bytes, target: Route, limits: Limits) -> ProcessedImage:
    """Validate ``data`` and apply ``target.operation``; raise ``ImageRejected`` if unacceptable.

    The seed's rule: one output, the operation's recipe (``SEED_RECIPES``).
    """
    recipe = SEED_RECIPES[target.operation]
    result = process_recipes(data, target.expected_format, (recipe,), limits)
    output = result.outputs[0]
    return ProcessedImage(output.data, output.content_type, result.source, output.output)


def process_recipes(
    data: bytes,
    expected_format: str,
    recipes: Sequence[Recipe],
    limits: Limits,
) -> ProcessedSet:
    """Validate ``data``, decode it once and produce every recipe's output.

    ``expected_format`` is what the file name says (``route``); ``HEIF`` is
    recognised only when the name allowed it. Raises ``ImageRejected`` if the
    upload is unacceptable.
    """
    if not recipes:
        raise ValueError("a recipe set has at least one recipe")
    check_size(len(data), limits)
    source_format = sniff_format(data, heif=expected_format == "HEIF")
    if source_format is None:
        raise ImageRejected(Reason.UNSUPPORTED_TYPE, "the content is not a JPEG, PNG or WEBP image")
    if source_format != expected_format:
        raise ImageRejected(
            Reason.TYPE_MISMATCH,
            f"the content is {source_format} but the file name says {expected_format}",
        )
    if source_format == "HEIF" and heif_brands(data)[0] in _HEIC_SEQUENCE_BRANDS:
        raise ImageRejected(
            Reason.ANIMATED, "the file is a HEIF image sequence; only still images are processed"
        )

    image = _open(data, source_format, limits)
    source = ImageFacts(source_format, image.width, image.height, image.mode, len(data))
    _check_header(image, source_format, limits, outputs=len(recipes))
    lossless = source_format == "PNG" or (source_format == "WEBP" and is_lossless_webp(data))
    try:
        renditions = tuple(_render(image, recipes, source_format, lossless))
    except ImageRejected:
        raise
    except Image.DecompressionBombError as e:
        raise ImageRejected(Reason.DECOMPRESSION_BOMB, str(e)) from e
    except _DECODE_ERRORS as e:
        raise ImageRejected(Reason.CORRUPT, f"the image data is corrupt or truncated: {e}") from e
    return ProcessedSet(source, renditions)


# --------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------


def _open(data: bytes, source_format: str, limits: Limits) -> ImageFile.ImageFile:
    # Pillow's own guard reads the size from the header; beyond MAX_IMAGE_PIXELS
    # it warns (an error here), beyond twice that it raises DecompressionBombError.
    Image.MAX_IMAGE_PIXELS = limits.max_dimension * limits.max_dimension
    try:
        if source_format == "JPEG":
            return _open_primary_jpeg(data, limits)
        if source_format == "HEIF":
            _register_heif()
        return Image.open(io.BytesIO(data), formats=[source_format])
    except Image.DecompressionBombError as e:
        raise ImageRejected(
            Reason.DECOMPRESSION_BOMB,
            f"the header claims more than twice the allowed pixel count: {e}",
        ) from e
    except Image.DecompressionBombWarning as e:
        raise ImageRejected(
            Reason.TOO_LARGE_DIMENSIONS,
            f"the header claims more pixels than {limits.max_dimension}x{limits.max_dimension}",
        ) from e
    except ValueError as e:
        if "decompressed data too large" in str(e).lower():  # PNG text-chunk bomb
            raise ImageRejected(
                Reason.DECOMPRESSION_BOMB, "a compressed metadata chunk expands beyond its limit"
            ) from e
        raise ImageRejected(Reason.CORRUPT, f"the image header is corrupt: {e}") from e
    except _DECODE_ERRORS as e:
        raise ImageRejected(Reason.CORRUPT, f"the image header is corrupt: {e}") from e


def _open_primary_jpeg(data: bytes, limits: Limits) -> ImageFile.ImageFile:
    """Open only the primary image of a JPEG, ignoring any MPF index.

    A multi-picture JPEG (CIPA DC-007 MPF: a camera's stereo pair or
    panorama, an Ultra HDR photo's gain map) is a baseline JPEG whose first
    image, at the start of the file, is the primary; the others follow its
    end-of-image marker. Pillow's ``Image.open`` would parse the MPF index
    (and count the secondary images as frames); the JPEG decoder alone reads
    the primary and never looks past it, so a broken index cannot matter.
    Pillow's pixel-count guard runs in ``Image.open``; the same limits apply here.
    """
    image = JpegImagePlugin.JpegImageFile(io.BytesIO(data))
    pixels = image.width * image.height
    if pixels > 2 * limits.max_dimension**2:
        raise ImageRejected(
            Reason.DECOMPRESSION_BOMB,
            f"the header claims more than twice the allowed pixel count: {pixels} pixels",
        )
    if pixels > limits.max_dimension**2:
        raise ImageRejected(
            Reason.TOO_LARGE_DIMENSIONS,
            f"the header claims more pixels than {limits.max_dimension}x{limits.max_dimension}",
        )
    return image


def _check_header(image: Image.Image, source_format: str, limits: Limits, outputs: int = 1) -> None:
    width, height = image.size
    if width > limits.max_dimension or height > limits.max_dimension:
        raise ImageRejected(
            Reason.TOO_LARGE_DIMENSIONS,
            f"the image is {width}x{height}; the limit is "
            f"{limits.max_dimension}x{limits.max_dimension}",
        )
    # APNG, animated WEBP. (A HEIF file's other top-level images, a burst's
    # frames or a stereo pair, are not an animation: its primary is decoded.)
    if source_format != "HEIF" and getattr(image, "is_animated", False):
        raise ImageRejected(
            Reason.ANIMATED, "the image is animated; only single-frame images are processed"
        )
    if limits.memory_budget_bytes is not None:
        needed = estimate_working_bytes(width, height, source_format, outputs)
        if needed > limits.memory_budget_bytes:
            raise ImageRejected(
                Reason.TOO_LARGE_FOR_MEMORY,
                f"processing a {width}x{height} image needs about {needed // 2**20} MiB; "
                f"{limits.memory_budget_bytes // 2**20} MiB are available "
                "(raise the function's memory)",
            )


def _render(
    image: ImageFile.ImageFile,
    recipes: Sequence[Recipe],
    source_format: str,
    lossless_source: bool,
) -> list[Rendition]:
    """Decode ``image`` once and make each recipe's output from the decoded pixels.

    The decode is shrunk on load to the largest output (JPEG); each output is
    resized from the decoded image, then turned upright, colour-managed into
    sRGB, made grey if asked and encoded without metadata. A single recipe
    does exactly what one operation always did.
    """
    outputs = []
    for recipe, output_format, result in _transformed(image, recipes, source_format):
        lossless = recipe.lossless or (recipe.format == "same" and lossless_source)
        encoded = _encode(result, output_format, lossless=lossless, quality=recipe.quality)
        facts = ImageFacts(output_format, result.width, result.height, result.mode, len(encoded))
        outputs.append(Rendition(recipe, encoded, CONTENT_TYPES[output_format], facts))
    return outputs


def _transformed(
    image: ImageFile.ImageFile, recipes: Sequence[Recipe], source_format: str
) -> Iterator[tuple[Recipe, str, Image.Image]]:
    """Each recipe, the format it writes, and the image its encoder is handed."""
    icc_profile = image.info.get("icc_profile")
    # HEIF's own transforms (irot, imir) are applied by libheif while decoding;
    # its EXIF orientation, if any, must not turn the image a second time.
    orientation = 1 if source_format == "HEIF" else _orientation(image, recipes)
    swapped = orientation in (5, 6, 7, 8)
    boxes = [_stored_box(recipe.box, swapped) for recipe in recipes]
    if (
        all(recipe.grayscale for recipe in recipes)
        and source_format == "JPEG"
        and image.mode == "RGB"
        and not icc_profile
    ):
        image.draft("L", image.size)  # the JPEG decoder emits luma directly
    if source_format == "JPEG" and all(box is not None for box in boxes):
        # Shrink on load: libjpeg scales by 1/2, 1/4 or 1/8 while decoding, to
        # the smallest scale that still covers the largest output (a 4096 px
        # JPEG decodes straight to 1024 px). Measured (`make bench`): as sharp
        # as the naive baseline's larger draft, at half the CPU or less.
        fitted = [_fitted(image.size, box) for box in boxes if box is not None]
        image.draft(None, (max(w for w, _ in fitted), max(h for _, h in fitted)))
    decoded = _decodable_mode(image)
    # Outputs of the same box share one resized, upright, sRGB image. Each box
    # is made from a copy of the decoded image, except the last one to be made,
    # which works on the decoded image itself.
    distinct = list(dict.fromkeys(boxes))
    prepared: dict[tuple[int, int] | None, Image.Image] = {}
    for recipe, box in zip(recipes, boxes, strict=True):
        if box not in prepared:
            base = decoded if box == distinct[-1] else decoded.copy()
            prepared[box] = _prepare(base, box, source_format, icc_profile)
        result = prepared[box]
        if recipe.grayscale:
            result = result.convert("LA" if "A" in result.getbands() else "L")
        output_format = recipe.output_format(source_format)
        if output_format == "JPEG" and result.mode in ("RGBA", "LA"):
            result = _flatten(result)
        yield recipe, output_format, result


def _prepare(
    image: Image.Image,
    box: tuple[int, int] | None,
    source_format: str,
    icc_profile: bytes | None,
) -> Image.Image:
    """Resize into ``box`` (stored orientation), turn upright and colour-manage into sRGB."""
    if box is not None:
        # thumbnail() keeps the aspect ratio, never upscales and reduces by
        # integer factors while the image is over twice the output size, then
        # resamples bicubic: the naive baseline's quality (Pillow's default
        # gap of 2.0; 1.5 lost up to 1.5 dB on PNG thumbnails). Lanczos with a
        # gap of 3 had cost up to 2.9x the CPU for no measurable gain.
        image.thumbnail(box, Image.Resampling.BICUBIC, reducing_gap=2.0)
    image.load()
    if source_format != "HEIF":
        ImageOps.exif_transpose(image, in_place=True)
    return _to_srgb(image, icc_profile)


def _flatten(image: Image.Image) -> Image.Image:
    """An image with alpha on a white background: JPEG has no alpha, and the colour
    under a transparent pixel is whatever the file happened to store there."""
    background = Image.new(image.mode[:-1], image.size, "white")
    background.paste(image.convert(background.mode), mask=image.getchannel("A"))
    return background


def _orientation(image: Image.Image, recipes: Sequence[Recipe]) -> int:
    """The EXIF orientation, read only when a recipe's box is not square (it matters then)."""
    if all(recipe.box is None or recipe.width == recipe.height for recipe in recipes):
        return 1
    value = image.getexif().get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) else 1


def _stored_box(box: tuple[int, int] | None, swapped: bool) -> tuple[int, int] | None:
    """A box for the upright image, as it applies to the stored (not yet turned) pixels."""
    if box is None or not swapped:
        return box
    return box[1], box[0]


def _fitted(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The size ``size`` takes inside ``box``, aspect kept, never enlarged."""
    width, height = size
    if width <= box[0] and height <= box[1]:
        return size
    scale = min(box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _decodable_mode(image: Image.Image) -> Image.Image:
    """Convert the modes that Pillow cannot resample well into RGB(A) or L(A).

    A PNG ``tRNS`` chunk (``info["transparency"]``) names one colour as fully
    transparent; it becomes an alpha channel here, before any resampling, so
    that every operation and the PNG/WEBP encoders keep it.
    """
    mode = image.mode
    transparency = image.info.get("transparency")
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or transparency is not None
        return image.convert("RGBA" if has_alpha else "RGB")
    if mode in ("1", "L", "RGB") and transparency is not None:
        return image.convert("RGBA" if mode == "RGB" else "LA")
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I") or mode == "F":
        # 16-bit and 32-bit greyscale: scale into 8 bits rather than clip.
        wide = image.convert("I")
        grey = wide.point(lambda value: value * (1 / 256)).convert("L")
        if not isinstance(transparency, int):
            return grey
        # Pillow's own conversion loses a 16-bit tRNS value: compare at full depth.
        alpha = ImageMath.lambda_eval(lambda a: (a["image"] != transparency) * 255, image=wide)
        return Image.merge("LA", (grey, alpha.convert("L")))
    return image


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Colour-manage into sRGB with LittleCMS when the image carries a profile.

    RGB(A) and CMYK convert directly. Greyscale (a ``GRAY`` profile) converts
    to sRGB and back to one channel: the profile's neutral greys come out as
    equal R, G and B, whose luma is that same value, so only the tone curve
    changes. Alpha is kept as it was.
    """
    if icc_profile and image.mode in ("RGB", "RGBA", "CMYK", "L", "LA"):
        # Imported here: only images that carry a profile pay for LittleCMS.
        from PIL import ImageCms

        grey = image.mode in ("L", "LA")
        alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
        colour = image.getchannel("L") if grey else image
        output_mode = "RGBA" if colour.mode == "RGBA" else "RGB"
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(
                colour,
                source,
                _srgb_profile(),
                outputMode=output_mode,
                renderingIntent=ImageCms.Intent.PERCEPTUAL,
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # an unusable profile: fall back to a plain conversion
        if converted is not None and grey:
            converted = converted.convert("L")
            if alpha is not None:
                converted = Image.merge("LA", (converted, alpha))
        if converted is not None:
            return converted
    if image.mode in ("CMYK", "YCbCr", "RGBX"):
        return image.convert("RGB")
    return image


def _encode(
    image: Image.Image, output_format: str, *, lossless: bool = False, quality: int | None = None
) -> bytes:
    # Drop every piece of metadata (EXIF incl. GPS, XMP, ICC, comments, text
    # chunks): nothing from the input's info reaches the encoder.
    image.info = {}
    if output_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    options = dict(_SAVE_OPTIONS[output_format])
    if output_format == "WEBP" and lossless:
        options = dict(_WEBP_LOSSLESS_OPTIONS)
    elif quality is not None and output_format != "PNG":
        options["quality"] = quality
    buffer = io.BytesIO()
    image.save(buffer, output_format, **options)
    return buffer.getvalue()


def is_lossless_webp(data: bytes) -> bool:
    """True when a WEBP file's image bitstream is lossless (``VP8L``), not lossy (``VP8 ``).

    Walks the RIFF chunks after the 12-byte header (WebP Container
    Specification, https://developers.google.com/speed/webp/docs/riff_container):
    a simple file holds one ``VP8 `` or ``VP8L`` chunk; an extended one starts
    with ``VP8X`` and may hold ``ICCP``, ``ALPH`` and others before it. Pillow
    does not expose which bitstream it decoded.
    """
    position = 12
    while position + 8 <= len(data):
        fourcc = data[position : position + 4]
        if fourcc in (b"VP8 ", b"VP8L"):
            return fourcc == b"VP8L"
        size = int.from_bytes(data[position + 4 : position + 8], "little")
        position += 8 + size + (size & 1)
    return False


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@cache
def _register_heif() -> None:
    """Register pillow-heif's HEIF decoder with Pillow, once, on the first HEIC upload.

    Decoding only (the encoder is never called). The primary image alone:
    no thumbnails, depth or auxiliary images are read. One decoding thread (a
    function below 1,769 MB has less than one vCPU). libheif's own security
    limits stay on.
    """
    import pillow_heif

    pillow_heif.register_heif_opener(
        thumbnails=False, depth_images=False, aux_images=False, decode_threads=1
    )
    pillow_heif.options.DISABLE_SECURITY_LIMITS = False
