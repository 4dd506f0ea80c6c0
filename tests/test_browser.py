"""The web form end to end in a real headless Chromium (Selenium): Japanese
and English questions with the real model (the answer span in bold, the
English reading aid), a figure card that expands, the 400 px layout, a
shared ?q= link, the Copy menu, a batch upload with its preview and its JSON
Lines download, and corpus markup that must reach the page as text, never
as elements.  Saves screenshots under the test's tmp dir; ICTQA_SCREENSHOTS=dir
also writes the README's (docs/screenshot*.png were made so, then quantised
to 64 colours with Pillow to keep them small)."""

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


def set_width(driver, width: int) -> None:
    # Headless Chromium keeps windows at least ~500 px wide; emulate the
    # viewport instead (0 = back to the window's own size).
    if width:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {"width": width, "height": 1400, "deviceScaleFactor": 1, "mobile": False}
        )
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


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


def shoot(driver, path: Path, name: str | None = None, at: str | None = None) -> None:
    """Screenshot from the top of the page, or with the element ``at`` (a CSS
    selector) scrolled to the middle."""
    if at:
        driver.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", at)
    else:
        driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(path))
    if name and os.environ.get("ICTQA_SCREENSHOTS"):
        driver.save_screenshot(str(Path(os.environ["ICTQA_SCREENSHOTS"]) / name))


README_FIRST = "デジタル海外展開プラットフォームの会員数は？"


def answer_span(driver) -> str:
    card = driver.find_element(By.CSS_SELECTOR, "#ictqa-results .ictqa-card")
    return card.find_element(By.CSS_SELECTOR, "mark.ictqa-hl strong.ictqa-answer").text


def test_the_readme_first_example_marks_the_answer(driver, real_app, tmp_path):
    # Issue #16: the highlight was the 設立した sentence; the answer is in
    # the next one, and it is marked exactly.
    set_width(driver, 1400)
    ask(driver, real_app, README_FIRST)
    label, highlighted = first_card(driver)
    assert "第5章第8節 2(1) 総務省における海外展開支援ツール" in label
    assert "100を超える会員" in highlighted and answer_span(driver) == "100を超える会員"
    shoot(driver, tmp_path / "ja.png", "screenshot.png")


def test_japanese_question(driver, real_app, tmp_path):
    ask(driver, real_app, "デジタル海外展開プラットフォームとは")
    label, highlighted = first_card(driver)
    assert "第5章第8節 2(1) 総務省における海外展開支援ツール" in label
    assert "「デジタル海外展開プラットフォーム」を設立した" in highlighted


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


def test_english_question_shows_the_japanese_terms_it_searched(driver, real_app, tmp_path):
    set_width(driver, 1400)
    ask(driver, real_app, "Which leader announced the Indian Ocean submarine cable plan?")
    terms = driver.find_element(By.CSS_SELECTOR, "#ictqa-results .ictqa-terms").text
    assert "submarine cable → 海底ケーブル" in terms and "indian ocean → インド洋" in terms
    _, highlighted = first_card(driver)
    assert "インドのモディ首相" in highlighted and answer_span(driver) == "インドのモディ首相"
    # The reading aid: the Japanese words of the terms are marked in the
    # passage, with their English on hover and in the card's legend.
    card = driver.find_element(By.CSS_SELECTOR, "#ictqa-results .ictqa-card")
    marked = {(m.text, m.get_attribute("title")) for m in card.find_elements(By.CSS_SELECTOR, ".ictqa-passage mark.ictqa-term")}
    assert ("海底ケーブル", "submarine cable") in marked and ("インド洋", "indian ocean") in marked
    legend = card.find_element(By.CSS_SELECTOR, ".ictqa-legend").text
    assert "海底ケーブル = submarine cable" in legend
    shoot(driver, tmp_path / "en.png", "screenshot-en.png")


def test_a_figure_is_a_compact_card_that_expands(driver, real_app, tmp_path):
    set_width(driver, 1400)
    ask(driver, real_app, "G7/G20における情報通信・デジタルの議論の経緯")
    card = next(
        c for c in driver.find_elements(By.CSS_SELECTOR, "#ictqa-results .ictqa-card") if c.get_attribute("data-kind") == "figure"
    )
    assert card.find_element(By.CSS_SELECTOR, ".ictqa-figcap").text.startswith("図表5-8-5-1 G7/G20")
    preview = card.find_element(By.CSS_SELECTOR, ".ictqa-figpreview")
    assert " / " in preview.text and preview.size["height"] < 200  # a few lines, not 22
    every = card.find_element(By.CSS_SELECTOR, ".ictqa-figlines")
    assert not every.is_displayed()
    card.find_element(By.CSS_SELECTOR, ".ictqa-figall summary").click()
    WebDriverWait(driver, 10).until(lambda d: every.is_displayed())
    assert every.text.count("\n") >= 10  # one fragment a line once expanded
    card.find_element(By.CSS_SELECTOR, ".ictqa-figall summary").click()
    shoot(driver, tmp_path / "figure.png", "screenshot-figure.png")


def test_at_400_px_the_question_box_takes_the_width(driver, real_app, tmp_path):
    set_width(driver, 400)
    try:
        ask(driver, real_app, README_FIRST)
        page = driver.execute_script("return document.documentElement.clientWidth")
        box = driver.find_element(By.ID, "ictqa-question").size["width"]
        assert box >= 0.8 * page, (box, page)
        label = driver.find_element(By.CSS_SELECTOR, "#ictqa-question [data-testid=block-info]").size["height"]
        assert label < 40  # one line, not three
        assert answer_span(driver) == "100を超える会員"
        shoot(driver, tmp_path / "narrow.png", "screenshot-400.png")
        ask(driver, real_app, "Which leader announced the Indian Ocean submarine cable plan?")
        shoot(driver, tmp_path / "narrow-en.png", "screenshot-en-400.png", at="#ictqa-results mark.ictqa-hl")
    finally:
        set_width(driver, 0)


def test_a_shared_link_opens_with_the_answer(driver, real_app):
    from urllib.parse import quote

    driver.get(real_app + "?q=" + quote(README_FIRST) + "&edition=" + quote("令和5年版 情報通信白書"))
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#ictqa-results strong.ictqa-answer"))
    assert answer_span(driver) == "100を超える会員"
    box = driver.find_element(By.CSS_SELECTOR, "#ictqa-question input, #ictqa-question textarea")
    assert box.get_attribute("value") == README_FIRST
    assert "令和5年版 情報通信白書" in driver.find_element(By.ID, "ictqa-editions").text


def test_the_link_button_gives_the_address_of_the_question(driver, real_app):
    ask(driver, real_app, "What is DFFT?")
    driver.find_element(By.ID, "ictqa-link").click()
    WebDriverWait(driver, 10).until(lambda d: "?q=" in d.current_url)
    assert "q=What+is+DFFT%3F" in driver.current_url or "q=What%20is%20DFFT%3F" in driver.current_url


def test_the_copy_menu_offers_the_citation_formats(driver, real_app):
    ask(driver, real_app, "What is DFFT?")
    card = driver.find_element(By.CSS_SELECTOR, "#ictqa-results .ictqa-card")
    card.find_element(By.CSS_SELECTOR, ".ictqa-copymenu summary").click()
    japanese = card.find_element(By.CSS_SELECTOR, '.ictqa-copy[data-format="japanese"]')
    assert japanese.get_attribute("data-text").startswith("総務省『令和5年版 情報通信白書』第5章第8節 3(1)")
    shown = card.find_element(By.CSS_SELECTOR, '.ictqa-fmt-row:has([data-format="japanese"]) .ictqa-fmt').text
    japanese.click()
    WebDriverWait(driver, 10).until(
        lambda d: japanese.text.startswith("✓") or d.execute_script("return window.getSelection().toString()") == shown
    )


def test_an_unknown_edition_through_the_api_logs_one_line(real_app, caplog, capfd):
    import logging

    from gradio_client import Client

    client = Client(real_app, verbose=False, analytics_enabled=False)
    capfd.readouterr()
    with caplog.at_level(logging.INFO, logger="ictqa.web.app"):
        _, answer = client.predict("DFFTとは", 3, ["令和9年版 情報通信白書"], [], api_name="/ask")
    assert "no passages of edition 令和9年版 情報通信白書" in answer["error"]
    assert len([r for r in caplog.records if "令和9年版" in r.getMessage()]) == 1
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


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
    # The answers are previewed before the download.
    rows = driver.find_elements(By.CSS_SELECTOR, "#ictqa-batch-status table.ictqa-preview tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows] == ["q1", "q2"]
    assert "3(1) 信頼性のある自由なデータ流通（DFFT）" in rows[0].text
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


# -- issue #15: several editions ---------------------------------------------------


@pytest.fixture(scope="module")
def editions_app(tmp_path_factory):
    """The hand-made three-edition corpus of test_archive_search (fake encoder)."""
    from ictqa.index import build_index
    from ictqa.model import FakeEncoder
    from test_archive_search import EDITIONS

    corpus = tmp_path_factory.mktemp("three-editions-web")
    for name, lines in EDITIONS.items():
        (corpus / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    index = tmp_path_factory.mktemp("three-editions-index")
    build_index([corpus], index, FakeEncoder(), progress=False)
    demo, url = serve(index)
    yield url
    demo.close()


def test_timeline_tab_draws_a_chart_whose_bars_open_their_edition(driver, editions_app, tmp_path):
    set_width(driver, 0)
    driver.get(editions_app)
    tab = WebDriverWait(driver, WAIT).until(
        lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, "button[role=tab]") if "Timeline" in b.text), None)
    )
    tab.click()
    box = WebDriverWait(driver, WAIT).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#ictqa-tl-query input, #ictqa-tl-query textarea")
    )
    box.send_keys("量子暗号", Keys.ENTER)
    bars = WebDriverWait(driver, WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#ictqa-tl-results svg rect.ictqa-tl-bar")
    )
    assert len(bars) == 3
    heights = [float(b.get_attribute("height")) for b in bars]
    assert heights[0] == 0 and heights[1] > 0 and heights[2] > 0  # 2019 does not mention it
    row = driver.find_element(By.CSS_SELECTOR, "#ictqa-tl-2021")
    assert row.get_attribute("open") is None  # the first mention (2020) opens; 2021 is closed
    driver.find_element(By.CSS_SELECTOR, '#ictqa-tl-results a[data-year="2021"]').click()
    WebDriverWait(driver, WAIT).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#ictqa-tl-2021").get_attribute("open") is not None
    )
    card = driver.find_element(By.CSS_SELECTOR, "#ictqa-tl-2021 .ictqa-card")
    assert "令和3年版" in card.text and "量子暗号" in card.text
    shoot(driver, tmp_path / "timeline.png", "timeline.png", at="#ictqa-tl-results")


def test_a_named_edition_is_said_and_all_editions_are_one_click_away(driver, editions_app):
    set_width(driver, 0)
    ask(driver, editions_app, "令和元年版によると、プラットフォームの会員数は？")
    page = driver.find_element(By.CSS_SELECTOR, "#ictqa-results").text
    assert "2019年版に絞り込み" in page and "50を超える会員" in page
    driver.find_element(By.CSS_SELECTOR, "#ictqa-results a.ictqa-all-link").click()
    WebDriverWait(driver, WAIT).until(lambda d: "all=1" in d.current_url)
    WebDriverWait(driver, WAIT).until(lambda d: "100を超える会員" in d.find_element(By.CSS_SELECTOR, "#ictqa-results").text)
    # The newest edition's passage leads, and says where else it is printed.
    also = driver.find_element(By.CSS_SELECTOR, "#ictqa-results .ictqa-card .ictqa-also")
    assert "2019" in also.text and "2020" in also.text
    also.find_element(By.LINK_TEXT, "2019").click()
    WebDriverWait(driver, WAIT).until(lambda d: "edition=2019" in d.current_url)
    WebDriverWait(driver, WAIT).until(lambda d: "50を超える会員" in d.find_element(By.CSS_SELECTOR, "#ictqa-results").text)
