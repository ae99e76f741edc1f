#!/usr/bin/env bash
# Installs what packgen needs on a fresh Debian/Ubuntu machine, then the package into .venv.
# Safe to run again: it skips what is already there. Called by `make demo` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1 || need_apt+=(libreoffice-writer-nogui)
# The fonts an ordinary LibreOffice desktop has, so documents and the pack's own text show every
# script a school's names come in. Chinese: WenQuanYi Micro Hei, whose TrueType outlines the pack's
# typeface can embed (Noto CJK's PostScript outlines it cannot).
[ -e /usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf ] || need_apt+=(fonts-liberation2)
[ -e /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] || need_apt+=(fonts-liberation)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf ] || need_apt+=(fonts-dejavu)
[ -e /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ] || need_apt+=(fonts-noto-core)
[ -e /usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf ] || need_apt+=(fonts-crosextra-carlito)
[ -e /usr/share/fonts/truetype/crosextra/Caladea-Regular.ttf ] || need_apt+=(fonts-crosextra-caladea)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need_apt+=(fonts-wqy-microhei)
command -v fc-list >/dev/null 2>&1 || need_apt+=(fontconfig)
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)  # the web page's browser tests
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null || need_apt+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)

if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing system packages: ${need_apt[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    else
        echo "packgen needs these system packages: ${need_apt[*]}" >&2
        echo "Install them as root, for example:" >&2
        echo "  sudo apt-get install --no-install-recommends ${need_apt[*]}" >&2
        exit 1
    fi
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ] || [ requirements.lock -nt .venv/.installed ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    # Pinned: a new release of a dependency cannot change what a school gets overnight.
    .venv/bin/python -m pip install --quiet -c requirements.lock -e '.[test]'
    touch .venv/.installed
fi
