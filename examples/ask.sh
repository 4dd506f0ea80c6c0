#!/usr/bin/env bash
# Ask a running ictqa app from the shell through its JSON API (curl and jq).
#
#   python app.py &                                   # serves http://127.0.0.1:7860
#   bash examples/ask.sh "デジタル海外展開プラットフォームの会員数は？"
#   bash examples/ask.sh "What is DFFT?" 3           # 3 passages (1-20; default 5)
#   ICTQA_URL=http://127.0.0.1:7861 bash examples/ask.sh "ITU-Tでの日本の取組は？"
#
# Prints one passage a line: rank, citation label, then the highlighted
# sentence after "→".  A question the server refuses prints its message on
# stderr and exits 2, as `ictqa ask` does.
set -euo pipefail

url="${ICTQA_URL:-http://127.0.0.1:7860}"
if [ $# -lt 1 ]; then
    echo "usage: $0 QUESTION [K]" >&2
    exit 2
fi
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

status="$(curl -sS -G "$url/api/ask" --data-urlencode "q=$1" --data-urlencode "k=${2:-5}" -o "$out" -w '%{http_code}')"
if [ "$status" != 200 ]; then
    jq -r '"error: " + .error' "$out" >&2
    exit 2
fi
jq -r '
  if .answerable then empty else "(the indexed white papers do not seem to answer this; nearest passages follow)" end,
  (.results[] | "[\(.rank)] \(.citation.label)", "    → \(.highlight.text // "")")
' "$out"
