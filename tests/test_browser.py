"""The web form end to end in a real headless Chromium (Selenium): a Japanese
and an English question with the real model, a batch upload and its JSON Lines
download, and corpus markup that must reach the page as text, never as
elements.  Saves screenshots under the test's tmp dir; ICTQA_SCREENSHOT=path
also writes the Japanese answer there (docs/screenshot.png was made so, then
quantised to 64 colours with Pillow to keep it small)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
if not (os.access(CHROMEDRIVER, os.X_OK) and CHROMIUM):
    pytest.skip(
        "chromium/chromedriver not installed (Debian: apt-get install chromium chromium-driver; `make test` does it as root)",
        allow_module_level=True,
    )

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from ictqa import web as ui

WAIT = 120  # seconds; the first query loads torch kernels, CI machines are slow
EVIL_LINE = "<script>alert(1)</script>を含む文。"
EVIL_IMG = "<img src=x onerror=alert(1)>も含む。"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(index: Path):
    port = free_port()
    demo = ui.launch(index, port=port, prevent_thread_lock=True, quiet=True)
    return demo, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def real_app(real_index):
    demo, url = serve(real_index)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def evil_app(tmp_path_factory):
    from ictqa.index import build_index
    from ictqa.model import FakeEncoder

    corpus = tmp_path_factory.mktemp("evil-corpus")
    (corpus / "evil.txt").write_text(f"第1節 テスト\n\n1\t概要\n{EVIL_LINE}\n{EVIL_IMG}\n", encoding="utf-8")
    index = tmp_path_factory.mktemp("evil-index")
    build_index([corpus], index, FakeEncoder(), progress=False)
    demo, url = serve(index)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(tmp_path_factory, downloads):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,1000",
        "--lang=ja",
    ):
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}")
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False})
    # Leave any alert() open so the XSS test can see it instead of Selenium
    # dismissing it silently.
    opts.set_capability("unhandledPromptBehavior", "ignore")
    d = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    yield d
    d.quit()


def ask(driver, url: str, question: str) -> None:
    """Type the question and press Enter (the keyboard path), wait for cards."""
    driver.get(url)
    box = WebDriverWait(driver, WAIT).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#ictqa-question input, #ictqa-question textarea")
    )
    box.send_keys(question, Keys.ENTER)
    WebDriverWait(driver, WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#ictqa-results .ictqa-card, #ictqa-results .ictqa-banner")
    )


def first_card(driver) -> tuple[str, str]:
    card = driver.find_element(By.CSS_SELECTOR, "#ictqa-results .ictqa-card")
    return card.find_element(By.CSS_SELECTOR, ".ictqa-label").text, card.find_element(By.CSS_SELECTOR, "mark.ictqa-hl").text


def shoot(driver, path: Path) -> None:
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(path))


def test_japanese_question(driver, real_app, tmp_path):
    ask(driver, real_app, "デジタル海外展開プラットフォームとは")
    label, highlighted = first_card(driver)
    assert "第5章第8節 2(1) 総務省における海外展開支援ツール" in label
    assert "「デジタル海外展開プラットフォーム」を設立した" in highlighted
    shoot(driver, tmp_path / "ja.png")
    if os.environ.get("ICTQA_SCREENSHOT"):
        shoot(driver, Path(os.environ["ICTQA_SCREENSHOT"]))


def test_english_question(driver, real_app, tmp_path):
    ask(driver, real_app, "What is DFFT?")
    label, highlighted = first_card(driver)
    assert "3(1) 信頼性のある自由なデータ流通（DFFT）" in label
    assert highlighted.startswith("DFFT（Data Free Flow with Trust")
    # The copy button puts the label on the clipboard (or, where the browser
    # refuses, selects it for Ctrl+C).
    button = driver.find_element(By.CSS_SELECTOR, "#ictqa-results .ictqa-copy")
    button.click()
    WebDriverWait(driver, 10).until(
        lambda d: button.text == "✓" or d.execute_script("return window.getSelection().toString()") == label
    )
    shoot(driver, tmp_path / "en.png")


def test_english_question_shows_the_japanese_terms_it_searched(driver, real_app):
    ask(driver, real_app, "Which leader announced the Indian Ocean submarine cable plan?")
    terms = driver.find_element(By.CSS_SELECTOR, "#ictqa-results .ictqa-terms").text
    assert "submarine cable → 海底ケーブル" in terms and "indian ocean → インド洋" in terms
    _, highlighted = first_card(driver)
    assert "インドのモディ首相" in highlighted


def test_batch_upload_and_download(driver, real_app, downloads, tmp_path):
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        '{"id": "q1", "question": "What is DFFT?"}\nnot json\n{"id": "q2", "question": "ICANNとは何ですか"}\n', encoding="utf-8"
    )
    driver.get(real_app)
    tab = WebDriverWait(driver, WAIT).until(
        lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, "button[role=tab]") if "Batch" in b.text), None)
    )
    tab.click()
    WebDriverWait(driver, WAIT).until(lambda d: d.find_element(By.CSS_SELECTOR, "#ictqa-upload input[type=file]"))
    driver.find_element(By.CSS_SELECTOR, "#ictqa-upload input[type=file]").send_keys(str(questions))
    # The upload has finished when the component lists the file.
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, '#ictqa-upload [aria-label="questions.jsonl"]'))
    driver.find_element(By.ID, "ictqa-run").click()
    link = WebDriverWait(driver, WAIT).until(lambda d: d.find_element(By.CSS_SELECTOR, "#ictqa-dl-jsonl a[download]"))
    status = driver.find_element(By.ID, "ictqa-batch-status").text
    assert "2 問に回答" in status and "line 2: not valid JSON" in status
    link.click()
    target = downloads / "answers.jsonl"
    deadline = time.monotonic() + 30
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["q1", "q2"]
    assert "3(1) 信頼性のある自由なデータ流通（DFFT）" in rows[0]["results"][0]["citation"]["label"]
    assert "5(10) ICANN" in rows[1]["results"][0]["citation"]["label"]


def test_corpus_markup_is_shown_as_text(driver, evil_app):
    ask(driver, evil_app, "テストの概要")
    results = driver.find_element(By.ID, "ictqa-results")
    assert EVIL_LINE in results.text and EVIL_IMG in results.text
    assert driver.find_elements(By.CSS_SELECTOR, "#ictqa-results script, #ictqa-results img") == []
    time.sleep(1)  # an onerror handler would have fired by now
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018
