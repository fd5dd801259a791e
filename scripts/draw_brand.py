"""Draw the integration's brand images (custom_components/balance/brand/) with Pillow.

A balance beam over a lightning bolt on a transparent background: icon.png (256 x 256),
icon@2x.png (512 x 512), logo.png (the icon and the word BALANCE, 128 px high) and
logo@2x.png. Run ``python scripts/draw_brand.py`` after changing the drawing.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parents[1] / "custom_components" / "balance" / "brand"
TEAL = (0, 122, 110, 255)
AMBER = (255, 176, 0, 255)
WHITE = (255, 255, 255, 255)
SCALE = 4  # draw large, then downsample for smooth edges


def emblem(size: int) -> Image.Image:
    """The square emblem: a teal disc, a white balance beam and an amber bolt."""
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    u = big / 64  # design grid: 64 x 64 units
    draw.ellipse((2 * u, 2 * u, 62 * u, 62 * u), fill=TEAL)
    # beam and post
    draw.rounded_rectangle((12 * u, 19 * u, 52 * u, 23 * u), radius=2 * u, fill=WHITE)
    draw.rounded_rectangle((30 * u, 14 * u, 34 * u, 48 * u), radius=2 * u, fill=WHITE)
    draw.rounded_rectangle((22 * u, 46 * u, 42 * u, 50 * u), radius=2 * u, fill=WHITE)
    # two pans hanging from the beam
    for centre in (17, 47):
        draw.line((centre * u, 23 * u, (centre - 5) * u, 34 * u), fill=WHITE, width=int(1.6 * u))
        draw.line((centre * u, 23 * u, (centre + 5) * u, 34 * u), fill=WHITE, width=int(1.6 * u))
        draw.pieslice(((centre - 7) * u, 28 * u, (centre + 7) * u, 40 * u), 0, 180, fill=WHITE)
    # the bolt across the post
    bolt = [(36, 25), (27, 37), (32, 37), (28, 46), (38, 33), (33, 33), (37, 25)]
    draw.polygon([(x * u, y * u) for x, y in bolt], fill=AMBER)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def logo(height: int) -> Image.Image:
    """The emblem and the word BALANCE beside it."""
    font = ImageFont.load_default(size=int(height * 0.56))
    text = "BALANCE"
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font)
    gap = height // 6
    image = Image.new("RGBA", (height + gap + right - left + gap, height), (0, 0, 0, 0))
    image.alpha_composite(emblem(height))
    draw = ImageDraw.Draw(image)
    draw.text(
        (height + gap - left, (height - (bottom - top)) // 2 - top), text, font=font, fill=TEAL
    )
    return image


def main() -> None:
    """Write the four images."""
    OUT.mkdir(parents=True, exist_ok=True)
    emblem(256).save(OUT / "icon.png", optimize=True)
    emblem(512).save(OUT / "icon@2x.png", optimize=True)
    logo(128).save(OUT / "logo.png", optimize=True)
    logo(256).save(OUT / "logo@2x.png", optimize=True)


if __name__ == "__main__":
    main()
