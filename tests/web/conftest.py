"""Fixtures for the web tests: the app on a free port of 127.0.0.1 (started and stopped here), headless
Chromium driven by selenium (the tests skip, saying why, where it cannot start), a screenshot folder."""

from __future__ import annotations

import os
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from udfi.web.app import WebConfig, create_app

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample"


@pytest.fixture(scope="session")
def web_temp_root(tmp_path_factory) -> Path:
    """Where the app makes its per-request private folders (so a test can see they are gone)."""
    return tmp_path_factory.mktemp("web-private")


@pytest.fixture(scope="session")
def app(web_temp_root):
    return create_app(WebConfig(temp_root=web_temp_root))


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def sample_zip(tmp_path_factory) -> Path:
    """fixtures/sample zipped as a user would: the folder itself inside the archive."""
    path = tmp_path_factory.mktemp("uploads") / "sample.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for csv in sorted(SAMPLE.glob("*.csv")):
            archive.write(csv, f"sample/{csv.name}")
    return path


@pytest.fixture(scope="session")
def live_server(app):
    """The app served by werkzeug on a free port of 127.0.0.1 in a thread; stopped after the session."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="udfi-test-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _chromium() -> tuple[str | None, str | None]:
    browser = next((path for name in ("chromium", "chromium-browser", "google-chrome")
                    if (path := shutil.which(name))), None)
    return browser, shutil.which("chromedriver")


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's chromium + chromium-driver, never a downloaded build)."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = _chromium()
    if not binary or not driver_path:
        pytest.skip("headless Chromium is not installed (scripts/system-deps.sh installs chromium and "
                    "chromium-driver); the browser tests need it")
    options = Options()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--disable-extensions", "--no-first-run"):
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    except WebDriverException as exc:
        first = (exc.msg or str(exc)).strip().splitlines()[0]
        pytest.skip(f"Chromium could not start here ({first}); the browser tests need it")
    driver.set_page_load_timeout(90)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Screenshots of each page: $UDFI_SCREENSHOT_DIR when set (to look at them), else a tmp folder."""
    wanted = os.environ.get("UDFI_SCREENSHOT_DIR")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        return Path(wanted)
    return tmp_path_factory.mktemp("screenshots")


def full_page_screenshot(driver, path: Path) -> Path:
    height = driver.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
    driver.set_window_size(1280, max(800, min(int(height) + 40, 7000)))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1000)
    assert path.stat().st_size > 10_000, f"{path} looks empty"
    return path
