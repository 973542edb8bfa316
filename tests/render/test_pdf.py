"""Chart text in the PDF: real text, drawn only with the fonts the report ships and embeds."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pikepdf

from reportgen.render.verify import pdf_text

ROOT = Path(__file__).resolve().parents[2]

# Runs in a child process: fontconfig reads FONTCONFIG_FILE once, when Pango starts.
SCRIPT = textwrap.dedent(
    """
    import datetime as dt, sys
    from pathlib import Path
    from reportgen.figures.save import svg_bytes
    from reportgen.figures.style import house_style, new_figure
    from reportgen.render.pdf import html_to_pdf
    from reportgen.render.templates import svg_data_uri

    fonts = Path(sys.argv[1])
    with house_style():
        fig, ax = new_figure(3.0, 1.5)
        ax.bar(["Alpha", "Beta"], [1.0, 2.0])
        ax.set_title("Chart title 真武", fontweight="bold")
    css = (fonts.parent / "css" / "fonts.css.j2").read_text().replace("{{ fonts_url }}", str(fonts))
    html = (
        f"<html><head><style>{css} html {{ font-family: 'House Sans' }}</style></head>"
        f"<body><p>Body text</p><img src='{svg_data_uri(svg_bytes(fig))}'></body></html>"
    )
    pdf = html_to_pdf(html, base_dir=fonts, allowed_roots=[fonts], shown="t.pdf",
                      date=dt.date(2026, 5, 1))
    sys.stdout.buffer.write(pdf)
    """
)


def test_chart_text_needs_no_system_font(tmp_path: Path) -> None:
    """With an empty fontconfig (no system fonts at all) chart text still prints, as text."""
    config = tmp_path / "fonts.conf"
    config.write_text(
        f'<?xml version="1.0"?><fontconfig><cachedir>{tmp_path}/cache</cachedir></fontconfig>'
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "reportgen" / "templates" / "fonts")],
        env=env,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    text = pdf_text(done.stdout)
    for label in ("Body text", "Chart title", "真武", "Alpha", "Beta", "2.0"):
        assert label in text, (label, text)
    with pikepdf.open(io.BytesIO(done.stdout)) as pdf:
        fonts = {
            str(font.get("/BaseFont")).split("+")[-1]
            for page in pdf.pages
            for font in page.obj.Resources.get("/Font", {}).values()
        }
    assert fonts == {"House-Sans", "House-Sans-Bold", "House-CJK"}, fonts
