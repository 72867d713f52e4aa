"""G2's byte budget in real Chromium, once and without throttling: the sign-in page and the first question page
from a cold cache, then three answers as an official taps them. Bytes and hosts are deterministic, so they are
asserted; the timings are not (bench/web_vitals_bench.py measures them, throttled, for docs/benchmarks.md)."""

from __future__ import annotations

from bench.web_vitals_bench import GOALS, measure

KB = 1024


def test_a_screening_keeps_to_the_byte_budget_and_asks_no_other_host(browser, server):
    walk = measure(browser, server, throttle=False, questions=3)

    assert walk.errors == []
    assert walk.third_party == []
    assert [page.label for page in walk.pages] == ["sign-in page", "question 1", "question 2", "question 3",
                                                   "question 4"]
    for first in (walk.first, walk.first_question):  # cold cache: the stylesheet comes over the wire
        assert first.received_of("Stylesheet") > 0
        assert first.received <= GOALS["first_kb"] * KB
        assert first.received_of("Script") <= GOALS["js_kb"] * KB
    for page in walk.later:  # the stylesheet comes from the cache; only the redirect and the page are sent
        assert page.received_of("Stylesheet") == 0
        assert 0 < page.received <= GOALS["later_kb"] * KB
    # the observers work under the app's CSP (no inline script): every page reported its largest paint
    assert all(page.lcp is not None for page in walk.pages)
