"""The console in a real headless Chromium (Debian's package, driven by Selenium) against
`ocop-sync serve`, the sandboxes and a real state. Screenshots go to docs/images/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from sync.settings import Settings
from sync.state.store import StateStore
from tests.console.conftest import FAILING, OPERATOR, VIEWER, console_catalog, status_json

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """Headless Chromium at 1280×900 (the system's browser and driver: nothing downloaded)."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(arg)
    options.add_argument("--disable-dev-shm-usage")
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: WebDriver, name: str) -> None:
    """Save the whole page as docs/images/console-NAME.png."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, max(900, min(int(height) + 40, 3000)))
    driver.save_screenshot(str(IMAGES / f"console-{name}.png"))
    driver.set_window_size(1280, 900)


def log_in(driver: WebDriver, url: str, who: tuple[str, str]) -> None:
    """Fill and send the login form."""
    driver.get(url + "/login")
    driver.find_element(By.ID, "name").send_keys(who[0])
    driver.find_element(By.ID, "password").send_keys(who[1])
    driver.find_element(By.ID, "login").click()
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "who"))


def post_form(driver: WebDriver, action: str, fields: dict[str, str]) -> None:
    """Submit a form built in the page (what a forged or hand-made request would send)."""
    driver.execute_script(
        """
        const form = document.createElement('form');
        form.method = 'post'; form.action = arguments[0];
        for (const [k, v] of Object.entries(arguments[1])) {
            const input = document.createElement('input');
            input.type = 'hidden'; input.name = k; input.value = v; form.appendChild(input);
        }
        document.body.appendChild(form); form.submit();
        """,
        action,
        fields,
    )
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def cells(driver: WebDriver, row_selector: str) -> dict[str, str]:
    """data-status / data-col cells of one table row, by their key."""
    row = driver.find_element(By.CSS_SELECTOR, row_selector)
    return {
        (c.get_attribute("data-status") or c.get_attribute("data-col") or ""): c.text
        for c in row.find_elements(By.CSS_SELECTOR, "td[data-status], td[data-col]")
    }


def runs_count(settings: Settings) -> int:
    store = StateStore(settings.state_url)
    try:
        with store.engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM runs").scalar_one())
    finally:
        store.close()


def failing_account(settings: Settings) -> str:
    return next(a.name for a in settings.accounts if a.marketplace == FAILING)


def test_viewer_and_anonymous_cannot_resync_and_csrf_is_required(
    browser: WebDriver, console_url: str, settings_of: Settings, synced_config: Path
) -> None:
    account = failing_account(settings_of)
    before = runs_count(settings_of)

    # Anonymous: pages send to the login page; a POST with a valid visitor CSRF token is
    # still refused, because only the operator role may resync.
    with httpx.Client(base_url=console_url) as anonymous:
        assert anonymous.get("/failures").status_code == 303
        form = anonymous.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf is not None
        refused = anonymous.post(
            "/failures/resync", data={"csrf": csrf.group(1), "account": account, "group": "x"}
        )
        assert refused.status_code == 403
        assert "role" in refused.text or "Vai trò" in refused.text

    browser.get(console_url + "/")
    assert "/login" in browser.current_url
    shot(browser, "login")

    log_in(browser, console_url, VIEWER)
    browser.get(console_url + "/failures")
    assert browser.find_elements(By.CSS_SELECTOR, "tr[data-group]")
    assert not browser.find_elements(By.CSS_SELECTOR, "button.resync")  # no button offered
    group = browser.find_element(By.CSS_SELECTOR, "tr[data-group]").get_attribute("data-group")
    token = browser.find_element(By.NAME, "csrf").get_attribute("value")
    assert group is not None and token is not None
    post_form(browser, "/failures/resync", {"csrf": token, "account": account, "group": group})
    assert "Vai trò của bạn không được làm việc này." in browser.find_element(By.ID, "error").text

    # The operator without the CSRF token: refused before anything else is looked at.
    browser.delete_all_cookies()
    log_in(browser, console_url, OPERATOR)
    post_form(browser, "/failures/resync", {"account": account, "group": group})
    assert "CSRF" in browser.find_element(By.ID, "error").text
    shot(browser, "csrf-refused")
    assert runs_count(settings_of) == before  # nothing was started by any of these


def test_operator_sees_the_state_resyncs_a_failure_group_and_coverage_matches(
    browser: WebDriver, console_url: str, settings_of: Settings, synced_config: Path
) -> None:
    account = failing_account(settings_of)
    status = status_json(synced_config)
    eligible = sum(
        len(p.variants) for p in console_catalog().products if p.listability(date.today()).ok
    )
    log_in(browser, console_url, OPERATOR)

    # Overview: the counts are those of `ocop-sync status --json`.
    browser.get(console_url + "/")
    for name, row in status.items():
        shown = cells(browser, f'tr[data-account="{name}"]')
        for key in ("listed", "pending", "failed", "delisted", "skipped"):
            assert shown[key] == str(row[key]), (name, key)
    assert status[account]["failed"] == eligible
    shot(browser, "overview")

    # Failures: one group for the failing account, resynced from the page.
    browser.get(console_url + "/failures")
    groups = browser.find_elements(By.CSS_SELECTOR, "tr[data-group]")
    assert len(groups) == 1 and account in groups[0].text and str(eligible) in groups[0].text
    shot(browser, "failures")
    groups[0].find_element(By.TAG_NAME, "a").click()
    boxes = WebDriverWait(browser, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#listings input[name=sku]")
    )
    assert len(boxes) == eligible
    shot(browser, "failure-group")
    browser.back()
    browser.find_element(By.CSS_SELECTOR, "tr[data-group] button.resync").click()
    # A click does not wait for the page the form posts to: wait for it to be there.
    notice = WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.ID, "notice"))
    assert notice[0].text == "Đã bắt đầu đồng bộ lại"

    def all_listed(driver: WebDriver) -> bool:
        driver.get(console_url + "/")
        shown = cells(driver, f'tr[data-account="{account}"]')
        listed = status[account]["listed"] + eligible
        return shown["failed"] == "0" and shown["listed"] == str(listed)

    WebDriverWait(browser, 120, poll_frequency=0.5).until(all_listed)
    assert status_json(synced_config)[account]["listed"] == status[account]["listed"] + eligible
    browser.get(console_url + "/failures")
    assert browser.find_element(By.ID, "nothing")

    # The resync was a run like any other: in the list, with its detail page.
    browser.get(console_url + "/runs")
    shot(browser, "runs")
    browser.find_element(By.CSS_SELECTOR, "#runs tr:nth-child(2) a").click()
    run = WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.ID, "run"))
    assert "resync" in run[0].text
    shot(browser, "run")

    # A listing: its audit trail carries the HTTP status of every push.
    sku = "BK-E1-100G"
    browser.get(f"{console_url}/listings/{account}/{sku}")
    statuses = [
        row.find_elements(By.TAG_NAME, "td")[4].text
        for row in browser.find_elements(By.CSS_SELECTOR, "#history tr")[1:]
    ]
    assert statuses[0] == "500" and statuses[-1].isdigit() and int(statuses[-1]) < 300
    shot(browser, "listing")

    # Coverage: equal to `ocop-sync status --json` and to the catalog.
    status = status_json(synced_config)
    browser.get(console_url + "/coverage")
    for name, row in status.items():
        shown = cells(browser, f'tr[data-account="{name}"]')
        assert shown["eligible"] == str(eligible)
        assert shown["listed_all"] == str(row["listed"])
        assert shown["listed"] == str(row["listed"])  # everything listed is eligible here
    shot(browser, "coverage")

    browser.get(console_url + "/certificates")
    expiring = browser.find_element(By.ID, "expiring-30").text
    assert "BK-SOON" in expiring and account in expiring
    shot(browser, "certificates")

    # English on request.
    browser.get(console_url + "/lang/en?next=/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Overview"
    shot(browser, "overview-en")

    # The console's /metrics counted the resync's pushes (its own process pushed them).
    text = httpx.get(console_url + "/metrics").text
    pushed = {
        (s.labels["account"], s.labels["kind"], s.labels["outcome"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "ocop_sync_pushes_total"
    }
    assert sum(v for (a, _k, o), v in pushed.items() if a == account and o == "ok") == eligible
    listings = {
        (s.labels["account"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "ocop_sync_listings"
    }
    assert listings[(account, "listed")] == status[account]["listed"]
