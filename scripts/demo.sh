#!/usr/bin/env bash
# Runs exportsync's main job end to end on this machine, against the bundled simulators:
# starts the simulated backend panel and the Sheets API emulator on free loopback ports, logs
# in with headless Chromium, downloads the four exports of yesterday and today, shows what was
# read from one of them, upserts each into its emulated Google Sheet twice (the second run
# writes nothing), and stops the simulators. Needs cargo and Debian's chromium (see README).
# Until the scheduled `run` command exists, the export -> sheet mapping below mirrors
# examples/sim.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/exportsync-target}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/exportsync"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a simulator in the background (in this shell, so that cleanup can stop it).
start_sim() {
  local log=$1
  shift
  "$bin" sim "$@" >"$log" 2>&1 &
  pids+=($!)
}

# Prints the first match of a URL pattern in a simulator's log, waiting at most 20 s for it.
wait_for_url() {
  local log=$1 pattern=$2 url
  for _ in $(seq 200); do
    if url=$(grep -oE "$pattern" "$log" | head -n1) && [ -n "$url" ]; then
      echo "$url"
      return 0
    fi
    sleep 0.1
  done
  echo "demo: the simulator did not start:" >&2
  cat "$log" >&2
  return 1
}

start_sim "$work/backend.log" backend --port 0
backend=$(wait_for_url "$work/backend.log" 'http://127\.0\.0\.1:[0-9]+')
echo "backend simulator: $backend"
# The emulator writes a secrets file whose service-account key (generated now) points at it.
start_sim "$work/sheets.log" sheets --port 0 \
  --spreadsheet sim-transactions --spreadsheet sim-point-transactions \
  --spreadsheet sim-users --spreadsheet sim-coin-payments --secrets-out "$work/google.json"
sheets=$(wait_for_url "$work/sheets.log" 'http://127\.0\.0\.1:[0-9]+/')
echo "Sheets API emulator: $sheets"
export SHEETS_API_BASE_URL="$sheets"

# The simulator's demo login (printed by `exportsync sim backend`), as a secrets file.
cat >"$work/secrets.json" <<JSON
{"backend": {"email": "demo@example.com", "password": "demo-password"}}
JSON

"$bin" export --config examples/sim.toml --backend-url "$backend" \
  --secrets-file "$work/secrets.json" --out "$work/out"

first=$(ls "$work/out"/*.xlsx | head -n1)
echo
echo "what exportsync reads from $(basename "$first"):"
"$bin" inspect "$first"

# Each export into its emulated sheet, keyed as in examples/sim.toml. Twice: the second pass
# finds nothing to change and makes zero write requests.
upsert_all() {
  for f in "$work/out"/*.xlsx; do
    name=$(basename "$f" | sed -E 's/_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{4}-[0-9]{2}-[0-9]{2}\.xlsx$//')
    case "$name" in
      transactions) target=(--spreadsheet sim-transactions --key "Transaksi ID") ;;
      point_transactions) target=(--spreadsheet sim-point-transactions --whole-row) ;;
      users) target=(--spreadsheet sim-users --whole-row) ;;
      coin_payments) target=(--spreadsheet sim-coin-payments --whole-row) ;;
      *) continue ;;
    esac
    "$bin" upsert "$f" "${target[@]}" --secrets-file "$work/google.json" --json
  done
}
echo
echo "upsert into the emulated Google Sheets (first pass):"
upsert_all
echo
echo "upsert again with the same files (nothing to write):"
upsert_all
