"""Does a fixed QR mask scan as well as the mask chosen by the standard's penalty rules?

    python -m bench.qr_masks [--codes N] [--results bench/QR-MASKS.md]

Draws the EPC codes of N synthetic invoices (the generator's names, amounts and references) with
each of the eight masks and with segno's choice, degrades each picture the way a phone camera and a
cheap printer do (few pixels per module, blur, noise, uneven light), and counts how many codes zbar
(`zbarimg`) and zxing-cpp read back exactly. The build draws every code with the mask that scores
best here; this table is why.
"""

from __future__ import annotations

import argparse
import io
import random
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import segno
import zxingcpp
from PIL import Image, ImageFilter

from portal.codes import payment

NAMES = ("Atelier Dupont SRL", "Bäckerei Müller GmbH", "Café l'Étoile & Fils", "Jan Peeters BV", "Zoë Janssens")
POLICIES: tuple[int | None, ...] = (None, 0, 1, 2, 3, 4, 5, 6, 7)
# (pixels per module, blur radius, noise amplitude, light gradient): from clean to hard.
DEGRADATIONS = ((2.0, 0.5, 20, 40), (1.7, 0.5, 25, 50), (1.6, 0.5, 25, 50), (1.5, 0.4, 20, 40))


def payloads(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    iban = payment.validate_iban("BE71096123456769")
    found = []
    for n in range(count):
        kind = "ogm" if n % 3 else "rf"
        amount = Decimal(rng.randint(100, 5_000_000)) / 100
        found.append(
            payment.epc_payload(rng.choice(NAMES), iban, amount, reference=payment.reference_for(kind, str(n)))
        )
    return found


def picture(
    payload: str, mask: int | None, degradation: tuple[float, float, int, int], rng: random.Random
) -> Image.Image:
    code = segno.make(payload.encode(), mode="byte", error="M", boost_error=False, micro=False, mask=mask)
    out = io.BytesIO()
    code.save(out, kind="png", scale=10, border=4)
    image = Image.open(io.BytesIO(out.getvalue())).convert("L")
    per_module, blur, noise, light = degradation
    size = round(image.width / 10 * per_module)
    image = image.resize((size, size), Image.Resampling.BILINEAR)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    pixels = image.load()
    for y in range(size):
        for x in range(size):
            shade = light * x // size + rng.randint(-noise, noise)
            pixels[x, y] = max(0, min(255, pixels[x, y] - shade))
    return image.resize((size * 3, size * 3), Image.Resampling.NEAREST)


def read_zxing(image: Image.Image) -> str:
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return found[0].bytes.decode("utf-8", "replace") if found else ""


def read_zbar(paths: list[Path]) -> list[str]:
    texts = []
    for path in paths:
        done = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sbinary", str(path)], capture_output=True)
        texts.append(done.stdout.decode("utf-8", "replace").removesuffix("\n") if done.returncode == 0 else "")
    return texts


def measure(count: int) -> list[tuple[str, list[tuple[int, int]]]]:
    codes = payloads(count)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for mask in POLICIES:
            scores = []
            for level, degradation in enumerate(DEGRADATIONS):
                rng = random.Random(level)
                paths, zxing_ok = [], 0
                for n, payload in enumerate(codes):
                    image = picture(payload, mask, degradation, rng)
                    zxing_ok += read_zxing(image) == payload
                    path = Path(folder) / f"{n}.png"
                    image.save(path)
                    paths.append(path)
                zbar_ok = sum(text == payload for text, payload in zip(read_zbar(paths), codes))
                scores.append((zbar_ok, zxing_ok))
            rows.append(("segno's choice" if mask is None else f"mask {mask}", scores))
            print(rows[-1], flush=True)
    return rows


def table(rows: list[tuple[str, list[tuple[int, int]]]], count: int) -> str:
    head = " | ".join(f"{p:g} px/module, blur {b:g}, noise ±{n}, shade {s}" for p, b, n, s in DEGRADATIONS)
    lines = [
        f"{count} EPC codes per cell, read back exactly by zbar / zxing-cpp.",
        "",
        f"| mask | {head} |",
        "| --- |" + " ---: |" * len(DEGRADATIONS),
    ]
    for name, scores in rows:
        lines.append(f"| {name} | " + " | ".join(f"{zbar} / {zxing}" for zbar, zxing in scores) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=200)
    parser.add_argument("--results", type=Path)
    args = parser.parse_args(argv)
    text = table(measure(args.codes), args.codes)
    print("\n" + text)
    if args.results:
        args.results.write_text("# Fixed QR mask or the penalty rules' choice\n\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
