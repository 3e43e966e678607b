"""`{% qr_svg text %}`: a QR code made here, as inline SVG, that does not print its text."""

import re
import xml.etree.ElementTree as ET

import segno
from django.template import Context, Template

PAY_URL = "https://pay.example.com/submit.php?out_trade_no=K2612071230004521&sign=0f3a9c"


def _render(text: str) -> str:
    return Template("{% load kameng %}{% qr_svg text %}").render(Context({"text": text}))


def _drawn_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules the SVG path draws: segno writes rows as `h<n>` runs at y + 0.5,
    moving with relative `m<dx> <dy>`."""
    path = re.search(r'<path stroke="[^"]+" d="([^"]+)"', svg).group(1)
    x = y = 0.0
    dark = set()
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            run = int(a)
            dark.update((int(x) + i, int(y - 0.5)) for i in range(run))
            x += run
    return dark


def test_qr_svg_is_an_inline_svg_that_hides_its_text():
    svg = _render(PAY_URL)
    assert svg.startswith('<svg role="img" viewBox=')
    assert 'class="qr"' in svg
    assert "<title>二维码</title>" in svg
    ET.fromstring(svg)  # well-formed
    assert PAY_URL not in svg
    assert "pay.example.com" not in svg
    assert "K2612071230004521" not in svg
    assert "http" not in svg  # no external reference of any kind


def test_qr_svg_draws_the_symbol_of_its_text():
    svg = _render(PAY_URL)
    symbol = segno.make(PAY_URL, error="m", micro=False)
    border = 4
    expected = {
        (col + border, row + border)
        for row, line in enumerate(symbol.matrix)
        for col, module in enumerate(line)
        if module
    }
    assert _drawn_modules(svg) == expected
    size = symbol.symbol_size(scale=1, border=border)[0]
    assert f'viewBox="0 0 {size} {size}"' in svg
