"""Draws the add-in's icon (a white clock on a rounded blue square) into addin/assets/icon-{size}.png.

Standard library only (zlib + struct), 4x4 supersampling for smooth edges. Run it again after changing
the drawing: `python addin/scripts/make_icons.py`. The manifest uses sizes 16, 32, 64, 80 and 128; the app
package of the unified manifest color.png (192) and outline.png (32, white on transparent)."""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

BLUE = (15, 108, 189)  # Fluent's brand blue, as the task pane's buttons
WHITE = (255, 255, 255)
SIZES = (16, 32, 64, 80, 128)
SUPERSAMPLE = 4
ASSETS = Path(__file__).resolve().parent.parent / "assets"


def _inside_rounded_square(x: float, y: float, radius: float) -> bool:
    nearest_x = min(max(x, radius), 1 - radius)
    nearest_y = min(max(y, radius), 1 - radius)
    return (x - nearest_x) ** 2 + (y - nearest_y) ** 2 <= radius**2


def _distance_to_segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def colour_at(x: float, y: float) -> tuple[int, int, int] | None:
    """The colour at (x, y) of the unit square, or None outside the icon (transparent)."""
    if not _inside_rounded_square(x, y, 0.2):
        return None
    ring = 0.30 <= math.hypot(x - 0.5, y - 0.5) <= 0.37
    hour_hand = _distance_to_segment(x, y, 0.5, 0.5, 0.5, 0.29) <= 0.035
    minute_hand = _distance_to_segment(x, y, 0.5, 0.5, 0.65, 0.54) <= 0.035
    return WHITE if ring or hour_hand or minute_hand else BLUE


def outline_at(x: float, y: float) -> tuple[int, int, int] | None:
    """The outline icon of the Microsoft 365 app package: the clock alone, white on transparent."""
    return WHITE if colour_at(x, y) == WHITE else None


def _pixel(i: int, j: int, size: int, paint: Callable[[float, float], tuple[int, int, int] | None]) -> bytes:
    red = green = blue = covered = 0
    for sj in range(SUPERSAMPLE):
        for si in range(SUPERSAMPLE):
            colour = paint((i + (si + 0.5) / SUPERSAMPLE) / size, (j + (sj + 0.5) / SUPERSAMPLE) / size)
            if colour is not None:
                red, green, blue, covered = red + colour[0], green + colour[1], blue + colour[2], covered + 1
    if not covered:
        return bytes(4)
    alpha = round(255 * covered / SUPERSAMPLE**2)
    return bytes((round(red / covered), round(green / covered), round(blue / covered), alpha))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(size: int, paint: Callable[[float, float], tuple[int, int, int] | None] = colour_at) -> bytes:
    rows = b"".join(b"\x00" + b"".join(_pixel(i, j, size, paint) for i in range(size)) for j in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    chunks = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def main() -> None:
    ASSETS.mkdir(exist_ok=True)
    for size in SIZES:
        (ASSETS / f"icon-{size}.png").write_bytes(png(size))
    # The Microsoft 365 app package's two icons (scripts/manifests.py puts them in the zip).
    (ASSETS / "color.png").write_bytes(png(192))
    (ASSETS / "outline.png").write_bytes(png(32, outline_at))


if __name__ == "__main__":
    main()
