"""An OpenAPI description as one self-contained HTML page (``/api/docs`` in
a browser).  Swagger UI and ReDoc load their scripts from a CDN, and ictqa
runs offline; this page needs nothing but itself.  Pure; every string from
the description goes through ``html.escape``."""

from __future__ import annotations

import html
import json
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")

_CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
h2{border-top:1px solid #ddd;padding-top:1rem;font-family:ui-monospace,monospace;font-size:1.1rem}
.method{display:inline-block;min-width:3.5rem;color:#fff;background:#2563eb;border-radius:4px;padding:0 .4rem;margin-right:.5rem;text-align:center}
.method.post{background:#15803d}
pre{background:#f5f5f5;padding:.6rem;overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
code{font-family:ui-monospace,monospace}
"""


def render_docs(spec: dict[str, Any], *, openapi_url: str) -> str:
    info = spec.get("info", {})
    title = _e(info.get("title", "API"))
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title><style>{_CSS}</style></head><body>",
        f"<h1>{title} <small>{_e(info.get('version', ''))}</small></h1>",
    ]
    if info.get("summary"):
        parts.append(f"<p><strong>{_e(info['summary'])}</strong></p>")
    parts.append(_text(info.get("description", "")))
    parts.append(f"<p>Machine-readable: <a href='{_e(openapi_url)}'><code>{_e(openapi_url)}</code></a> (OpenAPI 3).</p>")
    for path, ops in spec.get("paths", {}).items():
        for method in _METHODS:
            if method in ops:
                parts.append(_operation(path, method, ops[method]))
    parts.append("</body></html>")
    return "\n".join(parts)


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    out = [
        f"<h2 id='{_e(op.get('operationId', ''))}'><span class='method {method}'>{method.upper()}</span>{_e(path)}</h2>",
        f"<p><strong>{_e(op.get('summary', ''))}</strong></p>",
        _text(op.get("description", "")),
    ]
    params = op.get("parameters") or []
    if params:
        out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>")
        for p in params:
            name = _e(p.get("name", "")) + (" (required)" if p.get("required") else "")
            desc = _e(p.get("description", ""))
            out.append(
                f"<tr><td><code>{name}</code></td><td>{_e(p.get('in', ''))}</td><td>{_schema(p.get('schema', {}))}</td><td>{desc}</td></tr>"
            )
        out.append("</table>")
    body = op.get("requestBody")
    if body:
        types = ", ".join(f"<code>{_e(t)}</code>" for t in body.get("content", {}))
        out.append(f"<p>Body: {types}. {_e(body.get('description', ''))}</p>")
        for media in body.get("content", {}).values():
            if "example" in media:
                out.append(f"<pre>{_e(json.dumps(media['example'], ensure_ascii=False))}</pre>")
    responses = op.get("responses") or {}
    if responses:
        out.append("<table><tr><th>status</th><th>meaning</th></tr>")
        for status, r in responses.items():
            out.append(f"<tr><td>{_e(str(status))}</td><td>{_e(r.get('description', ''))}</td></tr>")
        out.append("</table>")
    return "\n".join(out)


def _schema(s: dict[str, Any]) -> str:
    """A parameter's type in a few words: integer 1–20, one of …, list of string."""
    if "anyOf" in s:
        return " or ".join(_schema(x) for x in s["anyOf"] if x.get("type") != "null")
    if "enum" in s:
        return "one of " + ", ".join(f"<code>{_e(str(v))}</code>" for v in s["enum"])
    kind = s.get("type", "")
    if kind == "array":
        return "list of " + _schema(s.get("items", {}))
    bounds = [str(s[k]) for k in ("minimum", "maximum") if k in s]
    text = _e(kind) + (f" {'–'.join(bounds)}" if len(bounds) == 2 else "")
    if "default" in s and s["default"] not in ([], None):
        text += f" (default {_e(str(s['default']))})"
    return text


def _text(description: str) -> str:
    """Paragraphs; a paragraph of lines indented by four spaces is code."""
    out = []
    for para in description.split("\n\n"):
        lines = para.split("\n")
        if all(line.startswith("    ") for line in lines if line.strip()):
            out.append("<pre>" + _e("\n".join(line[4:] for line in lines)) + "</pre>")
        elif para.strip():
            out.append(f"<p>{_e(' '.join(line.strip() for line in lines))}</p>")
    return "\n".join(out)


def _e(s: str) -> str:
    return html.escape(str(s), quote=True)
