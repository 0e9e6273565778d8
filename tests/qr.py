"""Reading our QR codes back with real decoders (zxing-cpp, zbar), from PNG bytes or our inline SVG."""

from __future__ import annotations

import io
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import zxingcpp
from PIL import Image

SVG_NS = "{http://www.w3.org/2000/svg}"


def decode_png(png: bytes) -> bytes:
    """The bytes of the single QR code zxing-cpp finds in a PNG."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    return found[0].bytes


def rasterize_svg_path(d: str, size: int) -> list[list[bool]]:
    """The dark cells drawn by segno's one-unit-stroke path (M, m and h commands only)."""
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, args in re.findall(r"([A-Za-z])([^A-Za-z]*)", d):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command == "h":
            for column in range(int(x), int(x + numbers[0])):
                grid[int(y)][column] = True
            x += numbers[0]
        else:
            raise AssertionError(f"unexpected path command {command}")
    return grid


def svg_grid(svg: str) -> list[list[bool]]:
    root = ET.fromstring(svg)
    size = int(root.get("viewBox").split()[2])
    modules = [p for p in root.findall(f"{SVG_NS}path") if p.get("stroke")]
    assert len(modules) == 1
    return rasterize_svg_path(modules[0].get("d"), size)


def decode_grid(grid: list[list[bool]], scale: int = 6) -> list[bytes]:
    size = len(grid)
    image = Image.new("L", (size, size), 255)
    image.putdata([0 if dark else 255 for row in grid for dark in row])
    image = image.resize((size * scale, size * scale), Image.NEAREST)
    return [code.bytes for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def decode_svg(svg: str) -> bytes:
    """The payload of the one QR code an inline SVG of ours draws."""
    found = decode_grid(svg_grid(svg))
    assert len(found) == 1
    return found[0]


def grid_png(grid: list[list[bool]], scale: int = 6) -> bytes:
    size = len(grid)
    image = Image.new("L", (size, size), 255)
    image.putdata([0 if dark else 255 for row in grid for dark in row])
    out = io.BytesIO()
    image.resize((size * scale, size * scale), Image.NEAREST).save(out, format="PNG")
    return out.getvalue()


def decode_zbar(png: bytes, folder: Path) -> bytes:
    """The bytes zbar (`zbarimg`, a second, independent decoder) reads from a PNG."""
    path = folder / "code.png"
    path.write_bytes(png)
    done = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sbinary", str(path)], capture_output=True, check=True)
    return done.stdout.removesuffix(b"\n")


def zxing_reading(png: bytes) -> zxingcpp.Barcode:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    return found[0]
