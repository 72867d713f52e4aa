"""Fixtures for end-to-end tests in real headless Chromium at tablet sizes."""

from __future__ import annotations

import pytest

from tests.e2e.browser import CHROMIUM_ARGS, TABLET_SIZES, chromium_path, live_server


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


DATA_DIRS: dict[str, object] = {}  # base URL -> its data folder, for tests that look at the server's database


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("e2e-data")
    env = {"REFERRAL_DATA_DIR": str(data), "REFERRAL_ENV": "development",
           "REFERRAL_ADMIN_PASSWORD": "e2e-admin-password-0001"}
    with live_server(env) as base:
        DATA_DIRS[base] = data
        yield base


@pytest.fixture(params=list(TABLET_SIZES), ids=list(TABLET_SIZES))
def tablet(request, browser):
    """A fresh browser context (no shared cookies or storage) at a tablet size."""
    context = browser.new_context(viewport=TABLET_SIZES[request.param], locale="en-US")
    page = context.new_page()
    page.size_name = request.param
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.csp_violations = violations
    yield page
    context.close()
