"""The benchmark's corpus: seeded, photo-like images (not flat colour), made once."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

SEED = 1729


def photo(size: tuple[int, int], seed: int, grain: float = 0.12) -> Image.Image:
    """Overlapping soft shapes, texture and grain: compresses like a photograph."""
    rng = random.Random(seed)
    width, height = size
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(base)
    for _ in range(120):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(max(4, width // 60), max(8, width // 6))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    for _ in range(60):
        points = [(rng.randrange(width), rng.randrange(height)) for _ in range(2)]
        draw.line(
            points, fill=tuple(rng.randrange(256) for _ in range(3)), width=max(1, width // 300)
        )
    base = base.filter(ImageFilter.GaussianBlur(max(1, width / 400)))
    noise = Image.effect_noise(size, 40).convert("RGB")
    return Image.blend(base, noise, grain) if grain else base


def screen(size: tuple[int, int], seed: int) -> Image.Image:
    """Flat panels, hard edges and text-like strokes: a screenshot, not a photograph."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, (245, 245, 245))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(width // 20, width // 3), rng.randrange(height // 40, height // 6)
        draw.rectangle(
            (x, y, x + w, y + h), fill=tuple(rng.choice((40, 90, 200, 230)) for _ in range(3))
        )
    for row in range(0, height, max(12, height // 200)):
        for column in range(rng.randrange(8, 40), width - 40, max(40, width // 60)):
            if rng.random() < 0.5:
                draw.text(
                    (column, row),
                    rng.choice(("File", "Edit", "42", "Ok", "img")),
                    fill=(20, 20, 20),
                )
    return image


def build(directory: Path) -> dict[str, Path]:
    """Write the corpus into ``directory`` (once) and return name -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    #: name -> (image, format, save options), made only when the file is missing
    specs: dict[str, Callable[[], tuple[Image.Image, str, dict[str, Any]]]] = {
        "12mp.jpg": lambda: (photo((4000, 3000), SEED), "JPEG", {"quality": 90}),
        "12mp-exif6.jpg": lambda: (
            photo((4000, 3000), SEED + 1),
            "JPEG",
            {"quality": 90, "exif": _orientation(6)},
        ),
        "4096sq.jpg": lambda: (photo((4096, 4096), SEED + 2), "JPEG", {"quality": 90}),
        "4096sq-rgb.png": lambda: (photo((4096, 4096), SEED + 3, grain=0), "PNG", {}),
        "4096sq-rgba.png": lambda: (_with_alpha(photo((4096, 4096), SEED + 4, grain=0)), "PNG", {}),
        "2000sq.png": lambda: (photo((2000, 2000), SEED + 5, grain=0.03), "PNG", {}),
        "4096sq.webp": lambda: (photo((4096, 4096), SEED + 6), "WEBP", {"quality": 85}),
        "1080p.jpg": lambda: (photo((1920, 1080), SEED + 7), "JPEG", {"quality": 85}),
        "cmyk.jpg": lambda: (
            photo((3000, 2000), SEED + 8).convert("CMYK"),
            "JPEG",
            {"quality": 90},
        ),
        "small.webp": lambda: (photo((800, 600), SEED + 9), "WEBP", {"quality": 80}),
        # A screenshot saved as lossless WEBP: it must come back lossless.
        "4096sq-lossless.webp": lambda: (
            screen((4096, 4096), SEED + 10),
            "WEBP",
            {"lossless": True},
        ),
    }
    paths = {}
    for name, spec in specs.items():
        path = directory / name
        if not path.exists():
            image, fmt, options = spec()
            image.save(path, fmt, **options)
        # Every file must be an allowed input (10 MiB, 4096 pixels a side).
        assert path.stat().st_size <= 10 * 1024 * 1024, f"{name} is over the 10 MiB limit"
        paths[name] = path
    return paths


def _orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def _with_alpha(image: Image.Image) -> Image.Image:
    image = image.convert("RGBA")
    alpha = Image.radial_gradient("L").resize(image.size)
    image.putalpha(alpha)
    return image
