# Shared helpers for tools/smoke-*.sh (sourced, not executed).
# shellcheck shell=bash

TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SEED_CACHE="${SEED_CACHE:-$HOME/.cache/seed-operator}"

smoke_log() { echo "[$SMOKE_NAME $(date +%H:%M:%S)] $*" >&2; }
smoke_fail() { smoke_log "FAIL: $*"; exit 1; }

# versions.env: plain KEY=VALUE lines, no shell expansion.
load_versions() {
  local key value
  while IFS='=' read -r key value; do
    [[ -z "$key" || "$key" == \#* ]] && continue
    printf -v "$key" '%s' "$value"
  done < "$TOOLS_DIR/versions.env"
}

# bin_path NAME VERSION [ENV_OVERRIDE_VALUE]
bin_path() {
  local p="${3:-$SEED_CACHE/bin/$1-$2}"
  [[ -x "$p" ]] || smoke_fail "$p missing: run tools/build-binaries.sh $1"
  echo "$p"
}

# free_ports N: N distinct free TCP ports on 127.0.0.1 (held open together
# while choosing so they differ; a tiny race with other processes remains).
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# free_port_pair: a free port P such that P+1 is free too (bao dev uses P+1
# for its cluster listener).
free_port_pair() {
  python3 - <<'PY'
import socket
for _ in range(200):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1))
    except OSError:
        a.close(); continue
    print(p); break
else:
    raise SystemExit("no free port pair")
PY
}

# wait_until TIMEOUT_SECONDS DESCRIPTION CMD...: retry CMD every 0.5 s.
# Fails early if any pid in SMOKE_PIDS died.
wait_until() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$(( $(date +%s) + timeout )) pid
  until "$@" >/dev/null 2>&1; do
    for pid in "${SMOKE_PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null || smoke_fail "process $pid exited while waiting for $what"
    done
    (( $(date +%s) < deadline )) || smoke_fail "timed out after ${timeout}s waiting for $what"
    sleep 0.5
  done
}

# Process bookkeeping and cleanup: processes are stopped by pid, in reverse
# start order, SIGTERM then SIGKILL after 15 s; the temp dir is removed.
SMOKE_PIDS=()
SMOKE_TMP=""
SMOKE_OK=0
smoke_cleanup() {
  local rc=$? i pid n
  trap - EXIT INT TERM
  for (( i=${#SMOKE_PIDS[@]}-1; i>=0; i-- )); do
    pid="${SMOKE_PIDS[$i]}"
    kill -TERM "$pid" 2>/dev/null || continue
    for (( n=0; n<30; n++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ $SMOKE_OK -ne 1 && -n "$SMOKE_TMP" ]]; then
    local f
    for f in "$SMOKE_TMP"/*.log; do
      [[ -f "$f" ]] || continue
      echo "----- last lines of $(basename "$f") -----" >&2
      tail -n 25 "$f" >&2
    done
  fi
  [[ -n "$SMOKE_TMP" ]] && rm -rf "$SMOKE_TMP"
  if [[ $SMOKE_OK -eq 1 && $rc -eq 0 ]]; then
    echo "$SMOKE_NAME: PASS"
  else
    echo "$SMOKE_NAME: FAIL (exit $rc)" >&2
    [[ $rc -eq 0 ]] && rc=1
  fi
  exit "$rc"
}

smoke_init() {
  SMOKE_NAME="$1"
  load_versions
  SMOKE_TMP="$(mktemp -d "${TMPDIR:-/tmp}/$SMOKE_NAME.XXXXXX")"
  trap smoke_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
