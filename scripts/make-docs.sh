#!/usr/bin/env bash
# Regenerate docs/*.png: the first page of every document, rendered from each example.
set -euo pipefail
cd "$(dirname "$0")/.."
export BEIAN_TODAY="${BEIAN_TODAY:-2026-11-28}"  # the same pictures from one day to the next
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for subject in government enterprise individual; do
  .venv/bin/beian render --answers "examples/$subject.yaml" --out "$tmp/$subject" --json > "$tmp/$subject.json"
  .venv/bin/python - "$tmp/$subject.json" "$subject" <<'PY'
import json, subprocess, sys
seen: dict[str, int] = {}
for doc in json.load(open(sys.argv[1], encoding="utf-8")):
    seen[doc["kind"]] = seen.get(doc["kind"], 0) + 1  # a filing form per bureau: -2 for the second
    suffix = f"-{seen[doc['kind']]}" if seen[doc["kind"]] > 1 else ""
    out = f"docs/{sys.argv[2]}-{doc['kind']}{suffix}"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                    doc["path"], out], check=True)
    print(out + ".png")
PY
done
.venv/bin/beian diagrams --out docs
.venv/bin/python scripts/desk-screenshots.py docs  # the bureau's desk, in Debian's Chromium
