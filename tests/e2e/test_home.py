"""The start page in a real browser at both tablet sizes: readable, no horizontal scrolling, no CSP violation."""

from __future__ import annotations

from tests.e2e.browser import screenshot


def test_the_start_page_fits_a_tablet_and_breaks_no_policy(server, tablet):
    tablet.goto(server + "/")
    assert tablet.title() == "Border Referral Toolkit"
    assert tablet.locator("html").get_attribute("dir") == "ltr"
    overflow = tablet.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    target = tablet.locator("select#locale-menu").bounding_box()
    assert target["height"] >= 40
    screenshot(tablet, f"home-en-{tablet.size_name}")
    assert tablet.csp_violations == []
