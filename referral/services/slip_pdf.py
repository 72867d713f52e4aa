"""HTML to PDF for referral slips: WeasyPrint, locked down (SECURITY.md P-23) and kept warm (PERFORMANCE.md G3).

- WeasyPrint is imported once per process, on the first slip (importing it costs about 0.4 s), and one
  ``FontConfiguration`` with the pre-parsed slip stylesheet is reused for every slip (the fonts are read once).
- The user-agent stylesheet is the package's own ``static/css/pdf-ua.css``, the part of WeasyPrint's HTML5 sheet
  that our PDF templates use: matching every element against the whole HTML5 sheet cost about a tenth of a slip.
- The ``url_fetcher`` serves only files of this package (``referral/static``: the stylesheet's fonts) and
  ``data:`` URIs (the QR code). Anything else is logged (scheme, host and path; never the query, which may carry
  data) and stops the rendering: templates escape every value, so a request for anything else means something
  got through that should not have.
- A rendering has a time limit, on whatever thread it runs (``time_limit``).
"""

from __future__ import annotations

import base64
import ctypes
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname

PACKAGE_FILES = Path(__file__).resolve().parent.parent / "static"
STYLESHEET = PACKAGE_FILES / "css" / "slip.css"
USER_AGENT_STYLESHEET = PACKAGE_FILES / "css" / "pdf-ua.css"
_SERVED = {".ttf": "font/ttf", ".otf": "font/otf", ".css": "text/css", ".svg": "image/svg+xml",
           ".png": "image/png"}
_DATA_TYPES = ("image/png",)  # the QR code; nothing else on a slip is a data: URI

log = logging.getLogger(__name__)


class RenderFailed(RuntimeError):
    """The slip could not be rendered; ``reason`` is one of timeout, blocked_fetch, error (no personal data)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the slip could not be rendered ({reason})")


class _Alarm(BaseException):
    """Raised by the time limit; a BaseException so that no ``except Exception`` inside WeasyPrint swallows it."""


def _describe(url: str) -> str:
    """What the log may say about a URL: scheme, host and path, without query or fragment."""
    parts = urlsplit(url)
    if parts.scheme == "data":
        return "data:" + parts.path.split(",", 1)[0][:40]
    return f"{parts.scheme}://{parts.netloc}{parts.path}"[:200]


def _make_fetcher_class():  # noqa: ANN202 - built after weasyprint is imported
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class BlockedFetch(FatalURLFetchingError):
        """A resource outside the allowlist was asked for: the rendering stops."""

    class LockedFetcher(URLFetcher):
        """Serves package files and data: URIs; refuses (logs and raises) everything else."""

        blocked = FatalURLFetchingError  # ours, or WeasyPrint's own wrapping of one

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, fail_on_errors=True)

        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            scheme = url.split(":", 1)[0].lower()
            try:
                if scheme == "data":
                    return self._data(url)
                if scheme == "file":
                    return self._package_file(url)
            except (ValueError, OSError):
                pass
            log.warning("slip renderer refused to fetch %s", _describe(url))
            raise BlockedFetch("refused")

        @staticmethod
        def _data(url: str) -> URLFetcherResponse:
            header, _, payload = url[5:].partition(",")
            media = header.split(";")[0].strip().lower() or "text/plain"
            if media not in _DATA_TYPES:
                raise ValueError("media type")
            body = base64.b64decode(payload, validate=False) if header.endswith(";base64") \
                else unquote_to_bytes(payload)
            return URLFetcherResponse(url, body, {"Content-Type": media})

        @staticmethod
        def _package_file(url: str) -> URLFetcherResponse:
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
                raise ValueError("not a local file")
            path = Path(url2pathname(parts.path)).resolve()
            if not path.is_relative_to(PACKAGE_FILES) or path.suffix not in _SERVED or not path.is_file():
                raise ValueError("not a package file")
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": _SERVED[path.suffix]})

    return LockedFetcher


def _make_html_class(weasyprint, user_agent):  # noqa: ANN001, ANN202 - built after weasyprint is imported
    class PackageHTML(weasyprint.HTML):
        """An HTML document styled by the package's user-agent sheet instead of WeasyPrint's HTML5 one."""

        def _ua_stylesheets(self, forms: bool = False) -> list:  # noqa: ARG002 - our PDFs have no forms
            return [user_agent]

    return PackageHTML


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Abort the block after ``seconds`` by raising _Alarm in the thread that runs it.

    A timer thread asks the interpreter to raise the exception in this thread (``PyThreadState_SetAsyncExc``),
    which works on any thread, so a gunicorn gthread worker gets the limit too (SIGALRM would only reach the main
    thread). The exception arrives at the next Python bytecode of the rendering, exactly like a signal handler's
    would. A lock makes sure that it is raised inside the block or not at all.
    """
    if not seconds:
        yield
        return
    target = threading.get_ident()
    guard = threading.Lock()
    state = {"done": False, "fired": False}

    def fire() -> None:
        with guard:
            if not state["done"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(_Alarm))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with guard:
            state["done"] = True
            if state["fired"]:  # raised already, or still pending: clear it so that it cannot escape the block
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
        timer.cancel()
        if state["fired"]:
            raise _Alarm()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a slip is laid out (G3 p95).

    A slip makes a few hundred thousand objects that live until its PDF is written. With the collector on, its
    young-generation passes keep promoting them to the oldest generation, so that a full collection, which walks
    every object of the worker, falls inside a slip every few slips (tens of ms, up to 170 ms). Paused, they die
    by reference counting when the slip is done; the few cycles left are collected after it, cheaply. Renders
    are serialised by the renderer's lock, so the pause never overlaps another slip's.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        _release_memory()


def _libc_malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None


_malloc_trim = _libc_malloc_trim()


def _release_memory() -> None:
    """Collect the slip's cyclic garbage now and hand the freed heap back to the system (G4 memory).

    Without the trim, glibc keeps the pages a slip freed inside the heap, and a worker's RSS creeps up slip after
    slip even though the objects are gone; the trim takes about half a millisecond.
    """
    gc.collect(1)
    if _malloc_trim is not None:
        _malloc_trim(0)


class Renderer:
    """One per process: WeasyPrint, its font configuration and the parsed slip stylesheet, behind a lock."""

    def __init__(self) -> None:
        started = time.perf_counter()
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        self.fetcher = _make_fetcher_class()()
        self.fonts = FontConfiguration()
        self.stylesheet = weasyprint.CSS(filename=str(STYLESHEET), font_config=self.fonts, url_fetcher=self.fetcher)
        user_agent = weasyprint.CSS(filename=str(USER_AGENT_STYLESHEET), url_fetcher=self.fetcher)
        self.html_class = _make_html_class(weasyprint, user_agent)  # weasyprint.HTML: WeasyPrint's own sheet
        self._lock = threading.Lock()
        self.started_in = time.perf_counter() - started

    def pdf(self, html: str, finisher: Callable | None = None, seconds: float | None = None) -> bytes:
        """The PDF of ``html``; RenderFailed on a blocked fetch, the time limit, or any other failure."""
        with self._lock, _collector_paused():
            try:
                with time_limit(seconds):
                    document = self.html_class(string=html, base_url=PACKAGE_FILES.as_uri() + "/",
                                               url_fetcher=self.fetcher, encoding="utf-8")
                    return document.write_pdf(stylesheets=[self.stylesheet], font_config=self.fonts,
                                              finisher=finisher)
            except _Alarm:
                raise RenderFailed("timeout") from None
            except self.fetcher.blocked:
                raise RenderFailed("blocked_fetch") from None
            except Exception as exc:  # noqa: BLE001 - the caller keeps the case and marks the slip pending
                log.error("slip rendering failed: %s", type(exc).__name__)
                raise RenderFailed("error") from None


def uses_harfbuzz_subsetter() -> bool:
    """Whether WeasyPrint will subset fonts with HarfBuzz (libharfbuzz-subset0) rather than fontTools."""
    from weasyprint.pdf import fonts
    from weasyprint.text.ffi import harfbuzz

    return fonts.harfbuzz_subset is not None and bool(harfbuzz.hb_version_atleast(4, 1, 0))
