"""Fixtures shared by every test folder: a real headless browser for pages a person looks at.

The browser is Debian's chromium (`scripts/setup.sh --with-browser` installs it), driven by
playwright without its own browser download. Without chromium the browser tests are skipped on
a developer's machine and fail under CI=true, so a missing install step cannot hide.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# No sandbox as root; no background traffic (this machine has no network but the package registries).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class BrowserPage:
    """A playwright page plus every console error and page error it reported."""

    page: object
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def chromium_browser():
    if not os.path.exists(CHROMIUM):
        message = f"chromium not found at {CHROMIUM}: run scripts/setup.sh --with-browser (as root, with apt-get)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium_browser) -> Iterator[BrowserPage]:
    """A fresh page (1280x900) that records console errors and uncaught exceptions."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    result = BrowserPage(page)
    page.on("console", lambda message: result.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: result.console_errors.append(f"page error: {error}"))
    try:
        yield result
    finally:
        context.close()
