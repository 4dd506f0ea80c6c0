"""Load test of the web app: N concurrent clients × M questions against one
running app (issues #6 and #17), through the plain JSON API (``GET /api/ask``)
and through the form's Gradio API (``gradio_client``) on the same port.

    python bench/load_app.py                        # 16 clients × 20 questions, both interfaces, real model, seed index
    python bench/load_app.py --via api              # only GET /api/ask (or --via form: only gradio_client)
    python bench/load_app.py --distinct             # every request a new question (no cached question vectors)
    python bench/load_app.py --concurrency 1        # compare queue worker counts
    python bench/load_app.py --url http://127.0.0.1:7860   # an app that is already running

Starts ``app.py`` on a free 127.0.0.1 port with the real default model on the
seed corpus (the index is built into bench/out/app-index on first run), waits
for it, warms it up with one question, then lets every client ask its
questions one after another (each client starts at a different question of
QUESTIONS, so most requests repeat a question another client asked and its
vector comes from the server's cache; ``--distinct`` takes each request's
question from the dev and archive sets instead).  Every answer is checked: no
error, k passages, the expected section in the top label (QUESTIONS only),
and, key for key, the same answer as the question gets when asked alone
through /api/ask after the load (a race in the server would differ; so would
the form's /ask if it stopped returning the `ictqa ask --json` object).
Prints latency p50/p95/max and throughput per interface; exits 1 if any
answer is wrong or missing.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from gradio_client import Client

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# (question, a string the top-1 citation label must contain); checked with
# `ictqa ask` on the seed index.
QUESTIONS = [
    ("デジタル海外展開プラットフォームとは", "2(1) 総務省における海外展開支援ツール"),
    ("JICTの支援決定額の累計は？", "2(2) 株式会社海外通信・放送・郵便事業支援機構（JICT）"),
    ("ITU-Tにおける日本の取組を教えてください", "5(5)イ ITU-Tにおける取組"),
    ("日ASEANのサイバーセキュリティ協力は？", "5(4)イ サイバーセキュリティ分野における協力体制の強化"),
    ("ICANNとは何ですか", "5(10) ICANN"),
    ("GPAIとは", "5(9) GPAI"),
    ("APECにおける取組は？", "5(2) アジア太平洋経済協力（APEC）"),
    ("日ASEAN50周年の取組は？", "5(4)ウ 日ASEAN50周年"),
    ("消防分野の海外展開は？", "2(3)エ(ア) 消防分野"),
    ("郵便分野の海外展開について", "2(3)エ(イ) 郵便分野"),
    ("IGFについて教えてください", "5(6)イ インターネット・ガバナンス・フォーラム（IGF）"),
    ("OECDでの議論は？", "5(8) 経済協力開発機構（OECD）"),
    ("What is DFFT?", "3(1) 信頼性のある自由なデータ流通（DFFT）"),
    ("What did Japan and ASEAN do on cybersecurity?", "5(4)イ サイバーセキュリティ分野における協力体制の強化"),
    (
        "Which organisation supports Japanese telecom companies' overseas investment?",
        "2(2) 株式会社海外通信・放送・郵便事業支援機構（JICT）",
    ),
    ("What is the Global Partnership on AI?", "5(9) GPAI"),
    ("What is the Asia-Pacific Telecommunity?", "5(3) アジア・太平洋電気通信共同体（APT）"),
    ("What is ICANN?", "5(10) ICANN"),
    ("What happened at the G7 digital ministers meeting?", "5(1) G7・G20"),
    ("What cooperation does Japan have with India on ICT?", "6(3)"),
]


# --distinct: questions written for the dev and archive evaluations (their
# answers are not checked here, only that each is complete and stable).
DISTINCT_SETS = (
    "dev_seed.jsonl",
    "out_of_scope.jsonl",
    "archive_dev.jsonl",
    "archive_holdout.jsonl",
    "out_of_scope_holdout.jsonl",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            sys.exit(f"app.py exited with code {proc.returncode} before serving")
        try:
            if httpx.get(f"{url}gradio_api/info", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    sys.exit(f"{url} did not answer within {timeout:.0f} s")


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--questions", type=int, default=20, help="per client (cycling through the question list)")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--concurrency", type=int, default=None, help="app.py --concurrency (default: the app's)")
    p.add_argument("--index", type=Path, default=HERE / "out" / "app-index")
    p.add_argument("--url", help="use this running app instead of starting one")
    p.add_argument("--via", choices=["form", "api", "both"], default="both", help="which interface to load (default: both)")
    p.add_argument(
        "--distinct", action="store_true", help="every request a different question (dev and archive sets): no cached vectors"
    )
    args = p.parse_args()

    proc = None
    url = args.url
    if url is None:
        port = free_port()
        cmd = [
            sys.executable,
            str(REPO / "app.py"),
            "--index",
            str(args.index),
            "--corpus",
            str(REPO / "corpus"),
            "--port",
            str(port),
        ]
        if args.concurrency:
            cmd += ["--concurrency", str(args.concurrency)]
        (HERE / "out").mkdir(exist_ok=True)
        log = (HERE / "out" / "load_app.log").open("w")  # lives as long as the app
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/"
    url = url.rstrip("/") + "/"
    try:
        wait_for(url, proc, timeout=900)  # includes building the index on first run
        Client(url, verbose=False, analytics_enabled=False).predict(QUESTIONS[0][0], args.k, [], [], api_name="/ask")
        alone = api_caller(url, args.k)()
        failed = False
        if args.via in ("api", "both"):
            failed |= run("api (GET /api/ask)", api_caller(url, args.k), args, plan_for(args, 0), alone) != 0
        if args.via in ("form", "both"):
            failed |= run("form (gradio_client /ask)", form_caller(url, args.k), args, plan_for(args, 1), alone) != 0
        return 1 if failed else 0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


Answer = dict[str, Any]
# One client's way of asking: question → the `ictqa ask --json` object (or {"error": ...}).
Caller = Callable[[str], Answer]


def form_caller(url: str, k: int) -> Callable[[], Caller]:
    def make() -> Caller:
        client = Client(url, verbose=False, analytics_enabled=False)

        def ask(question: str) -> Answer:
            _html, answer = client.predict(question, k, [], [], api_name="/ask")
            return answer

        return ask

    return make


def api_caller(url: str, k: int) -> Callable[[], Caller]:
    def make() -> Caller:
        client = httpx.Client(timeout=120)  # one connection per client, kept alive

        def ask(question: str) -> Answer:
            r = client.get(f"{url}api/ask?" + urllib.parse.urlencode({"q": question, "k": k}))
            answer = r.json()
            if r.status_code != 200 and "error" not in answer:
                answer = {"error": f"HTTP {r.status_code}"}
            return answer

        return ask

    return make


# (question, a string the top label must contain, or None: not checked)
Plan = list[tuple[str, str | None]]


def plan_for(args: argparse.Namespace, block: int) -> Plan:
    """The questions of one run, client after client.  By default every
    client cycles through QUESTIONS (so most are asked before and their vectors
    come from the server's cache); with --distinct each request is a question
    of the dev and archive sets asked once (block 0, 1: one set per interface)."""
    total = args.clients * args.questions
    if not args.distinct:
        return [QUESTIONS[(n + i) % len(QUESTIONS)] for n in range(args.clients) for i in range(args.questions)]
    pool = distinct_questions()
    return [(pool[(block * total + j) % len(pool)], None) for j in range(total)]


def distinct_questions() -> list[str]:
    seen: dict[str, None] = {}
    for name in DISTINCT_SETS:
        for line in (HERE / "data" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen.setdefault(" ".join(json.loads(line)["question"].split()), None)
    return list(seen)


def run(name: str, make_caller: Callable[[], Caller], args: argparse.Namespace, plan: Plan, alone: Caller) -> int:
    latencies: list[float] = []
    problems: list[str] = []
    got: list[tuple[int, str, Answer]] = []
    lock = threading.Lock()
    callers = [make_caller() for _ in range(args.clients)]
    start = threading.Barrier(args.clients + 1)

    def worker(n: int, ask: Caller) -> None:
        start.wait()
        for question, expected in plan[n * args.questions : (n + 1) * args.questions]:
            t = time.perf_counter()
            try:
                answer = ask(question)
            except Exception as e:  # noqa: BLE001 - count it and go on
                with lock:
                    problems.append(f"client {n}: {question!r}: {type(e).__name__}: {e}")
                continue
            dt = time.perf_counter() - t
            results = answer.get("results") or []
            label = results[0]["citation"]["label"] if results else ""
            with lock:
                latencies.append(dt)
                got.append((n, question, answer))
                if "error" in answer or len(results) != args.k or (expected is not None and expected not in label):
                    problems.append(
                        f"client {n}: {question!r}: {answer.get('error') or f'{len(results)} results, top {label!r}'}"
                    )

    threads = [threading.Thread(target=worker, args=(n, c)) for n, c in enumerate(callers)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0

    # Each answer must be the one its question gets when asked alone, after
    # the load, through GET /api/ask (a race in the server would differ; so
    # would the form's /ask if it ever stopped returning the `ask --json` object).
    reference = {q: alone(q) for q in dict.fromkeys(q for _, q, _ in got)}
    problems += [f"client {n}: {q!r}: the answer differs from the one it gets alone" for n, q, a in got if a != reference[q]]
    n = len(latencies)
    print(f"== {name}")
    print(
        f"{args.clients} clients × {args.questions} questions = {args.clients * args.questions} requests "
        f"({len(reference)} distinct), {n} answered in {wall:.1f} s"
    )
    if n:
        print(
            f"latency p50 {percentile(latencies, 50) * 1000:.0f} ms, p95 {percentile(latencies, 95) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms, mean {statistics.mean(latencies) * 1000:.0f} ms"
        )
        print(f"throughput {n / wall:.1f} questions/s")
    for line in problems[:20]:
        print("PROBLEM", line)
    print("all answers correct and complete" if not problems else f"{len(problems)} problem(s)")
    return 0 if not problems and n == args.clients * args.questions else 1


if __name__ == "__main__":
    sys.exit(main())
