"""The exact answer inside a passage: which sentence (or figure line) answers
the question, and the shortest span of it that does (pure functions).

Why: a sentence is often 100–150 characters, and the answer a reader needs
to quote is a name, a number or a date inside it (「100を超える会員」 in the
sentence about the platform's members).  The sentence vectors alone pick the
sentence about the topic, which is often the one before the answer (issue
#16); the question says more than its topic:

* its **type** (:func:`asks`): 何人/いくつ/how many → a number with a unit,
  いつ/when → a date, 誰/who → a person, どこ/where → a place, 何/which → a
  name, and the noun the answer is an instance of (会合 in 何という会合,
  "leader" in "which leader"): its **focus**;
* its **words**, the Japanese words of its English terms, and the forms the
  text writes its dates in (2023 → 令和5年, "February" → 2月): its **cues**.

:func:`locate` scores each sentence by its cosine to the question, the share
of cues it holds and how well its best candidate span fits the type, takes
the best sentence and, in it, the best candidate: a noun phrase (with its
「」 quote or （） acronym), a number with its unit and counted noun, or a
date with its range.  The weights are :class:`AnswerWeights`, chosen on the
dev set (bench/dev_eval.py reports both highlight figures).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..glossary import Term, question_words
from ..lexical import Tagged, normalize, tag

AnswerType = Literal["quantity", "date", "person", "place", "name"]

# -- what a question asks --------------------------------------------------------


@dataclass(frozen=True)
class Asks:
    """What a question asks for: worked out once per question (in
    :func:`ictqa.search.query.analyse`) and read by :func:`locate`.

    ``types`` in the order the question asks them (a question may ask for a
    name and a date); empty for a definition ("DFFTとは", "What is DFFT?")
    or a question without a question word, whose answer is a whole sentence.
    ``focus``: the nouns the answer is an instance of, as the question writes
    them (Japanese words, or lower-case English words to be matched through
    the translated terms).  ``units``: counters a number answer should carry
    (人, か国).  ``cues``: strings the text may write for what the question
    says (令和5年 for 2023, 2月 for February, 2022年度 for fiscal 2022)."""

    types: tuple[AnswerType, ...] = ()
    focus: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    ordinal: bool = False  # 第何回 / which round: the number is an ordinal
    # The question's words next to its question word (承認 in 承認された
    # 計画文書は何, "announced" in "which leader announced"): the answer
    # stands next to them in the text.
    anchors: tuple[str, ...] = ()
    acronym: bool = False  # 略称 / acronym: the answer is a Latin abbreviation
    until: bool = False  # いつまで / until when / by when: a date with まで

    @property
    def type(self) -> AnswerType | None:
        return self.types[0] if self.types else None


_COUNTRY = ("か国", "カ国", "ヵ国", "ヶ国", "箇国", "国")
_MONEY = ("円", "ドル", "ユーロ", "億", "万")

# Japanese question words, by the type they ask for.  何年間 is a length of
# time (a number), 何年 a date; 第何回 an ordinal.
_JA_TYPES: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    (
        "quantity",
        re.compile(
            r"第何|何(?:人|名|件|か国|カ国|ヵ国|ヶ国|箇国|社|回|倍|割|%|個|台|つ|種類|分野|テーマ|機関|か所|カ所|年間|億|万|円|ドル)"
            r"|いくつ|いくら|どのくらい|どれくらい|どれほど|どれだけ|どの程度"
            r"|(?:数|額|総額|金額|規模|割合|比率)(?:は|を|が|と|に|について)"
        ),
    ),
    ("date", re.compile(r"いつ|何年(?!間)|何月|何日|日付|日程|時期|年月日")),
    ("person", re.compile(r"誰|だれ|どなた|何者|人物|氏名")),
    ("place", re.compile(r"どこ|どの(?:国|都市|地域|場所)|どちら")),
    ("name", re.compile(r"何|なに|どの|どんな|どのよう|どういう|名前|名称|略称|呼ば|教えて|挙げ")),
)
_JA_UNITS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"何(?:人|名)"), ("人", "名")),
    (re.compile(r"何件"), ("件",)),
    (re.compile(r"何(?:か国|カ国|ヵ国|ヶ国|箇国)"), _COUNTRY),
    (re.compile(r"何社"), ("社",)),
    (re.compile(r"何回|第何"), ("回",)),
    (re.compile(r"何倍"), ("倍",)),
    (re.compile(r"何割|何%"), ("割", "%", "％")),
    (re.compile(r"いくら|額"), _MONEY),
    (re.compile(r"何年間"), ("年",)),
)
# A definition question ("DFFTとは", "DFFTとは何ですか") asks for a sentence.
_JA_DEFINITION = re.compile(
    r"^.{1,40}?(?:とは|って)(?:何|なに|どういう(?:もの|こと)?|どのような(?:もの|こと)?)?(?:ですか|か)?[？?]?$"
)

_EN_TYPES: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    (
        "quantity",
        re.compile(
            r"\bhow (?:many|much|large|big|long|often|high|far)\b|\bwhat (?:percentage|share|proportion|amount|number|total|sum)\b"
            r"|\bwhich (?:round|session)\b|\bwhat (?:round|session)\b"
        ),
    ),
    (
        "date",
        re.compile(
            r"\bwhen\b|\b(?:what|which) (?:year|years|date|dates|month|day|period|time)\b|\bsince when\b|\buntil when\b"
            r"|\bon what dates?\b"
        ),
    ),
    (
        "person",
        re.compile(
            r"(?:^|\band |, )who(?:m)?\b|\bwhich (?:[a-z]+ )?(?:leader|minister|person|people|official|president|chair|chairman|head|"
            r"secretary|director|ambassador)\b"
        ),
    ),
    (
        "place",
        re.compile(
            r"\bwhere\b|\bwhich (?:two |three |four |[a-z]+ )?(?:country|countries|city|cities|region|regions|nation|nations|"
            r"place|places)\b"
        ),
    ),
    ("name", re.compile(r"\bwhat\b|\bwhich\b|\bname\b")),
)
_EN_ORDINAL = re.compile(r"\bwhich (?:[a-z]+ )?(?:round|session)\b|\bwhat (?:round|session)\b|\bwhich edition\b")
_EN_DEFINITION = re.compile(r"^(?:what|who) (?:is|are|was|were) (?:the |an? )?[\w\-.' ]{1,40}\??$")
_EN_UNITS: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = (
    (frozenset({"country", "countries", "nation", "nations"}), _COUNTRY),
    (
        frozenset({"people", "persons", "trainees", "participants", "students", "officials", "experts", "staff", "attendees"}),
        ("人", "名"),
    ),
    (frozenset({"cases", "projects", "decisions", "investments", "approvals", "applications"}), ("件",)),
    (frozenset({"times", "rounds", "sessions", "meetings"}), ("回",)),
    (frozenset({"companies", "firms", "operators", "businesses"}), ("社",)),
    (frozenset({"yen"}), ("円",)),
    (frozenset({"dollars", "usd"}), ("ドル",)),
    (frozenset({"percent", "percentage", "share", "proportion"}), ("%", "％", "割")),
)
# Words between "which"/"how many" and the focus noun that are not it.
_EN_SKIP = frozenset(
    "kind kinds type types sort sorts of new two three four five six seven eight nine ten core main other "
    "roughly approximately about exactly".split()
)
_EN_MONTHS = {
    m: i
    for i, m in enumerate(
        "january february march april may june july august september october november december".split(), start=1
    )
}
_ORDINAL_RE = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_YEAR_RE = re.compile(r"(?<![0-9])(19[89][0-9]|20[0-4][0-9])(?![0-9])")
_WAREKI_RE = re.compile(r"(令和|平成)([0-9]{1,2}|元)年")

# Nouns that name the shape of an answer, not what it is: in 宣言の名前は何
# the focus is 宣言, not 名前.
_SHAPE_NOUNS = frozenset("名前 名称 略称 呼称 名 数 日付 時期 内容 もの こと 方 何 点 形 所 事".split())


def asks(question: str) -> Asks:
    """What ``question`` asks for (pure; see :class:`Asks`)."""
    text = unicodedata.normalize("NFKC", question).strip()
    if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text) and not _mostly_english(text):
        return _asks_ja(text)
    return _asks_en(text)


def _mostly_english(text: str) -> bool:
    # "How many members does デジタル海外展開プラットフォーム have?" is English.
    return bool(re.match(r"^(?:how|what|which|who|when|where|why|is|are|does|did|do|in|on|at|for|since)\b", text, re.I))


def _ordered_types(text: str, table: Sequence[tuple[AnswerType, re.Pattern[str]]]) -> tuple[AnswerType, ...]:
    """The types a question asks, by where it asks them.  A "name" word
    inside a more specific one (何 in 何人, "what" in "what year") does not
    count."""
    found: list[tuple[int, AnswerType]] = []
    specific: list[tuple[int, int]] = []
    for kind, pattern in table:
        for m in pattern.finditer(text):
            if kind == "name" and any(a <= m.start() < b for a, b in specific):
                continue
            if kind != "name":
                specific.append(m.span())
            found.append((m.start(), kind))
    kinds = [k for _, k in sorted(found, key=lambda f: f[0])]
    if "name" in kinds and len(set(kinds)) > 1 and not re.search(r"名前|名称|略称|何と|何で|何を|何が|\bwhat\b|\bwhich\b", text):
        kinds = [k for k in kinds if k != "name"]
    return tuple(dict.fromkeys(kinds))


def _asks_ja(text: str) -> Asks:
    types = _ordered_types(text, _JA_TYPES)
    if _JA_DEFINITION.match(text) and types in ((), ("name",)):
        types = ()
    units = tuple(dict.fromkeys(u for pattern, us in _JA_UNITS if pattern.search(text) for u in us))
    toks = tag(text)
    return Asks(
        types,
        _focus_ja(toks),
        units,
        _date_cues(text),
        ordinal="第何" in text or "何回目" in text,
        anchors=_anchors_ja(toks),
        acronym=bool(re.search(r"略称|略語|頭字語", text)),
        until="いつまで" in text,
    )


def _anchors_ja(toks: Sequence[Tagged]) -> tuple[str, ...]:
    """The four content words before each question word and the three after."""
    content = [
        (i, normalize(u.surface))
        for i, u in enumerate(toks)
        if (_nominal(u) or u.pos1 == "動詞") and normalize(u.surface) not in _SHAPE_NOUNS and _cue_word(normalize(u.surface))
    ]
    out: list[str] = []
    for i, t in enumerate(toks):
        if t.surface in _WH_JA or t.surface in _BEFORE_NOUN_JA:
            before = [w for k, w in content if k < i][-4:]
            after = [w for k, w in content if k > i][:3]
            out += before + after
    return tuple(dict.fromkeys(w for w in out if w not in _WH_JA))


_WH_JA = frozenset("何 なに どこ 誰 だれ いつ どれ いくつ いくら どなた".split())
_BEFORE_NOUN_JA = frozenset("どの どんな どのような どういう いずれ".split())


def _focus_ja(toks: Sequence[Tagged]) -> tuple[str, ...]:
    """The noun runs the question asks an instance of: the one before
    は/が + question word (枠組みは何), before の名前 (宣言の名前), after
    どの/何という/どこの (どの告示, 何という会合, どこの都市); each run and its
    last word (相手国 and 国)."""
    out: list[str] = []

    def run_before(i: int) -> list[Tagged]:
        run: list[Tagged] = []
        j = i - 1
        while j >= 0 and _nominal(toks[j]) and not _numeric(toks[j]):
            run.insert(0, toks[j])
            j -= 1
        # 宣言の名前 → 宣言; 会員数 → 会員
        if run and normalize(run[-1].surface) in _SHAPE_NOUNS:
            if len(run) > 1:
                run = run[:-1]
            elif j >= 1 and toks[j].surface == "の":
                return run_before(j)
            else:
                return []
        return run

    def run_after(i: int) -> list[Tagged]:
        run: list[Tagged] = []
        j = i
        while j < len(toks) and _nominal(toks[j]):
            run.append(toks[j])
            j += 1
        return run

    for i, t in enumerate(toks):
        s = t.surface
        run: list[Tagged] = []
        if s in _WH_JA and i >= 1 and toks[i - 1].surface in ("は", "が", "とは", "って"):
            run = run_before(i - 1)
        elif s in _BEFORE_NOUN_JA or (s == "どこ" and i + 1 < len(toks) and toks[i + 1].surface == "の"):
            k = i + (2 if s == "どこ" else 1)
            if k + 1 < len(toks) and toks[k].surface == "よう" and toks[k + 1].surface == "な":
                k += 2  # どの + よう + な: どのような
            run = run_after(k)
        elif (
            s in ("何", "なに") and i + 2 < len(toks) and toks[i + 1].surface == "と" and toks[i + 2].surface in ("いう", "いっ")
        ):
            run = run_after(i + 3)
        elif s in ("名前", "名称", "略称") and i >= 1 and toks[i - 1].surface == "の":
            run = run_before(i - 1)
        elif s in ("数", "額") and i + 1 < len(toks) and toks[i + 1].pos1 == "助詞":
            run = run_before(i)  # 会員数は → 会員: what is counted
        if run:
            words = [normalize(r.surface) for r in run]
            out.append("".join(words))
            # The last word alone (国 of 相手国, 協定 of 貿易協定), unless it is
            # one character that says little (会 of 委員会, 人 of 日本人).
            if len(words) > 1 and (len(words[-1]) > 1 or words[-1] == "国"):
                out.append(words[-1])
    return tuple(dict.fromkeys(w for w in out if w and w not in _SHAPE_NOUNS))


def _asks_en(text: str) -> Asks:
    low = text.lower()
    types = _ordered_types(low, _EN_TYPES)
    if _EN_DEFINITION.match(low.strip()) and types in ((), ("name",)):
        types = ()
    words = question_words(low)
    focus: list[str] = []
    # A focus stops at a comma: "how many training courses, joint research …".
    flat: list[str] = [x for c in re.split(r"[,;]", low) for x in [*question_words(c), ","]]
    for i, w in enumerate(flat):
        if w in ("which", "what") or (w == "many" and i and flat[i - 1] == "how"):
            run: list[str] = []
            for x in flat[i + 1 : i + 6]:
                if x in _EN_SKIP and not run:
                    continue
                # The noun ends where a verb starts: "which leader announced".
                if x in _NOT_FOCUS_EN or x == "," or x.isdigit() or (run and (x.endswith(("ed", "ing")) or x in _EN_VERBS)):
                    break
                run.append(x)
                if len(run) == 3:
                    break
            if run:
                focus += [" ".join(run), run[-1]]
    units = tuple(dict.fromkeys(u for keys, us in _EN_UNITS if keys & set(focus) for u in us))
    if re.search(r"\bhow much\b", low):
        units += _MONEY
    cues = list(_date_cues(text))
    for m in _ORDINAL_RE.finditer(low):
        cues.append(f"第{m.group(1)}回")
    for w in words:
        cues += _EN_IMPLIED.get(w, ())
    for i, w in enumerate(words):
        if w in _EN_MONTHS:
            cues.append(f"{_EN_MONTHS[w]}月")
        if w == "fiscal" and i + 1 < len(words) and _YEAR_RE.fullmatch(words[i + 1]):
            cues.append(f"{words[i + 1]}年度")
    anchors = [
        x
        for i, w in enumerate(words)
        if w in ("which", "what", "who", "whom", "where", "when", "how")
        for x in words[max(0, i - 3) : i + 9]
        if x not in _NOT_FOCUS_EN and x not in _EN_SKIP and not x.isdigit() and x not in ("many", "much", "often", "long")
    ]
    return Asks(
        types,
        tuple(dict.fromkeys(focus)),
        units,
        tuple(dict.fromkeys(cues)),
        ordinal=bool(_EN_ORDINAL.search(low)),
        anchors=tuple(dict.fromkeys(anchors)),
        acronym=bool(re.search(r"\bacronym|\babbreviat", low)),
        until=bool(re.search(r"\buntil when\b|\bby when\b|\buntil what\b", low)),
    )


_EN_VERBS = frozenset(
    """take takes make makes hold holds held cover covers deal deals lead leads promote promotes carry carries appear
    begin began sign signed set serve serves belong belongs share shared join joined""".split()
)
_NOT_FOCUS_EN = frozenset(
    """a an and are as at be been being by can could did do does for from had has have how i in into is it its of on or
    that the their them there these they this to was we were what when where which who will with would you your
    s japan japanese mic""".split()
)


# What an English question means without writing it in Japanese: the
# white papers say 我が国 and 総務省 where the question says Japan and MIC.
# Nationality words name their country ("Australian government" →
# オーストラリア側), which JMdict's glosses do not give.
_EN_IMPLIED = {
    "japan": ("日本", "我が国"),
    "japanese": ("日本", "我が国"),
    "mic": ("総務省",),
    "australian": ("オーストラリア", "豪"),
    "american": ("米国",),
    "us": ("米国",),
    "british": ("英国",),
    "uk": ("英国",),
    "german": ("ドイツ", "独"),
    "french": ("フランス", "仏"),
    "chinese": ("中国",),
    "korean": ("韓国",),
    "indian": ("インド",),
    "vietnamese": ("ベトナム",),
    "thai": ("タイ",),
    "european": ("欧州", "EU"),
    "african": ("アフリカ",),
    "asian": ("アジア",),
}


def _date_cues(text: str) -> tuple[str, ...]:
    """The other calendar's year for each year the question names: the white
    papers write 2023年（令和5年） or 令和5年 alone."""
    cues: list[str] = []
    for m in _YEAR_RE.finditer(text):
        y = int(m.group(1))
        if y >= 2019:
            cues.append("令和元年" if y == 2019 else f"令和{y - 2018}年")
        if 1989 <= y <= 2019:
            cues.append("平成元年" if y == 1989 else f"平成{y - 1988}年")
    for m in _WAREKI_RE.finditer(text):
        n = 1 if m.group(2) == "元" else int(m.group(2))
        cues.append(str(n + (2018 if m.group(1) == "令和" else 1988)))
    cues += re.findall(r"第[0-9]+回", text)
    return tuple(cues)


# -- the passage's words -----------------------------------------------------------

_NOMINAL_POS = frozenset({"名詞", "接頭辞", "接尾辞", "形状詞"})
_INNER = frozenset("・･／/：:&＆－-‐.．～~,，")
_OPEN_CLOSE = {"「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "〔": "〕", "［": "］"}
_QUOTES = frozenset("「『")
_LATIN_RE = re.compile(r"^[0-9A-Za-z０-９Ａ-Ｚａ-ｚ][0-9A-Za-z０-９Ａ-Ｚａ-ｚ\-.]*$")


_HIRAGANA_RE = re.compile(r"[\u3040-\u309f]+")
_KATAKANA3_RE = re.compile(r"[\u30a0-\u30ffー]{3,}")
_LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")
_ACRONYM_RE = re.compile(r"[A-Z][A-Z0-9\-.&]+(?:（[^）]*）)?")
_CLAUSE_AFTER_DATE_RE = re.compile(r"(?:以降|以来|から|頃|現在|時点|までに|には|に|、)")


def _nominal(t: Tagged) -> bool:
    # Hiragana-only nouns (ため, とも, ほか, こと) are grammar, not names;
    # counters (4つ) stay.
    if _HIRAGANA_RE.fullmatch(t.surface) and "助数詞" not in t.pos3 and "助数詞" not in t.pos2:
        return False
    return t.pos1 in _NOMINAL_POS or bool(_LATIN_RE.match(t.surface))


def _numeric(t: Tagged) -> bool:
    return t.pos2 == "数詞" or t.surface.isdigit()


# Words that tell a person: 人名 from unidic, or a title after the name.
_TITLES = frozenset("首相 大臣 大統領 局長 事務局長 事務総長 長官 議長 総裁 委員長 代表 氏 総理 総理大臣 会長 社長 次官".split())
# The date forms the white papers write: 2023年（令和5年）10月8日, 令和7年度,
# 同年4月, and ranges (…から18日, …～2025年（令和7年）, 6日及び7日).
_Y = r"(?:[0-9０-９]{4}年度?(?:（(?:令和|平成|昭和)(?:[0-9０-９]{1,2}|元)年度?）)?|(?:令和|平成|昭和)(?:[0-9０-９]{1,2}|元)年度?(?:（[0-9０-９]{4}年度?）)?|同年度?)"
_MD = r"(?:[0-9０-９]{1,2}月(?:[0-9０-９]{1,2}日)?(?:[上中下]旬)?)"
_D = rf"(?:{_Y}{_MD}?|{_MD})"
_DATE_RE = re.compile(rf"{_D}(?:(?:から|～|~|－|及び|・)(?:{_D}|[0-9０-９]{{1,2}}(?:月|日)))?(?:～|まで(?:に)?)?")
_NOT_QUANTITY_RE = re.compile(r"^(?:図表|図|表|第[0-9０-９]+(?:章|節|部))|[＊*※]")
_NOT_NAME_RE = re.compile(r"^(?:図表|[＊*※])")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    kind: AnswerType
    quality: float  # SpanWeights.quality: how well it fits what the question asks


@dataclass(frozen=True)
class Located:
    """Where the answer is: the sentence (or line) to mark, and inside it the
    span that answers (None when the question asks for a whole sentence, or
    no span fits)."""

    sentence: Span
    answer: Span | None = None
    kind: AnswerType | None = None


@dataclass(frozen=True)
class AnswerWeights:
    """How the sentence is chosen: its cosine to the question + ``cues`` ×
    the share of the question's cues it holds + ``answer`` × the quality of
    its best candidate span (:class:`SpanWeights`).  A grid over cues
    0–0.1 and answer 0–0.3 on bench/data/dev_seed.jsonl (hybrid, the 119
    questions whose top passage holds an answer) chose these: the answer
    inside the highlight for ja 1.00 / en 0.98 on the seed index (cosine
    alone: 0.97 / 0.91) and 1.00 / 0.98 on the five-edition index (0.98 /
    0.87); ``answer`` above 0.1 lets a strong span pull the mark to a
    sentence about something else.  ``min_quality``: below it no span is
    marked."""

    cues: float = 0.03
    answer: float = 0.06
    min_quality: float = 0.3


@dataclass(frozen=True)
class SpanWeights:
    """How a candidate span is scored: a weighted sum of its features
    (see :func:`candidates`).  Fitted by ``python bench/answer_spans.py
    --fit --archive`` on dev_seed.jsonl + archive_dev.jsonl (a softmax over
    each question's candidates, L2 towards hand-set starting weights).
    Given the sentence that holds the gold answer, the span equals or
    contains it for dev_seed ja 0.77 / en 0.72 (hand-set weights: 0.70 /
    0.61); on the held-out sets ja 0.35 / en 0.31 (holdout_editions), whose
    gold strings carry more context than a span (「1968年、日本電信電話公社が」):
    only 0.45 of them fit in any candidate at all."""

    weights: tuple[tuple[str, float], ...] = (
        ("acronym_no", -0.425),
        ("acronym_yes", 0.575),
        ("counted", 0.577),
        ("cue_after", 0.006),
        ("cue_before", 0.154),
        ("fit_beside", 0.135),
        ("fit_end", 0.433),
        ("fit_in", 0.472),
        ("frequency", 0.344),
        ("is_date", 0.285),
        ("is_name", -0.065),
        ("is_quantity", 0.729),
        ("joined_no", -0.333),
        ("joined_place", -0.168),
        ("latin_phrase", -0.274),
        ("length", 0.421),
        ("list_bad", 0.018),
        ("list_parts", 0.034),
        ("long", -0.175),
        ("name_like", 0.344),
        ("near_anchor", -0.034),
        ("near_cue", 0.328),
        ("novelty", -0.058),
        ("ordinal_no", -0.371),
        ("ordinal_unasked", -0.767),
        ("ordinal_yes", 0.21),
        ("person_no", -0.331),
        ("person_yes", 0.541),
        ("place_no", -0.224),
        ("place_yes", 0.444),
        ("primary", 1.036),
        ("quoted", -0.043),
        ("range", 0.368),
        ("unit_no", -0.213),
        ("unit_yes", 0.971),
        ("until_no", -0.227),
        ("until_yes", 0.308),
        ("whole", 0.385),
    )

    def quality(self, features: Features) -> float:
        w = dict(self.weights)
        return sum(w.get(k, 0.0) * v for k, v in features.items())


@dataclass(frozen=True)
class Cues:
    """What of the question a passage can show, matched on NFKC lower-case text."""

    words: tuple[str, ...]  # the question's own words (and Latin names)
    terms: tuple[Term, ...]  # English terms with their Japanese spellings
    extra: tuple[str, ...]  # Asks.cues
    focus: tuple[str, ...]  # Japanese focus words (through the terms for English)
    anchors: tuple[str, ...] = ()  # Japanese anchor words (Asks.anchors, likewise)
    question: str = ""  # the question, NFKC lower-case without spaces

    @classmethod
    def of(cls, words: Sequence[str], terms: Sequence[Term], ask: Asks, question: str = "") -> Cues:
        kept = tuple(dict.fromkeys(w for w in words if _cue_word(w)))
        return cls(
            kept,
            tuple(terms),
            tuple(ask.cues),
            _in_japanese(ask.focus, terms),
            _in_japanese(ask.anchors, terms),
            _squash(question),
        )


def _squash(text: str) -> str:
    return "".join(normalize(text).split())


def _in_japanese(words: Sequence[str], terms: Sequence[Term]) -> tuple[str, ...]:
    """Japanese words as they are; English ones as the spellings of the
    translated terms that name them."""
    out = [w for w in words if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", w)]
    english = [w for w in words if w not in out]
    for t in terms:
        if any(_same_word(t.english, w) for w in english):
            out += [s for s, _ in t.spellings]
    return tuple(dict.fromkeys(normalize(w) for w in out if w))


_QUESTION_SHAPE = frozenset(
    """何 なに どこ 誰 だれ いつ どの どう どれ どんな いくつ いくら 教え 教える ください くださ する し いる ある なる
    れる られ 思う 名前 名称 略称 呼ば 呼ぶ 挙げ 挙げる いう 言う もの こと 現在 的 化 等 など""".split()
)


def _cue_word(w: str) -> bool:
    if w in _QUESTION_SHAPE:
        return False
    if re.fullmatch(r"[\u3040-\u309f]+", w):  # hiragana only: inflections, not topics
        return False
    return len(w) >= 2 or bool(re.match(r"[\u4e00-\u9fff]", w))


def _same_word(a: str, b: str) -> bool:
    """An English term and a focus word name the same thing ("member" and
    "members", "submarine cable" and "cable")."""
    a, b = a.lower(), b.lower()
    stem = lambda w: re.sub(r"(?:ies|es|s)$", "", w)  # noqa: E731
    return stem(a) == stem(b) or stem(b) in stem(a).split()


# -- choosing the sentence and the span --------------------------------------------------


def locate(
    text: str,
    units: Sequence[tuple[int, int]],
    cosines: Sequence[float] | None,
    ask: Asks,
    cues: Cues,
    weights: AnswerWeights = AnswerWeights(),
    tokens: Sequence[Tagged] | None = None,
    *,
    require_cue: bool = False,
) -> Located | None:
    """The sentence of ``text`` that answers and its answer span.

    ``units``: the sentences (or, for a figure, the lines) to choose from, as
    offsets; ``cosines``: each one's cosine to the question (None: all
    equal).  ``tokens``: ``lexical.tag(text)`` when the caller has it.
    ``require_cue``: choose only among units holding a cue or a candidate
    span (a figure's lines: None when no line matches)."""
    if not units:
        return None
    toks = list(tokens) if tokens is not None else tag(text)
    best: tuple[float, int, Candidate | None] | None = None
    for i, (s, e) in enumerate(units):
        unit_toks = [t for t in toks if t.start >= s and t.end <= e]
        share = cue_share(text[s:e], unit_toks, cues)
        cand = best_candidate(text, s, e, unit_toks, ask, cues) if ask.types else None
        if require_cue and share == 0 and (cand is None or cand.quality < weights.min_quality):
            continue
        score = (cosines[i] if cosines is not None else 0.0) + weights.cues * share
        if cand is not None:
            score += weights.answer * cand.quality
        if best is None or score > best[0]:
            best = (score, i, cand)
    if best is None:
        return None
    _, i, cand = best
    s, e = units[i]
    if cand is None or cand.quality < weights.min_quality:
        return Located(Span(s, e))
    return Located(Span(s, e), Span(cand.start, cand.end), cand.kind)


def cue_share(unit: str, toks: Sequence[Tagged], cues: Cues) -> float:
    """Share of the question's cues found in a sentence: its words, the
    Japanese words of its terms (all words of one spelling), its date forms."""
    norm = normalize(unit)
    have = {normalize(t.surface) for t in toks}
    found = total = 0.0
    for w in cues.words:
        total += 1
        found += (w in have) if len(w) == 1 else (w in norm)
    for term in cues.terms:
        total += 1
        found += any((normalize(s) in norm) or (ws and all(x in have for x in ws)) for s, ws in term.spellings)
    for c in cues.extra:
        total += 1
        found += normalize(c) in norm
    return found / total if total else 0.0


def _cue_marks(unit: str, base: int, cues: Cues) -> list[tuple[int, int]]:
    """Where the cues sit in a sentence (NFKC keeps these strings' lengths
    for the text ictqa indexes; a miss only weakens the proximity cue)."""
    norm = unicodedata.normalize("NFKC", unit).lower()
    if len(norm) != len(unit):
        norm = unit.lower()
    marks: list[tuple[int, int]] = []
    needles = [*cues.words, *cues.extra, *(normalize(s) for t in cues.terms for s, _ in t.spellings)]
    for w in needles:
        if len(w) < 2:
            continue
        for m in re.finditer(re.escape(w), norm):
            marks.append((base + m.start(), base + m.end()))
    return marks


def _marks_of(unit: str, base: int, needles: Sequence[str]) -> list[tuple[int, int]]:
    norm = unicodedata.normalize("NFKC", unit).lower()
    if len(norm) != len(unit):
        norm = unit.lower()
    # Okurigana vary (枠組み / 枠組, 取り組み / 取組): a word that ends in kana
    # after kanji is also looked for without them.
    forms = set(needles) | {re.sub(r"(?<=[\u4e00-\u9fff])[\u3040-\u309f]+$", "", f) for f in needles}
    return [(base + m.start(), base + m.end()) for f in forms if f for m in re.finditer(re.escape(f), norm)]


def best_candidate(
    text: str, s: int, e: int, toks: Sequence[Tagged], ask: Asks, cues: Cues, weights: SpanWeights | None = None
) -> Candidate | None:
    """The span of ``text[s:e]`` that best answers (None if nothing fits)."""
    scored = candidates(text, s, e, toks, ask, cues)
    if not scored:
        return None
    w = weights or SpanWeights()
    out = [Candidate(a, b, kind, w.quality(f)) for a, b, kind, f in scored]
    # The best; among near-equals the shorter (the shortest span that answers).
    top = max(c.quality for c in out)
    near = [c for c in out if c.quality >= top - 1e-6]
    return min(near, key=lambda c: (c.end - c.start, c.start))


Features = dict[str, float]


def candidates(
    text: str, s: int, e: int, toks: Sequence[Tagged], ask: Asks, cues: Cues
) -> list[tuple[int, int, AnswerType, Features]]:
    """Every span of ``text[s:e]`` that could answer, with its features
    (what :class:`SpanWeights` weighs)."""
    unit = text[s:e]
    ctx = _Context(
        text=text,
        toks=toks,
        marks=_merged(_cue_marks(unit, s, cues)),
        focus=_marks_of(unit, s, cues.focus),
        anchors=_marks_of(unit, s, [a for a in cues.anchors if len(a) > 1]),
        dates=[(s + m.start(), s + m.end()) for m in _DATE_RE.finditer(unit) if re.search(r"[0-9０-９元]", m.group(0))],
        ask=ask,
    )
    said = cues.question
    phrases = _phrases(text, toks)
    # A phrase that runs past what the question asks for into a verbal noun
    # also stands cut there: 情報連携用システム of 情報連携用システム構築.
    for p in list(phrases):
        for fs, fe in ctx.focus:
            if p.start < fs and fe < p.end:
                last = next((k for k in range(p.first, p.last + 1) if toks[k].end == fe), None)
                rest = toks[last + 1 : p.last + 1] if last is not None else []
                if last is not None and rest and all(t.pos3 == "サ変可能" for t in rest):
                    phrases.append(_Phrase(p.start, fe, p.first, last, p.quoted))
    out: list[tuple[int, int, AnswerType, Features]] = []
    for rank, kind in enumerate(ask.types):
        found: list[tuple[int, int, Features]] = []
        if kind == "date":
            found = [(a, b, _date_features(ctx, a, b)) for a, b in ctx.dates if not _said(text[a:b], said)]
        elif kind == "quantity":
            for p in phrases:
                found += [q for q in _quantity_features(ctx, p) if not _said(text[q[0] : q[1]], said)]
        else:
            for p in phrases:
                f = _name_features(ctx, p, kind)
                # "Who" is answered by a person or no one: bold on a
                # programme's name would mislead more than no mark.
                if f is not None and kind == "person" and "person_yes" not in f:
                    continue
                if f is not None and not _said(_without_note(text[p.start : p.end]), said):
                    found.append((p.start, p.end, f))
        for a, b, f in found:
            f = {**f, "primary": 1.0 if rank == 0 else 0.0, "length": min(1.0, (b - a) / 40), "long": float(b - a > 40)}
            out.append((a, b, kind, f))
    # One span may come up from several phrases (or kinds): keep its best.
    return out


@dataclass(frozen=True)
class _Context:
    text: str
    toks: Sequence[Tagged]
    marks: list[tuple[int, int]]  # the question's cues in the sentence
    focus: list[tuple[int, int]]  # its focus words
    anchors: list[tuple[int, int]]  # its anchor words
    dates: list[tuple[int, int]]
    ask: Asks


@dataclass(frozen=True)
class _Phrase:
    start: int
    end: int
    first: int  # index of its first token
    last: int  # index of its last token (inclusive)
    quoted: bool = False
    whole: bool = False  # not part of a longer phrase joined by の, 及び, 、 …
    joined: bool = False  # several runs joined by の, 及び, 、 …


def _phrases(text: str, toks: Sequence[Tagged]) -> list[_Phrase]:
    """Noun phrases of a sentence: runs of nouns, prefixes and suffixes (with
    ・ and the like inside), a 「」 quote joined to the run it touches, a short
    （） note joined to the run before it; then the same runs joined by の,
    に関する, 及び, 、 … (up to four runs), so a longer name or a list is a
    candidate too."""
    runs: list[_Phrase] = []
    i, n = 0, len(toks)
    cur: list[int] = []
    quoted = False

    inner: list[_Phrase] = []  # the content of 「」 and （） joined to a run

    def close() -> None:
        nonlocal cur, quoted
        # A run of adverbial nouns alone (現在、今後、当初) is not a name.
        if cur and not all(toks[k].pos3 == "副詞可能" for k in cur):
            runs.append(_Phrase(toks[cur[0]].start, toks[cur[-1]].end, cur[0], cur[-1], quoted))
        cur, quoted = [], False

    while i < n:
        t = toks[i]
        adjacent = not cur or text[toks[cur[-1]].end : t.start] in ("", " ")
        if t.surface in _OPEN_CLOSE:
            j = _closing(toks, i)
            if j is not None and toks[j].end - t.start <= 60:
                if t.surface in _QUOTES or (cur and adjacent and toks[j].end - t.start <= 32):
                    if not adjacent:
                        close()
                    if j > i + 1:
                        inner.append(_Phrase(toks[i + 1].start, toks[j - 1].end, i + 1, j - 1, t.surface in _QUOTES))
                    cur += list(range(i, j + 1))
                    quoted = quoted or t.surface in _QUOTES
                    i = j + 1
                    continue
            close()
            i += 1
            continue
        if _nominal(t) and adjacent:
            cur.append(i)
        elif t.surface in _INNER and cur and i + 1 < n and _nominal(toks[i + 1]) and toks[i + 1].start == t.end:
            cur.append(i)
        elif (
            t.surface == "な"
            and cur
            and (toks[cur[-1]].pos1 == "形状詞" or toks[cur[-1]].surface == "的")
            and i + 1 < n
            and _nominal(toks[i + 1])
        ):
            cur.append(i)  # 持続可能な開発目標
        else:
            close()
            if _nominal(t):
                cur.append(i)
        i += 1
    close()
    out = list(runs) + inner
    joined = [text[runs[k].end : runs[k + 1].start] in _JOINERS for k in range(len(runs) - 1)]
    for a in range(len(runs)):
        for b in range(a + 1, min(a + 5, len(runs))):
            if not joined[b - 1] or runs[b].end - runs[a].start > 48:
                break
            out.append(
                _Phrase(
                    runs[a].start, runs[b].end, runs[a].first, runs[b].last, any(r.quoted for r in runs[a : b + 1]), joined=True
                )
            )
    # Mark the whole noun phrases: those no joiner extends on either side.
    return [
        _Phrase(
            ph.start,
            ph.end,
            ph.first,
            ph.last,
            ph.quoted,
            joined=ph.joined,
            whole=not any(runs[k + 1].start == ph.start and joined[k] for k in range(len(runs) - 1))
            and not any(runs[k].end == ph.end and joined[k] for k in range(len(runs) - 1)),
        )
        for ph in out
        if ph not in inner
    ] + [_Phrase(ph.start, ph.end, ph.first, ph.last, ph.quoted, whole=True) for ph in inner]


_JOINERS = frozenset(
    [
        "の",
        "に関する",
        "に係る",
        "のための",
        "における",
        "に対する",
        "への",
        "との",
        "及び",
        "並びに",
        "と",
        "や",
        "、",
        "・",
        "での",
    ]
)
_LIST_JOINERS = frozenset(["及び", "並びに", "と", "や", "、", "・"])


def _closing(toks: Sequence[Tagged], i: int) -> int | None:
    want = _OPEN_CLOSE[toks[i].surface]
    depth = 0
    for j in range(i, min(len(toks), i + 40)):
        if toks[j].surface == toks[i].surface:
            depth += 1
        elif toks[j].surface == want:
            depth -= 1
            if depth == 0:
                return j
    return None


def _distance(a: int, b: int, marks: Sequence[tuple[int, int]]) -> float | None:
    """Characters between a span and the nearest cue outside it."""
    ds = [max(ms - b, a - me, 0) for ms, me in marks if me <= a or ms >= b]
    return min(ds) if ds else None


def _novelty(a: int, b: int, marks: Sequence[tuple[int, int]]) -> float:
    """Share of a span's characters that are not the question's own words:
    the answer is what the question does not already say.  ``marks`` must
    not overlap (:func:`_merged`)."""
    covered = sum(max(0, min(me, b) - max(ms, a)) for ms, me in marks)
    return 1.0 - covered / max(b - a, 1)


def _merged(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans joined, in order."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _overlaps(a: int, b: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(x < b and a < y for x, y in spans)


def _date_features(ctx: _Context, a: int, b: int) -> Features:
    # A date the question itself names ("in April 2023") is not its answer;
    # いつまで / until asks for the date with まで.
    f = {
        "is_date": 1.0,
        "novelty": _novelty(a, b, ctx.marks),
        "near_cue": _adjacent(a, b, ctx.marks),
        "near_anchor": _adjacent(a, b, ctx.anchors),
    }
    if ctx.ask.until:
        f["until_yes" if "まで" in ctx.text[a:b] else "until_no"] = 1.0
    return f


def _quantity_features(ctx: _Context, p: _Phrase) -> list[tuple[int, int, Features]]:
    text, toks = ctx.text, ctx.toks
    # A count is one run (51カ国・1機関), not a phrase that holds a number
    # somewhere (世界各国・地域（51カ国・1機関）に関する情報共有).
    if p.joined or not _numeric(next((t for t in toks[p.first : p.last + 1] if t.pos1 != "接頭辞"), toks[p.first])):
        if p.joined or not any(_numeric(t) for t in toks[p.first : min(p.last + 1, p.first + 4)]):
            return []
    words = toks[p.first : p.last + 1]

    # A number that is part of a date (2023年, 1月) or of a name (5G, G7,
    # 4K) is not a count.
    def counts(k: int) -> bool:
        t = words[k]
        # The white papers write counts in Arabic digits; 二国間, 一層 are words.
        if not _numeric(t) or not re.search(r"[0-9０-９]", t.surface) or _overlaps(t.start, t.end, ctx.dates):
            return False
        before = words[k - 1] if k and words[k - 1].end == t.start else None
        after = words[k + 1] if k + 1 < len(words) and words[k + 1].start == t.end else None
        return not any(n is not None and re.match(r"[A-Za-zＡ-Ｚａ-ｚ]", n.surface) for n in (before, after))

    if not any(counts(k) for k in range(len(words))):
        return []
    if _NOT_QUANTITY_RE.search(text[p.start : p.end]):
        return []
    a, b = p.start, p.end
    f: Features = {"is_quantity": 1.0}
    spans: list[tuple[int, int, Features]] = [(a, b, {})]  # with the features of each extension
    # Extend over what qualifies the number and the thing counted:
    # 100を超える会員, 700人を越える受講生, 5件の新規支援決定, 3～4年に一度.
    rest = text[b : b + 8]
    freq = re.match(r"(?:に一度|に1回|に一回|ごと|毎)", rest)
    m = re.match(r"(?:を超える|を越える|を上回る|以上の|超の|余りの|近くの|に上る|に及ぶ)", rest)
    # 第70回から第77回: a range is one answer (3～4年 is one run already).
    rng = re.match(r"(?:から|～|~|－)(?=第?[0-9０-９])", rest)
    if freq:
        spans = [(a, b + freq.end(), {"frequency": 1.0})]
    elif m:
        tail = _noun_tail(toks, p.last, b + m.end())
        if tail > b + m.end():
            spans = [(a, tail, {})]
    elif rng:
        end = _noun_tail(toks, p.last, b + rng.end())
        if end > b + rng.end():
            spans.append((a, end, {"range": 1.0}))
    elif re.match(r"(?:の|での)", rest):
        # 4つの制度, 193の国と地域: the thing counted, as a second candidate.
        start_tail = b + (1 if rest.startswith("の") else 2)
        tail = _noun_tail(toks, p.last, start_tail)
        if tail > start_tail:
            fits = _overlaps(start_tail, tail, ctx.focus) or _overlaps(start_tail, tail, ctx.marks)
            spans.append((a, tail, {"counted": 1.0 if fits else 0.5}))
    return [(x, y, _quantity_of(ctx, x, y, {**f, **extra})) for x, y, extra in spans]


def _quantity_of(ctx: _Context, a: int, b: int, f: Features) -> Features:
    f = dict(f)
    span = ctx.text[a:b]
    ask = ctx.ask
    if ask.units:
        f["unit_yes" if any(u in span for u in ask.units) else "unit_no"] = 1.0
    f["fit_beside"] = max(float(_overlaps(a, b, ctx.focus)), _adjacent(a, b, ctx.focus))
    if ask.ordinal:
        f["ordinal_yes" if "第" in span else "ordinal_no"] = 1.0
    elif re.match(r"第[0-9０-９]", span):
        f["ordinal_unasked"] = 1.0
    f["novelty"] = _novelty(a, b, ctx.marks)
    f["near_cue"] = _adjacent(a, b, ctx.marks)
    f["near_anchor"] = _adjacent(a, b, ctx.anchors)
    return f


def _noun_tail(toks: Sequence[Tagged], after: int, start: int) -> int:
    """Where the nouns that start at ``start`` (after token ``after``) end,
    through と/及び/・ between nouns (国と地域)."""
    end = start
    j = next((k for k in range(after + 1, len(toks)) if toks[k].start >= start), len(toks))
    while j < len(toks) and toks[j].start == end:
        if _nominal(toks[j]):
            end = toks[j].end
        elif toks[j].surface in ("と", "及び", "・") and end > start and j + 1 < len(toks) and _nominal(toks[j + 1]):
            end = toks[j].end
        else:
            break
        j += 1
    return end if end == start or _nominal(toks[j - 1]) else toks[j - 2].end


_NAME_LIKE_CACHE: dict[tuple[str, int, bool], float] = {}


def _name_like(text: str, words: Sequence[Tagged], quoted: bool) -> float:
    """:func:`_name_like_of`, remembered for the sentence being scored
    (a phrase and its parts are scored many times over)."""
    if not words:
        return 0.0
    # The phrase's text and its number of words decide its score.
    key = (text[words[0].start : words[-1].end], len(words), quoted)
    v = _NAME_LIKE_CACHE.get(key)
    if v is None:
        if len(_NAME_LIKE_CACHE) > 4096:
            _NAME_LIKE_CACHE.clear()
        v = _NAME_LIKE_CACHE[key] = _name_like_of(text, words, quoted)
    return v


def _name_like_of(text: str, words: Sequence[Tagged], quoted: bool) -> float:
    """How much a phrase looks like a name (0..1): a 「」 quote, a Latin name
    or a proper noun do; a compound of several nouns somewhat; one common
    noun little, and a verbal noun (推進, 列挙, 合意) not at all."""
    if quoted:
        return 1.0
    parts: list[list[Tagged]] = [[]]
    for k, t in enumerate(words):
        if k and text[words[k - 1].end : t.start] or t.pos1 == "助詞":
            parts.append([])
        if t.pos1 != "助詞":
            parts[-1].append(t)
    if len(parts) > 1:
        return max((_name_like(text, part, False) for part in parts if part), default=0.0)
    content = [t for t in words if _nominal(t)]
    if any(t.pos2 == "固有名詞" for t in content) or any(
        _LATIN_RE.match(t.surface) and not t.surface.isdigit() and len(t.surface) > 1 for t in content
    ):
        return 0.8
    if any(_KATAKANA3_RE.fullmatch(t.surface) for t in content):
        return 0.6
    nouns = [t for t in content if t.pos1 == "名詞"]
    if len(nouns) >= 2 and any(t.pos3 != "サ変可能" for t in nouns):
        return 0.5
    if len(nouns) >= 2:
        return 0.35
    if nouns and nouns[0].pos3 not in ("サ変可能", "副詞可能") and len(nouns[0].surface) > 1:
        return 0.2
    return 0.0


def _said(span: str, question: str) -> bool:
    """Whether the question itself writes this span: what a question says
    is not its answer (日ASEANデジタル大臣会合 in "…大臣会合で承認された
    計画文書は何")."""
    return bool(question) and len(span) > 1 and _squash(span) in question


_NOTE_RE = re.compile(r"（[^（）]*(?:（[^（）]*）[^（）]*)?）$")


def _without_note(span: str) -> str:
    """A name without its trailing （GBAS） or （2023年2月、フィリピン）."""
    m = _NOTE_RE.search(span)
    return span[: m.start()] if m and m.start() > 0 else span


def _balanced(span: str) -> bool:
    for o, c in _OPEN_CLOSE.items():
        if span.count(o) != span.count(c):
            return False
    return True


def _split(words: Sequence[Tagged], at: Sequence[int]) -> list[list[Tagged]]:
    parts: list[list[Tagged]] = [[]]
    for k, t in enumerate(words):
        if k in at:
            parts.append([])
        else:
            parts[-1].append(t)
    return parts


def _adjacent(a: int, b: int, marks: Sequence[tuple[int, int]]) -> float:
    """How close a span is to the nearest cue (1 touching, ½ three
    characters away: a particle or された between them)."""
    d = _distance(a, b, marks)
    return 0.0 if d is None else 1.0 / (1.0 + d / 3.0)


def _name_features(ctx: _Context, p: _Phrase, kind: AnswerType) -> Features | None:
    text, toks = ctx.text, ctx.toks
    a, b = p.start, p.end
    span = text[a:b]
    if _NOT_NAME_RE.search(span) or any(x <= a and b <= y for x, y in ctx.dates) or not _balanced(span):
        return None
    # A date that starts a clause (2018年以降、…) is context, not a name.
    if any(x == a and _CLAUSE_AFTER_DATE_RE.match(text, y) for x, y in ctx.dates):
        return None
    words = toks[p.first : p.last + 1]
    novel = _novelty(a, b, ctx.marks)
    if novel < 0.2:
        return None
    f: Features = {"is_name": 1.0, "name_like": _name_like(text, words, p.quoted), "novelty": novel, "whole": float(p.whole)}
    # What the question asks an instance of: the phrase ends with it
    # (未来のインターネットに関する宣言; before a trailing （GBAS）), holds it
    # (令和4年総務省告示第34号), or stands beside it (枠組である「…」).
    b_name = a + len(_without_note(span))
    f_in = [fe for fs, fe in ctx.focus if a <= fs and fe <= b]
    if f_in and any(fe >= b_name - 1 for fe in f_in):
        f["fit_end"] = 1.0
    elif f_in:
        f["fit_in"] = 1.0
    else:
        f["fit_beside"] = _adjacent(a, b, ctx.focus)
    f["near_anchor"] = _adjacent(a, b, ctx.anchors)
    f["near_cue"] = _adjacent(a, b, ctx.marks)
    # Japanese is head-final: the answer usually stands before the
    # question's verb (「…」を設立した) or right after a clause that says what
    # the question says (承認された「…」).
    f["cue_after"] = _adjacent(a, b, [m for m in ctx.marks if m[0] >= b])
    f["cue_before"] = _adjacent(a, b, [m for m in ctx.marks if m[1] <= a])
    f["quoted"] = float(p.quoted)
    # The gold answers are Japanese: a spelt-out English name
    # (TELMIN：Ministerial Meeting on …) is a gloss of the answer, not it.
    f["latin_phrase"] = float(len(_LATIN_WORD_RE.findall(span)) >= 3)
    if ctx.ask.acronym:
        f["acronym_yes" if _ACRONYM_RE.fullmatch(span) else "acronym_no"] = 1.0
    if kind == "person":
        person = any(t.pos3 == "人名" for t in words) or normalize(words[-1].surface) in _TITLES
        f["person_yes" if person else "person_no"] = 1.0
    elif kind == "place":
        f["place_yes" if any(t.pos3 == "地名" for t in words) else "place_no"] = 1.0
    # A list joined by 、 or 及び is one answer when its parts are names or
    # alike (ベトナム、ウズベキスタン、イラン、タイ; 電気通信事業、放送事業及び
    # 郵便事業), not a run of clauses.
    joiners = [k for k, t in enumerate(words) if t.surface in _LIST_JOINERS - {"・"}]
    if joiners:
        parts = _split(words, joiners)
        alike = len({normalize(pt[-1].surface) for pt in parts if pt}) == 1
        names = all(_name_like(text, pt, False) >= 0.2 for pt in parts if pt)
        mixed = any(t.pos1 == "助詞" and t.surface in ("の", "に", "での") for t in words)
        if (names or alike) and not mixed:
            f["list_parts"] = min(1.0, len(parts) / 4)
        else:
            f["list_bad"] = 1.0
    if any(t.surface == "の" for t in words):
        # インドのモディ首相, ルワンダのキガリ: a place qualifying a name.
        first = words[0]
        f["joined_place" if first.pos3 == "地名" or first.pos2 == "固有名詞" else "joined_no"] = 1.0
    return f


# -- the English reading aid ----------------------------------------------------------------


@dataclass(frozen=True)
class TermMark:
    start: int
    end: int
    english: str


def term_marks(text: str, terms: Sequence[Term], tokens: Sequence[Tagged] | None = None) -> list[TermMark]:
    """Where the Japanese words of each translated term stand in ``text``:
    each spelling as written, or its words in a row (海底 + ケーブル);
    overlaps go to the longer mark, then to the earlier term."""
    toks = list(tokens) if tokens is not None else tag(text)
    norm = [normalize(t.surface) for t in toks]
    at: dict[str, list[int]] = {}
    for k, w in enumerate(norm):
        at.setdefault(w, []).append(k)
    found: list[tuple[int, int, int, str]] = []  # start, end, term rank, english
    for rank, term in enumerate(terms):
        for surface, ws in term.spellings:
            if surface and surface in text:
                for m in re.finditer(re.escape(surface), text):
                    found.append((m.start(), m.end(), rank, term.english))
            n = len(ws)
            for k in at.get(ws[0], []) if n else []:
                if norm[k : k + n] == list(ws) and all(toks[k + x + 1].start == toks[k + x].end for x in range(n - 1)):
                    found.append((toks[k].start, toks[k + n - 1].end, rank, term.english))
    found.sort(key=lambda f: (-(f[1] - f[0]), f[2], f[0]))
    taken: list[TermMark] = []
    for s, e, _, english in found:
        if not any(m.start < e and s < m.end for m in taken):
            taken.append(TermMark(s, e, english))
    return sorted(taken, key=lambda m: m.start)


def figure_lines(text: str) -> list[tuple[int, int]]:
    """The lines of a figure passage (its units for the highlight: a figure
    is fragments, one a line, not sentences)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        s, e = pos, pos + len(line)
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s, e))
        pos += len(line) + 1
    return spans
