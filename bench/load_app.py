"""Load test of the web app: N concurrent clients × M questions against one
running app (issues #6 and #17), through the form's Gradio API and through the
plain JSON API (``GET /api/ask``) on the same port.

    python bench/load_app.py                        # 16 clients × 20 questions, both interfaces, real model, seed index
    python bench/load_app.py --via api              # only GET /api/ask (or --via form: only gradio_client)
    python bench/load_app.py --concurrency 1        # compare queue worker counts
    python bench/load_app.py --url http://127.0.0.1:7860   # an app that is already running

Starts ``app.py`` on a free 127.0.0.1 port with the real default model on the
seed corpus (the index is built into bench/out/app-index on first run), waits
for it, warms it up with one question, then lets every client ask its
questions one after another (each client starts at a different question).
Every answer is checked: no error, k passages, the expected section in the
top label, and the same top label for a question in every client (a race in
the server would show as a different answer).  Through /api/ask each answer
must moreover equal, key for key, the answer the same question got when asked
alone before the load.  Prints latency p50/p95/max and throughput per
interface; exits 1 if any answer is wrong or missing.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
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
        failed = False
        if args.via in ("form", "both"):
            failed |= run("form (gradio_client /ask)", form_caller(url, args.k), args) != 0
        if args.via in ("api", "both"):
            failed |= run_api(url, args) != 0
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


def run_api(url: str, args: argparse.Namespace) -> int:
    # The reference: each question asked alone, before any load.
    ask = api_caller(url, args.k)()
    reference = {q: ask(q) for q, _ in QUESTIONS}
    return run("api (GET /api/ask)", api_caller(url, args.k), args, reference)


def run(
    name: str, make_caller: Callable[[], Caller], args: argparse.Namespace, reference: dict[str, Answer] | None = None
) -> int:
    latencies: list[float] = []
    problems: list[str] = []
    top: dict[str, set[str]] = defaultdict(set)
    lock = threading.Lock()
    callers = [make_caller() for _ in range(args.clients)]
    start = threading.Barrier(args.clients + 1)

    def worker(n: int, ask: Caller) -> None:
        start.wait()
        for i in range(args.questions):
            question, expected = QUESTIONS[(n + i) % len(QUESTIONS)]
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
                top[question].add(label)
                if "error" in answer or len(results) != args.k or expected not in label:
                    problems.append(
                        f"client {n}: {question!r}: {answer.get('error') or f'{len(results)} results, top {label!r}'}"
                    )
                elif reference is not None and answer != reference[question]:
                    problems.append(f"client {n}: {question!r}: the answer differs from the one it got alone")

    threads = [threading.Thread(target=worker, args=(n, c)) for n, c in enumerate(callers)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0

    problems += [f"{q!r} got different top labels: {sorted(ls)}" for q, ls in top.items() if len(ls) > 1]
    n = len(latencies)
    print(f"== {name}")
    print(
        f"{args.clients} clients × {args.questions} questions = {args.clients * args.questions} requests, {n} answered in {wall:.1f} s"
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
