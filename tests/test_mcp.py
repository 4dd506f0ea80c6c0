"""The MCP server: the tools in process (fake-encoder index), `ictqa mcp`
over stdio with the official SDK's client, and, with the real model, the
passage that answers 「デジタル海外展開プラットフォームの会員数は？」."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import mcp
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from ictqa.web import mcp_tools

REPO = Path(__file__).resolve().parents[1]
TOOLS = ["get_passage", "list_editions", "search_white_paper", "timeline"]
MEMBERS = "デジタル海外展開プラットフォームの会員数は？"


@pytest.fixture(scope="module")
def tools(fake_index) -> mcp_tools.Tools:
    return mcp_tools.load_tools(fake_index)


def run(coro_fn, *args):
    return anyio.run(coro_fn, *args)


async def _in_process(tools: mcp_tools.Tools, calls: list[tuple[str, dict]]):
    async with mcp.Client(mcp_tools.build_server(tools)) as client:
        listed = await client.list_tools()
        return listed, [await client.call_tool(name, args) for name, args in calls]


def test_tools_are_listed_with_schemas_and_read_only(tools):
    listed, _ = run(_in_process, tools, [])
    assert sorted(t.name for t in listed.tools) == TOOLS
    by_name = {t.name: t for t in listed.tools}
    search = by_name["search_white_paper"].input_schema
    assert search["required"] == ["question"] and search["properties"]["k"]["maximum"] == 20
    assert "editions" in search["properties"]
    assert all(t.annotations.read_only_hint for t in listed.tools)
    assert all(t.description for t in listed.tools)


def test_search_gives_label_quote_and_passage(tools):
    _, (r,) = run(_in_process, tools, [("search_white_paper", {"question": "DFFTとは何ですか", "k": 3, "editions": ["2023"]})])
    assert not r.is_error
    out = r.structured_content
    assert json.loads(r.content[0].text) == out  # the text an assistant reads is the same object
    assert [x["rank"] for x in out["results"]] == [1, 2, 3]
    for x in out["results"]:
        assert x["label"].startswith("令和5年版 情報通信白書 第5章第8節") and x["label"] == x["citation"]["label"]
        assert x["quote"] and x["quote"] in x["text"]
        assert x["url"] is None and "chunk_id" in x
    # The same passages, in the same order, as the library's own search.
    direct = tools.searcher.search("DFFTとは何ですか", k=3, editions=["2023"])
    assert [x["chunk_id"] for x in out["results"]] == [r.chunk.id for r in direct.results]


def test_get_passage_and_list_editions(tools):
    first = tools.search_white_paper("JICTの支援決定額の累計は？", k=1)["results"][0]
    _, (p, eds) = run(
        _in_process, tools, [("get_passage", {"chunk_id": first["chunk_id"], "neighbours": 2}), ("list_editions", {})]
    )
    p = p.structured_content
    assert p["text"] == first["text"] and p["label"] == first["label"]
    assert 1 <= len(p["before"]) + len(p["after"]) <= 4
    assert {tuple(n["citation"]["path"]) for n in p["before"] + p["after"]} == {tuple(first["citation"]["path"])}
    e = eds.structured_content["editions"]
    assert [(x["edition"], x["year"], x["passages"]) for x in e] == [("令和5年版 情報通信白書", 2023, 87)]


@pytest.mark.parametrize(
    "name, args, says",
    [
        ("search_white_paper", {"question": "   "}, "the question is empty"),
        ("search_white_paper", {"question": "DFFT", "editions": ["2008"]}, "no passages of edition 2008"),
        ("search_white_paper", {"question": "DFFT", "k": 50}, "less than or equal to 20"),
        ("get_passage", {"chunk_id": "nope#1"}, "no passage with id 'nope#1'"),
    ],
)
def test_bad_calls_are_tool_errors_with_a_message(tools, name, args, says):
    _, (r,) = run(_in_process, tools, [(name, args)])
    assert r.is_error and says in r.content[0].text and "Traceback" not in r.content[0].text


def test_instructions_ask_to_quote_and_cite():
    text = mcp_tools.INSTRUCTIONS
    assert "Quote, do not paraphrase" in text and "`label`" in text and "answerable" in text


def test_loading_keeps_stdout_for_the_protocol(capfd):
    with mcp_tools._stdout_to_stderr():
        print("from python")
        os.write(1, b"from C\n")
    print("after")
    out, err = capfd.readouterr()
    assert out == "after\n" and "from python" in err and "from C" in err


# -- over stdio, as an MCP client runs it ---------------------------------------


def _params(index: Path) -> StdioServerParameters:
    env = {"PYTHONPATH": os.pathsep.join(p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH", "")) if p)}
    return StdioServerParameters(command=sys.executable, args=["-m", "ictqa", "mcp", "--index", str(index)], env=env)


async def _over_stdio(index: Path, question: str):
    with open(os.devnull, "w") as quiet:  # the server's log
        async with stdio_client(_params(index), errlog=quiet) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                listed = await session.list_tools()
                result = await session.call_tool("search_white_paper", {"question": question, "k": 3})
                return init, listed, result


def test_ictqa_mcp_over_stdio(fake_index):
    init, listed, result = run(_over_stdio, fake_index, "DFFTとは何ですか")
    assert init.server_info.name == "ictqa" and "Quote, do not paraphrase" in (init.instructions or "")
    assert sorted(t.name for t in listed.tools) == TOOLS
    assert not result.is_error and len(result.structured_content["results"]) == 3


@pytest.mark.slow
def test_members_question_finds_2_1_with_its_citation(real_index):
    _, _, result = run(_over_stdio, real_index, MEMBERS)
    assert not result.is_error
    out = result.structured_content
    top = out["results"][0]
    assert out["answerable"]
    assert top["label"] == "令和5年版 情報通信白書 第5章第8節 2(1) 総務省における海外展開支援ツール"
    assert "100を超える会員" in top["text"] and top["quote"] in top["text"]


def test_stdout_carries_only_protocol_messages(fake_index):
    """Every line `ictqa mcp` writes to stdout is a JSON-RPC message (the
    SDK client would skip a stray line, so this reads the raw stream)."""
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "search_white_paper", "arguments": {"question": "DFFTとは", "k": 1}}},
    ]  # fmt: skip
    params = _params(fake_index)
    proc = subprocess.Popen(
        [params.command, *params.args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(params.env or {})},
        text=True,
        encoding="utf-8",
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests))
        proc.stdin.flush()
        lines = []
        while not any(m.get("id") == 2 for m in lines):
            line = proc.stdout.readline()
            assert line, "the server closed stdout before answering"
            lines.append(json.loads(line))  # fails on anything but JSON
        assert all(m["jsonrpc"] == "2.0" for m in lines)
        answer = next(m for m in lines if m.get("id") == 2)["result"]
        assert not answer.get("isError") and answer["structuredContent"]["results"][0]["label"]
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def test_timeline_tool(tools):
    _, (result,) = run(_in_process, tools, [("timeline", {"topic": "DFFT", "k": 1})])
    out = result.structured_content
    assert out["first"]["label"].startswith("令和5年版") and out["editions"][0]["matches"] >= 1
    assert out["editions"][0]["results"][0]["quote"]
