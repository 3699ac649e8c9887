"""The chat app in a real headless browser (Debian's chromium driven by playwright).

The real default model answers; the page uploads a document, asks with compare on, waits for
both streamed answers, and saves a screenshot to test-output/app_answer.png (repo root). A
document and a question carrying HTML/JS must show as text and never run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from app.engine import AppEngine
from app.main import AppSettings, launch
from gmsa_rag.model import GMSAModel

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")

SCREENSHOT = Path(__file__).resolve().parent.parent / "test-output" / "app_answer.png"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=2</script>"
DOCUMENT = (
    "The Zorblax festival takes place every June in the town of Quenby. "
    "It was founded in 1871 by Martha Quill, a baker. "
    f"Visitors sometimes paste markup such as {XSS_IMG} and {XSS_SCRIPT} into the guest book."
)


def find_chromium() -> str | None:
    """The system chromium (GMSA_RAG_CHROMIUM overrides); playwright's own download is never used."""
    candidates = [os.environ.get("GMSA_RAG_CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"),
                  "/usr/bin/chromium", "/usr/lib/chromium/chromium"]
    return next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip("no chromium executable found (scripts/setup.sh installs Debian's `chromium` with the dev extra; "
                    "or set GMSA_RAG_CHROMIUM)")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from app_server import free_port

    model = GMSAModel.from_pretrained("default").eval()
    root = tmp_path_factory.mktemp("app_indexes")
    engine = AppEngine.open(model, root=root, seed_sample=False, max_new_tokens=24, progress=False)
    demo = launch(engine, AppSettings(port=free_port(), root=root), block=False)
    yield demo
    demo.close()


def test_upload_ask_and_screenshot_in_a_real_browser(server, chromium, tmp_path):
    document = tmp_path / "zorblax.txt"
    document.write_text(DOCUMENT)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.goto(server.local_url)
            page.wait_for_selector("#question textarea", timeout=60_000)

            page.set_input_files("#upload input[type=file]", str(document))
            page.wait_for_selector("#upload >> text=zorblax.txt", timeout=30_000)
            page.click("#add")
            page.wait_for_selector("#upload-status >> text=added: zorblax.txt", timeout=120_000)
            playwright_api.expect(page.locator("#documents")).to_contain_text("zorblax.txt", timeout=30_000)

            page.check("#compare input[type=checkbox]")
            page.fill("#question textarea", f"When was the Zorblax festival founded? {XSS_IMG} {XSS_SCRIPT}")
            page.click("#ask")
            page.wait_for_selector("#gmsa-chat >> text=TTFT", timeout=120_000)
            page.wait_for_selector("#full-chat >> text=TTFT", timeout=120_000)

            gmsa_text = page.inner_text("#gmsa-chat")
            full_text = page.inner_text("#full-chat")
            assert "When was the Zorblax festival founded?" in gmsa_text
            assert XSS_IMG in gmsa_text and XSS_SCRIPT in gmsa_text  # the question, shown as text
            assert "1 source: zorblax.txt #0" in gmsa_text
            assert "soft tokens for" in gmsa_text and "cache 1 hit" in gmsa_text and "total" in gmsa_text
            assert "full text" in full_text and "TTFT" in full_text

            page.click("#gmsa-chat >> text=source: zorblax.txt")  # open the sources accordion
            page.wait_for_selector("#gmsa-chat >> text=Martha Quill", timeout=10_000)
            snippet = page.inner_text("#gmsa-chat")
            assert XSS_IMG in snippet and XSS_SCRIPT in snippet  # the document's markup, shown as text
            for root in ("#gmsa-chat", "#full-chat"):
                assert page.locator(f"{root} img[src=x]").count() == 0
                assert page.locator(f"{root} .message script").count() == 0
            assert page.evaluate("typeof window.__xss") == "undefined"
            page.wait_for_selector("#latency-plot >> text=#1 full text", timeout=10_000)
            bars = page.locator("#latency-plot .mark-rect path")  # vega's SVG: one path per bar
            playwright_api.expect(bars).to_have_count(2, timeout=10_000)  # GMSA and full text
            page.locator("#gmsa-chat >> text=TTFT").scroll_into_view_if_needed()

            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            print(f"\nscreenshot: {SCREENSHOT}")
            assert SCREENSHOT.stat().st_size > 20_000
        finally:
            browser.close()
