"""English words → the katakana loanwords the text writes for them (pure).

Why: the glossary (JMdict) has no entry for much of the vocabulary an ICT
white paper borrows — metaverse → メタバース, hackathon → ハッカソン,
FinTech → フィンテック — yet those are exactly the terms English readers ask
about.  Such a loanword is the English word said in Japanese sounds, so
both are reduced to a consonant skeleton (the sounds Japanese keeps apart:
v and b, l and r, th and s merge; vowels and the epenthetic vowels katakana
adds go) and an English word is matched with the katakana words of the
index whose skeleton is nearly the same.  Crude on purpose: a false match is
a word that rarely occurs near the question's other terms, and only words
the glossary does not know are tried.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

# Katakana → rōmaji, two-character combinations first.
_DIGRAPHS = {
    "キャ": "kya", "キュ": "kyu", "キョ": "kyo", "シャ": "sha", "シュ": "shu", "ショ": "sho", "シェ": "she",
    "チャ": "cha", "チュ": "chu", "チョ": "cho", "チェ": "che", "ニャ": "nya", "ニュ": "nyu", "ニョ": "nyo",
    "ヒャ": "hya", "ヒュ": "hyu", "ヒョ": "hyo", "ミャ": "mya", "ミュ": "myu", "ミョ": "myo", "リャ": "rya",
    "リュ": "ryu", "リョ": "ryo", "ギャ": "gya", "ギュ": "gyu", "ギョ": "gyo", "ジャ": "ja", "ジュ": "ju",
    "ジョ": "jo", "ジェ": "je", "ビャ": "bya", "ビュ": "byu", "ビョ": "byo", "ピャ": "pya", "ピュ": "pyu",
    "ピョ": "pyo", "ティ": "ti", "ディ": "di", "トゥ": "tu", "ドゥ": "du", "ファ": "fa", "フィ": "fi",
    "フェ": "fe", "フォ": "fo", "フュ": "fyu", "ウィ": "wi", "ウェ": "we", "ウォ": "wo", "ヴァ": "va",
    "ヴィ": "vi", "ヴェ": "ve", "ヴォ": "vo", "ツァ": "tsa", "ツェ": "tse", "ツォ": "tso", "テュ": "tyu",
    "デュ": "dyu", "イェ": "ye", "クァ": "kwa", "クォ": "kwo", "グァ": "gwa",
}  # fmt: skip
_MONO = dict(
    zip(
        "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴァィゥェォャュョ",
        "a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho ma mi mu me mo "
        "ya yu yo ra ri ru re ro wa o n ga gi gu ge go za ji zu ze zo da ji zu de do ba bi bu be bo pa pi pu pe po "
        "vu a i u e o ya yu yo".split(),
    )
)
_KATAKANA_WORD = re.compile(r"[ァ-ヴー]{3,}")


def romanize(katakana: str) -> str:
    out: list[str] = []
    i = 0
    double = False
    while i < len(katakana):
        two, one = katakana[i : i + 2], katakana[i]
        if one == "ッ":
            double = True
            i += 1
            continue
        if one == "ー":
            if out and out[-1]:
                out.append(out[-1][-1])
            i += 1
            continue
        syl = _DIGRAPHS.get(two)
        step = 2 if syl else 1
        syl = syl or _MONO.get(one, "")
        if double and syl:
            syl = syl[0] + syl
            double = False
        out.append(syl)
        i += step
    return "".join(out)


def _merged(s: str) -> str:
    """A rōmaji or English spelling with the sounds Japanese does not tell
    apart merged, and doubled letters single."""
    s = s.lower()
    for a, b in (("tsu", "t"), ("shi", "s"), ("chi", "ch"), ("fu", "f"), ("sh", "s"), ("th", "s"), ("ph", "f")):
        s = s.replace(a, b)
    s = s.replace("ch", "k").replace("ck", "k").replace("q", "k").replace("x", "ks").replace("c", "k")
    s = s.replace("v", "b").replace("l", "r").replace("z", "s").replace("j", "g").replace("y", "")
    return re.sub(r"([a-z])\1+", r"\1", s)


def _skeleton(merged: str) -> str:
    """The consonants of a merged spelling (katakana adds vowels English
    does not have: ブロック is bu-ro-k-ku)."""
    return re.sub(r"([a-z])\1+", r"\1", re.sub(r"[aeiou]", "", merged))


def _plain(merged: str) -> str:
    """A merged rōmaji without the vowels katakana adds to English consonant
    clusters and endings (ブ-ロ-ッ-ク bu-ro-k-ku → brok, ド-ロ-ー-ン → dorōn
    keeps its o): u between consonants, o after t/d before a consonant, a
    final u or o after them."""
    s = re.sub(r"(?<=[^aeiou])u(?=[^aeiou])", "", merged)
    s = re.sub(r"(?<=[td])o(?=[^aeiou])", "", s)
    s = re.sub(r"(?<=[^aeiou])u$|(?<=[td])o$", "", s)
    return s


def _english(word: str) -> str:
    w = word.lower()
    w = re.sub(r"c(?=[eiy])", "s", w)  # policy, cyber: a soft c
    w = re.sub(r"[ts]ion(s?)$", r"shon\1", w)  # -tion → ション
    w = re.sub(r"ture$", "cha", w)
    w = re.sub(r"e$", "", w)  # silent final e: verse, code
    w = re.sub(r"r(?=[^aeiou]|$)", "", w)  # non-rhotic: verse → バース, server → サーバー
    return _merged(w)


def english_skeleton(word: str) -> str:
    return _skeleton(_english(word))


def katakana_words(text: str) -> dict[str, int]:
    """Katakana words of at least three characters in ``text``, with counts."""
    counts: dict[str, int] = {}
    for m in _KATAKANA_WORD.finditer(text):
        counts[m.group(0)] = counts.get(m.group(0), 0) + 1
    return counts


# Consonant skeletons must agree this much, and the spellings with their
# vowels at least ``_FULL``: enough for メタバース (metaverse) and ハッカソン
# (hackathon), not for パワードスーツ (podcast) or バリューチェーン
# (blockchain, which is ブロックチェーン).
_SKELETON, _FULL = 0.86, 0.6


def best_match(word: str, candidates: Mapping[str, int]) -> str | None:
    """The katakana word of ``candidates`` (word → count) that best spells
    ``word`` in Japanese sounds, or None."""
    english = _english(word)
    target = _skeleton(english)
    if len(target) < 3:
        return None
    best: tuple[float, float, int, str] | None = None
    for kata, count in candidates.items():
        merged = _merged(romanize(kata))
        sk = _skeleton(merged)
        if abs(len(sk) - len(target)) > 1 or sk[:1] != target[:1]:
            continue
        ratio = difflib.SequenceMatcher(None, target, sk).ratio()
        if ratio < _SKELETON:
            continue
        full = difflib.SequenceMatcher(None, english, _plain(merged)).ratio()
        if full >= _FULL and (best is None or (ratio, full, count) > best[:3]):
            best = (ratio, full, count, kata)
    return best[3] if best else None


def match_all(words: Iterable[str], candidates: Mapping[str, int]) -> dict[str, str]:
    """English word → its katakana spelling, for the words that have one."""
    out = {}
    for w in words:
        kata = best_match(w, candidates)
        if kata:
            out[w] = kata
    return out


class LoanwordIndex:
    """The katakana words of an index, grouped by the first consonant and
    length of their skeleton so that a lookup compares an English word with
    a few hundred of them, not all."""

    def __init__(self, counts: Mapping[str, int]) -> None:
        self._groups: dict[tuple[str, int], list[tuple[str, str, str, int]]] = {}
        for kata, count in counts.items():
            merged = _merged(romanize(kata))
            sk = _skeleton(merged)
            if sk:
                self._groups.setdefault((sk[0], len(sk)), []).append((kata, _plain(merged), sk, count))

    def candidates(self, word: str, n: int = 3) -> list[str]:
        """Up to ``n`` katakana spellings of ``word``, best first."""
        english = _english(word)
        target = _skeleton(english)
        if len(target) < 3:
            return []
        scored = []
        for length in (len(target) - 1, len(target), len(target) + 1):
            for kata, plain, sk, count in self._groups.get((target[0], length), ()):
                ratio = difflib.SequenceMatcher(None, target, sk).ratio()
                if ratio < _SKELETON:
                    continue
                full = difflib.SequenceMatcher(None, english, plain).ratio()
                if full >= _FULL:
                    scored.append((ratio, full, count, kata))
        scored.sort(reverse=True)
        return [kata for *_, kata in scored[:n]]
