"""The emulator's dashboard in real headless Chromium (Debian's `chromium`
and `chromium-driver`, driven by Selenium): after traffic through two
gateways the page lists both, the charts draw non-empty series, filtering
logs by provider and by status works, the detail view shows the request
body, and a new request appears without a reload; and the HTML report of
`aigw test examples/quickstart` shows every scenario with its verdict.
Screenshots go to $AIGW_ARTIFACTS (default target/artifacts)."""
import os
import pathlib
import shutil
import subprocess
import uuid

import httpx
import openai
import pytest

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
REQUIRED = os.environ.get("AIGW_REQUIRE_BROWSER") == "1"
if not (CHROMIUM and DRIVER):
    if REQUIRED:
        raise RuntimeError("AIGW_REQUIRE_BROWSER=1 but chromium or chromedriver is missing (apt-get install chromium chromium-driver)")
    pytest.skip("needs chromium and chromium-driver", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

ARTIFACTS = pathlib.Path(os.environ.get("AIGW_ARTIFACTS", ROOT / "target" / "artifacts"))


@pytest.fixture
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1800"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


def shot(driver, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"dashboard-{name}.png"))


def wait(driver, check, what, timeout=10):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: check(d))
    except Exception:
        shot(driver, "failure")
        raise AssertionError(f"the dashboard never showed {what}")


def traffic(emulator):
    a = emulator.gateway(rate_limiting_limit=3, rate_limiting_interval=3600)
    b = emulator.gateway()
    oa = openai.OpenAI(base_url=emulator.url(a, "openai"), api_key="sk-test", max_retries=0)
    for i in range(2):
        oa.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"dashboard prompt {i}"}])
    r = httpx.post(f"{emulator.url(a, 'anthropic')}/v1/messages", headers={"x-api-key": "k"},
                   json={"model": "claude-haiku-4-5", "max_tokens": 20, "messages": [{"role": "user", "content": "hello claude"}]})
    assert r.status_code == 200, r.text
    r = httpx.post(f"{emulator.url(a, 'openai')}/chat/completions", headers={"authorization": "Bearer k"},
                   json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "over the limit"}]})
    assert r.status_code == 429
    ob = openai.OpenAI(base_url=emulator.url(b, "workers-ai") + "/v1", api_key="x", max_retries=0)
    ob.chat.completions.create(model="@cf/meta/llama-3.1-8b-instruct", messages=[{"role": "user", "content": "b"}])
    return a, b


def rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#log-table tbody tr")


def test_dashboard_shows_gateways_charts_logs_and_live_updates(emulator, browser):
    a, b = traffic(emulator)
    browser.get(emulator.base + "/")
    listed = lambda d: {li.get_attribute("data-gateway") for li in d.find_elements(By.CSS_SELECTOR, "#gateways li")}
    wait(browser, lambda d: {a, b} <= listed(d), "both gateways")
    browser.find_element(By.CSS_SELECTOR, f'#gateways li[data-gateway="{a}"]').click()
    wait(browser, lambda d: len(rows(d)) == 4, "gateway a's four logs")

    # Charts: every metric has a series per provider with points.
    paths = browser.find_elements(By.CSS_SELECTOR, '#charts svg[data-metric="requests"] path')
    assert {p.get_attribute("data-provider") for p in paths} == {"openai", "anthropic"}
    assert all(int(p.get_attribute("data-points")) >= 1 and p.get_attribute("d").startswith("M") for p in paths)
    assert browser.find_elements(By.CSS_SELECTOR, '#charts svg[data-metric="requests"] circle')
    assert len(browser.find_elements(By.CSS_SELECTOR, "#charts svg[data-metric]")) == 7
    models = {(r.get_attribute("data-provider"), r.get_attribute("data-model"))
              for r in browser.find_elements(By.CSS_SELECTOR, "#by-model tbody tr")}
    assert {("openai", "gpt-4o-mini"), ("anthropic", "claude-haiku-4-5")} <= models, models
    shot(browser, "gateway")

    # Filters: by provider, then by status.
    Select(browser.find_element(By.ID, "filter-provider")).select_by_visible_text("anthropic")
    wait(browser, lambda d: [r.get_attribute("data-provider") for r in rows(d)] == ["anthropic"], "only anthropic")
    Select(browser.find_element(By.ID, "filter-provider")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-status")).select_by_value("429")
    wait(browser, lambda d: [r.get_attribute("data-status") for r in rows(d)] == ["429"], "only the 429")
    Select(browser.find_element(By.ID, "filter-status")).select_by_value("")
    wait(browser, lambda d: len(rows(d)) == 4, "all four logs again")

    # Detail: the request body.
    target = next(r for r in rows(browser) if r.get_attribute("data-provider") == "anthropic")
    target.click()
    wait(browser, lambda d: "hello claude" in d.find_element(By.ID, "detail-request").text, "the request body")
    shot(browser, "detail")

    # Live: a new request shows up with no reload.
    marker = f"live-{uuid.uuid4().hex[:8]}"
    browser.execute_script("window.__same_page = true")
    httpx.post(f"{emulator.url(b, 'workers-ai')}/v1/chat/completions", headers={"authorization": "Bearer x"},
               json={"model": "@cf/meta/llama-3.1-8b-instruct", "messages": [{"role": "user", "content": marker}]})
    browser.find_element(By.CSS_SELECTOR, f'#gateways li[data-gateway="{b}"]').click()
    wait(browser, lambda d: len(rows(d)) == 2, "gateway b's new log")
    httpx.post(f"{emulator.url(b, 'workers-ai')}/v1/chat/completions", headers={"authorization": "Bearer x"},
               json={"model": "@cf/meta/llama-3.1-8b-instruct", "messages": [{"role": "user", "content": marker + "-2"}]})
    wait(browser, lambda d: len(rows(d)) == 3, "a log that arrived while the page was open")
    assert browser.execute_script("return window.__same_page") is True, "the page was reloaded"
    shot(browser, "live")


def test_the_html_report_of_aigw_test_shows_every_scenario(browser, tmp_path):
    from conftest import _binary
    report = tmp_path / "report.html"
    run = subprocess.run([_binary(), "test", str(ROOT / "examples" / "quickstart"), "-report", str(report)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    browser.get(report.as_uri())
    scenarios = browser.find_elements(By.CSS_SELECTOR, "details.scenario")
    results = {s.get_attribute("data-scenario"): s.get_attribute("data-result") for s in scenarios}
    assert results == {name: "pass" for name in
                       ("cache_hit", "skip_cache", "fallback_on_outage", "metadata_in_logs", "rate_limit")}, results
    assert browser.find_element(By.ID, "summary").text == "5 passed, 0 failed"
    scenarios[0].click()
    assert "request.first.status" in scenarios[0].text or "request." in scenarios[0].text
    shot(browser, "report")
