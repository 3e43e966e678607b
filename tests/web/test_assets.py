"""The front-end files are ours to serve: built from npm at the locked versions,
committed with their licences, nothing fetched from anywhere else."""

import json
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
STATIC = ROOT / "kameng" / "static" / "kameng"
VENDOR = STATIC / "vendor"


def _locked(package: str) -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    return lock["packages"][f"node_modules/{package}"]["version"]


def test_the_built_files_are_committed_with_their_licences():
    for name, licences in {
        "htmx.min.js": ["htmx.LICENSE.txt"],
        "echarts.min.js": ["echarts.LICENSE.txt", "echarts.NOTICE.txt", "zrender.LICENSE.txt"],
    }.items():
        assert (VENDOR / name).stat().st_size > 10_000
        for licence in licences:
            assert (VENDOR / licence).read_text().strip()


def test_the_vendor_readme_names_the_locked_versions():
    package = json.loads((ROOT / "package.json").read_text())
    assert package["private"] is True
    assert "scripts" not in package
    assert package["dependencies"]["htmx.org"].startswith("^2.")
    assert _locked("htmx.org").startswith("2.")
    readme = (VENDOR / "README.md").read_text()
    for file, name in (("htmx.min.js", "htmx.org"), ("echarts.min.js", "echarts")):
        assert re.search(
            rf"\| {re.escape(file)} \| {re.escape(name)} \| {_locked(name)} \|", readme
        )
    assert f'version:"{_locked("htmx.org")}"' in (VENDOR / "htmx.min.js").read_text()


def test_our_stylesheet_loads_nothing_from_elsewhere():
    css = (STATIC / "kameng.css").read_text()
    assert "@import" not in css and "@font-face" not in css
    # data: URIs only (their SVG names its namespace, which is not a request)
    for url in re.findall(r"url\(([^)]*)\)", css):
        assert url.strip("\"'").startswith("data:"), url


def test_pages_load_only_our_own_files(client, style_page):
    page = client.get(style_page).content.decode()
    sources = re.findall(r'<(?:script|link|img)\b[^>]*?(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(
        src.startswith(
            settings.STATIC_URL
            if settings.STATIC_URL.startswith("/")
            else "/" + settings.STATIC_URL
        )
        for src in sources
    ), sources
