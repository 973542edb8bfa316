"""Fonts embedded in the HTML file: WOFF2 subsets holding every character the page uses."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from fontTools.ttLib import TTFont

from reportgen.render.fontembed import (
    COMMON,
    SHIPPED,
    embed_fonts,
    make_subset,
    subset_key,
)
from reportgen.render.verify import font_codepoints

FONTS = Path(__file__).resolve().parents[2] / "reportgen" / "templates" / "fonts"
PAGE = (
    "<style>"
    '@font-face { font-family: "House Sans"; src: url("../templates/fonts/DejaVuSans.ttf"); }'
    '@font-face { font-family: "House CJK"; '
    'src: url("../templates/fonts/NotoSansSC-Regular-GB2312.otf"); }'
    '@font-face { font-family: "Gone"; src: url("../templates/fonts/Missing.ttf"); }'
    "</style><p>Price Rmb1,588 &#8594; 真武 ≈ ½</p>"
)


def fonts_in(page: str) -> list[TTFont]:
    blobs = [
        base64.b64decode(data)
        for data in re.findall(r"url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\)", page)
    ]
    assert all(blob.startswith(b"wOF2") for blob in blobs)  # WOFF2, as declared
    return [TTFont(io.BytesIO(blob)) for blob in blobs]


def test_linked_fonts_become_subsets_with_every_character_of_the_page(tmp_path: Path) -> None:
    out = embed_fonts(PAGE, FONTS, tmp_path / ".reportgen-cache" / "fonts")
    assert "../templates/fonts/DejaVuSans.ttf" not in out
    assert 'url("../templates/fonts/Missing.ttf")' in out  # not a shipped font: left alone
    sans, cjk = fonts_in(out)
    sans_map, cjk_map = sans.getBestCmap(), cjk.getBestCmap()
    for ch in "PriceRmb1,588→≈½":
        assert ord(ch) in sans_map, ch
    for ch in "真武":
        assert ord(ch) in cjk_map and ord(ch) not in sans_map, ch
    assert len(sans_map) < 1000  # a subset, not the 6,000-glyph face
    assert {c for c in COMMON if c < 0x7F} <= set(sans_map)


def test_same_page_same_bytes_and_the_cache_is_used(tmp_path: Path) -> None:
    cache = tmp_path / ".reportgen-cache" / "fonts"
    first = embed_fonts(PAGE, FONTS, cache)
    made = sorted(cache.iterdir())
    assert len(made) == 1  # only the CJK face needs more than its shipped subset
    for path in made:  # a cached subset is what the next build embeds
        path.write_bytes(path.read_bytes())
    assert embed_fonts(PAGE, FONTS, cache) == first
    other = tmp_path / "other" / ".reportgen-cache"
    assert embed_fonts(PAGE, FONTS, other) == first  # no cache, same bytes


def test_shipped_common_subsets_are_current() -> None:
    """templates/fonts/web holds each font's COMMON subset under its key, and nothing else."""
    shipped = FONTS / SHIPPED
    wanted = {}
    for font in sorted(FONTS.iterdir()):
        if font.suffix in (".ttf", ".otf"):
            codepoints = sorted(COMMON & font_codepoints(font))
            wanted[subset_key(font.read_bytes(), codepoints)] = (font, codepoints)
    have = {p.name for p in shipped.glob("*.woff2")}
    assert have == set(wanted), "run: python -m reportgen.render.fontembed"
    for name, (font, codepoints) in wanted.items():
        assert (shipped / name).read_bytes() == make_subset(font.read_bytes(), codepoints)


def test_a_page_of_common_characters_uses_the_shipped_subsets(tmp_path: Path) -> None:
    page = PAGE.replace("真武 ≈ ½", "plain text")
    out = embed_fonts(page, FONTS, tmp_path / ".reportgen-cache" / "fonts")
    assert not (tmp_path / ".reportgen-cache" / "fonts").exists()  # nothing had to be made
    assert len(fonts_in(out)) == 2
