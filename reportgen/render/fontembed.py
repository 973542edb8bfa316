"""The house fonts embedded in the HTML file, subset, so the file travels alone.

The page links its fonts as ../templates/fonts/<file> (that is what WeasyPrint reads). Sent
on its own, or opened from disk in a browser that refuses files from a parent folder
(Firefox), that page would fall back to other fonts. The HTML written to build/ therefore
carries each font as a WOFF2 data: URL holding the Latin, punctuation and symbol characters
reports use plus any other character of the page (about 17 KB a face, unhinted). The common
subsets ship beside the fonts (templates/fonts/web); others are made once and cached under
.reportgen-cache/fonts, named by the font's bytes, the characters kept and the options.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from collections.abc import Mapping
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


#: Subsets of each shipped font to COMMON, made ahead (python -m reportgen.render.fontembed),
#: kept beside the fonts under their cache key: most pages need nothing else.
SHIPPED = "web"


def subset_key(font_bytes: bytes, codepoints: list[int]) -> str:
    """The name a subset is stored under: the font's bytes, the characters, the options."""
    digest = hashlib.sha256(SUBSET_VERSION + font_bytes)
    digest.update(",".join(map(str, codepoints)).encode())
    return f"{digest.hexdigest()[:32]}.woff2"


def subset_woff2(font: Path, codepoints: list[int], cache: Path) -> bytes:
    """``font`` cut down to ``codepoints`` as WOFF2 bytes (same inputs, same bytes).

    Looked up first among the subsets shipped beside the font, then in ``cache``; made (and
    cached) only when neither has it.
    """
    data = font.read_bytes()
    name = subset_key(data, codepoints)
    for ready in (font.parent / SHIPPED / name, cache / name):
        if ready.is_file():
            return ready.read_bytes()
    woff2 = make_subset(data, codepoints)
    write_atomic(cache / name, woff2)
    return woff2


def make_subset(font_bytes: bytes, codepoints: list[int]) -> bytes:
    """fontTools' subsetter: unhinted WOFF2 holding ``codepoints`` (kerning kept)."""
    ttf = TTFont(io.BytesIO(font_bytes), recalcTimestamp=False)
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
    return out.getvalue()


def page_codepoints(page: str, font: Path) -> list[int]:
    """What a face must hold for ``page``: COMMON and the page's characters, as far as it can."""
    used = COMMON | {ord(ch) for ch in html.unescape(page)}
    return sorted(used & font_codepoints(font))


def embed_fonts(page: str, fonts: Path | Mapping[str, Path], cache: Path) -> str:
    """Replace each linked house font in ``page`` with a subset of it as a data: URL.

    ``fonts``: the fonts folder, or each font file by name (a project's overrides over the
    package's fonts, Project.template_folder): a package font then finds its shipped subsets.
    """

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        font = fonts / name if isinstance(fonts, Path) else fonts.get(name)
        if font is None or not font.is_file():
            return match.group(0)
        woff2 = subset_woff2(font, page_codepoints(page, font), cache)
        data = base64.b64encode(woff2).decode("ascii")
        return f'url(data:font/woff2;base64,{data}) format("woff2")'

    return FONT_URL.sub(swap, page)


def ship_common_subsets(fonts_dir: Path) -> list[Path]:
    """(Re)make the COMMON subset of every font under fonts_dir/web; remove stale ones."""
    shipped = fonts_dir / SHIPPED
    shipped.mkdir(exist_ok=True)
    keep = []
    for font in sorted(fonts_dir.iterdir()):
        if font.suffix not in (".ttf", ".otf"):
            continue
        data = font.read_bytes()
        codepoints = sorted(COMMON & font_codepoints(font))
        path = shipped / subset_key(data, codepoints)
        if not path.is_file():
            # A maintainer's tool: the one write outside build/, figures/ and the cache.
            write_atomic(path, make_subset(data, codepoints), root=fonts_dir, folders=(SHIPPED,))
        keep.append(path)
    for stale in shipped.glob("*.woff2"):
        if stale not in keep:
            stale.unlink()
    return keep


if __name__ == "__main__":
    fonts = Path(__file__).resolve().parents[1] / "templates" / "fonts"
    for made in ship_common_subsets(fonts):
        print(made.relative_to(fonts.parent.parent), made.stat().st_size, "bytes")
