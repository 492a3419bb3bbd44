#!/usr/bin/env bash
# The whole exportsync job on a fresh Debian/Ubuntu machine, in one command: installs Chromium
# when it is missing, builds exportsync, then runs `exportsync demo`, which starts the simulated
# backend panel, the Sheets API emulator and a Telegram fake on loopback, runs the job twice
# (the second run writes nothing) and prints the reports, the Telegram messages and the sheets.
# Extra arguments go to `exportsync demo` (e.g. --rows-per-day 1000).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1 \
  && ! command -v chromium-browser >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
  echo "demo: installing Debian's chromium (set CHROMIUM_PATH to use another browser)"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq chromium fonts-liberation >/dev/null
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/exportsync-target}"
cargo build --release --locked --quiet
exec "$CARGO_TARGET_DIR/release/exportsync" demo "$@"
