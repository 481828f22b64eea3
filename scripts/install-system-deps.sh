#!/usr/bin/env bash
# Install the Debian packages beian needs, only those missing (fresh Debian, as root or via sudo).
set -euo pipefail

packages=(
  fonts-wqy-microhei     # CJK font embedded in the PDFs
  libharfbuzz-subset0    # font subsetting in ~70 ms instead of ~1 s
  libpango-1.0-0         # WeasyPrint's text layout
  libpangoft2-1.0-0
  fonts-dejavu-core      # symbols (☐ ☑) in the PDFs
  fonts-hanazono         # rare characters (CJK Ext. A/B, e.g. 𠮷 㵘) WenQuanYi lacks
  poppler-utils          # pdftoppm: the document pictures in docs/
  chromium               # the desk's browser tests (Playwright drives it; no browser download)
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
