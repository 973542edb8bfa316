"""The house fonts embedded in the HTML file, subset, so the file travels alone.

The page links its fonts as ../templates/fonts/<file> (that is what WeasyPrint reads). Sent
on its own, or opened from disk in a browser that refuses files from a parent folder
(Firefox), that page would fall back to other fonts. The HTML written to build/ therefore
carries each font as a WOFF2 data: URL holding the Latin, punctuation and symbol characters
reports use plus any other character of the page (about 17 KB a face, unhinted). Subsets are
cached under .reportgen-cache/fonts by the font's bytes and the characters kept: with the
common set fixed, reports share subsets, so mostly only the first build on a machine pays.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from reportgen.outputs import write_atomic
from reportgen.render.verify import font_codepoints

#: Characters every subset keeps: Latin (with Latin-1 and Extended-A), general punctuation,
#: currency, and the few symbols reports print (arrows, minus, comparisons, shapes, stars).
COMMON = frozenset(
    c
    for low, high in (
        (0x20, 0x7E),
        (0xA0, 0x17F),
        (0x2010, 0x205E),
        (0x20A0, 0x20BF),
        (0x2122, 0x2122),
        (0x2190, 0x2199),
        (0x2212, 0x2212),
        (0x2248, 0x2248),
        (0x2260, 0x2260),
        (0x2264, 0x2265),
        (0x25A0, 0x25CF),
        (0x2605, 0x2606),
    )
    for c in range(low, high + 1)
)
#: Part of every cache key: change it when the subsetting options change.
SUBSET_VERSION = b"woff2, unhinted, v1\n"
FONT_URL = re.compile(r'url\("\.\./templates/fonts/([A-Za-z0-9._-]+\.(?:ttf|otf))"\)')


def subset_woff2(font: Path, codepoints: list[int], cache: Path) -> bytes:
    """``font`` cut down to ``codepoints`` as WOFF2 bytes (same inputs, same bytes)."""
    data = font.read_bytes()
    digest = hashlib.sha256(SUBSET_VERSION + data)
    digest.update(",".join(map(str, codepoints)).encode())
    cached = cache / f"{digest.hexdigest()[:32]}.woff2"
    if cached.is_file():
        return cached.read_bytes()
    ttf = TTFont(io.BytesIO(data), recalcTimestamp=False)
    options = subset.Options()
    options.flavor = "woff2"
    options.ignore_missing_unicodes = True
    options.hinting = False  # half the size; browsers rasterise well without it
    options.drop_tables += ["FFTM"]  # FontForge's timestamps: nothing to keep
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(ttf)
    ttf.flavor = "woff2"  # the subsetter's options do not set the output format of save()
    out = io.BytesIO()
    ttf.save(out)
    woff2 = out.getvalue()
    write_atomic(cached, woff2)
    return woff2


def embed_fonts(page: str, fonts_dir: Path, cache: Path) -> str:
    """Replace each linked house font in ``page`` with a subset of it as a data: URL."""
    used = COMMON | {ord(ch) for ch in html.unescape(page)}

    def swap(match: re.Match[str]) -> str:
        font = fonts_dir / match.group(1)
        if not font.is_file():
            return match.group(0)
        keep = sorted(used & font_codepoints(font))
        data = base64.b64encode(subset_woff2(font, keep, cache)).decode("ascii")
        return f'url(data:font/woff2;base64,{data}) format("woff2")'

    return FONT_URL.sub(swap, page)
