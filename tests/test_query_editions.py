"""Editions named in a question (ictqa.search.editions), table-driven.

Each row: the question, then the (year, use) pairs it must be read as.  Event
years must give nothing: a question about what happened in 2008 is answered
by the edition that reported it, not by the 2008 edition."""

from __future__ import annotations

import pytest

from ictqa.search.editions import detect_editions

R, B = "restrict", "boost"
LATEST, FIRST = "latest", "first"

CASES = [
    # Japanese: 版, era and Western years, full- and half-width
    ("平成20年版の白書によると、ブロードバンドの契約数は？", [(2008, R)]),
    ("平成２０年版ではテレワークをどう扱っているか", [(2008, R)]),
    ("令和元年版の情報通信白書によると5Gの開始時期は", [(2019, R)]),
    ("令和5年版で紹介されたDFFTの取組は", [(2023, R)]),
    ("2008年版の白書では携帯電話の契約数はいくつか", [(2008, R)]),
    ("２００８年版によると地上デジタル放送の普及率は", [(2008, R)]),
    ("平成12年の通信白書でインターネット利用者数は", [(2000, R)]),
    ("平成20年の白書でユビキタスはどう書かれているか", [(2008, R)]),
    ("2015年の情報通信白書でIoTはどう定義されているか", [(2015, R)]),
    ("情報通信白書（2010年）のクラウドの記述は", [(2010, R)]),
    ("平成 17 年版によれば、FTTHの契約数は", [(2005, R)]),
    # two editions
    ("平成17年版と令和2年版でブロードバンド契約数はどう変わったか", [(2005, R), (2020, R)]),
    ("2005年版と2020年版のテレワーク導入率を比べて", [(2005, R), (2020, R)]),
    ("令和4年版と令和5年版で信書便の売上高はどう変化したか", [(2022, R), (2023, R)]),
    # English
    ("According to the 2008 white paper, how many broadband subscribers were there?", [(2008, R)]),
    ("What does the 2008 edition say about telework?", [(2008, R)]),
    ("In the 2019 White Paper, when did 5G start?", [(2019, R)]),
    ("According to the 2000 Communications White Paper, how many cellphones were there?", [(2000, R)]),
    ("How did the 2010 and 2020 editions describe telework?", [(2010, R), (2020, R)]),
    ("Compare the 2005, 2010 and 2015 white papers on FTTH", [(2005, R), (2010, R), (2015, R)]),
    ("How did broadband change between the 2004 and 2014 white papers?", [(2004, R), (2014, R)]),
    ("What did the edition of 2012 say about smart cities?", [(2012, R)]),
    ("What did White Paper 2016 say about AI?", [(2016, R)]),
    ("Per the 2004 edition, how many countries signed the convention?", [(2004, R)]),
    ("the 2003 report on e-commerce", [(2003, R)]),
    # ambiguous: a year and a white paper, not attached
    ("In 2008, what did the white paper say about mobile phones?", [(2008, B)]),
    # latest and first
    ("最新版の白書では生成AIをどう扱っているか", [(None, LATEST)]),
    ("最新の情報通信白書によると", [(None, LATEST)]),
    ("What does the latest white paper say about generative AI?", [(None, LATEST)]),
    ("What does the most recent edition say about DX?", [(None, LATEST)]),
    ("「ブロックチェーン」が白書に初めて登場したのはいつか", [(None, FIRST)]),
    ("白書で民泊が初めて取り上げられたのはどの版か", [(None, FIRST)]),
    ("When did the white paper first mention the metaverse?", [(None, FIRST)]),
    ("In which edition does cloud computing first appear?", [(None, FIRST)]),
    ("Which edition was the first to mention the iPhone?", [(None, FIRST)]),
    # event years: nothing restricts
    ("2008年に開始されたワンセグ放送の加入者数は？", []),
    ("平成23年の東日本大震災で被災した基地局の数は", []),
    ("平成13年3月末の携帯電話の契約数は", []),
    ("2020年度のNHKの受信料収入は", []),
    ("2012年に開かれたロンドン五輪の異名は？", []),
    ("What law was passed in 2001 on electronic signatures?", []),
    ("How many satellite phones were lent after the March 2011 earthquake?", []),
    ("How much was spent on internet advertising in 2005?", []),
    ("What share of companies used cloud services in fiscal 2019?", []),
    ("日本に初めて電信機がもたらされたのはいつか", []),  # "first", but not the white paper's first mention
    ("Which country became the first outside Japan to adopt ISDB-T?", []),
    # an edition and an event year together: only the edition counts
    ("平成28年版の白書では、2020年の東京オリンピックに向けた目標は", [(2016, R)]),
    ("According to the 2017 white paper, what share owned a smartphone in 2016?", [(2017, R)]),
    ("令和元年版では、1988年に発足した実験プロジェクトは何と紹介されているか", [(2019, R)]),
    ("２０１３年版の情報通信白書では、2013年4月時点のオープンデータの数は", [(2013, R)]),
]


@pytest.mark.parametrize("question, expected", CASES, ids=[c[0][:30] for c in CASES])
def test_editions_named_in_questions(question, expected):
    got = [(m.year, FIRST if m.use == "first" else LATEST if m.latest else m.use) for m in detect_editions(question)]
    assert got == expected


def test_at_least_forty_phrasings_in_both_languages():
    ja = sum(1 for q, _ in CASES if any("\u3040" <= ch <= "\u9fff" for ch in q))
    assert len(CASES) >= 40 and ja >= 20 and len(CASES) - ja >= 15


def test_mentions_say_how_they_were_read():
    (m,) = detect_editions("平成20年版の白書によると")
    assert m.to_json() == {"year": 2008, "read_as": "平成20年版", "use": "restrict"}
