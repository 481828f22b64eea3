#!/usr/bin/env bash
# Regenerate docs/*.png: the first page of every document, rendered from each example.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for subject in government enterprise individual; do
  .venv/bin/beian render --answers "examples/$subject.yaml" --out "$tmp/$subject" --json > "$tmp/$subject.json"
  .venv/bin/python - "$tmp/$subject.json" "$subject" <<'PY'
import json, subprocess, sys
for doc in json.load(open(sys.argv[1], encoding="utf-8")):
    out = f"docs/{sys.argv[2]}-{doc['kind']}"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                    doc["path"], out], check=True)
    print(out + ".png")
PY
done
.venv/bin/beian diagrams --out docs
