#!/usr/bin/env bash
# Smoke test of OpenBao in dev mode on 127.0.0.1: health API, `bao status`,
# kv v2 mounted at secret/, transit enable + encrypt/decrypt round trip.
# Starts the server, checks, stops it and removes its temp dir. Exit 0 = pass.
#
# Binary: ${SEED_CACHE:-$HOME/.cache/seed-operator}/bin/bao-<version>
# (tools/build-binaries.sh bao), or override with BAO_BIN.
set -euo pipefail
# shellcheck source=smoke-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/smoke-common.sh"
smoke_init smoke-openbao

BAO="$(bin_path bao "$OPENBAO_VERSION" "${BAO_BIN:-}")"
T="$SMOKE_TMP"
mkdir -p "$T/home"
# The dev server's cluster listener takes port+1, so pick a free pair.
PORT="$(free_port_pair)"
# HOME in the temp dir: the token helper writes ~/.vault-token.
export HOME="$T/home" BAO_ADDR="http://127.0.0.1:$PORT" BAO_TOKEN=root
unset BAO_NAMESPACE VAULT_ADDR VAULT_TOKEN || true
smoke_log "bao $OPENBAO_VERSION dev server on $BAO_ADDR; tmp=$T"

"$BAO" server -dev -dev-root-token-id=root -dev-listen-address="127.0.0.1:$PORT" \
  -dev-no-store-token > "$T/bao.log" 2>&1 &
SMOKE_PIDS+=($!)
START=$(date +%s)
wait_until 60 "bao /v1/sys/health" curl -sf "$BAO_ADDR/v1/sys/health"
smoke_log "bao ready after $(( $(date +%s) - START ))s"

json_get() {  # json_get PYTHON_EXPR  (stdin JSON bound to d)
  python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
check() {
  local what="$1" out; shift
  if out="$("$@" 2>&1)"; then
    printf '%s\n' "$out" | sed 's/^/    /' >&2
    smoke_log "ok: $what"
  else
    printf '%s\n' "$out" | sed 's/^/    /' >&2
    smoke_fail "$what"
  fi
}

health="$(curl -sf "$BAO_ADDR/v1/sys/health")"
echo "    $health" >&2
[[ "$(json_get 'd["initialized"] and not d["sealed"]' <<<"$health")" == True ]] \
  || smoke_fail "health: not initialized/unsealed"
[[ "$(json_get 'd["version"]' <<<"$health")" == "$OPENBAO_VERSION"* ]] \
  || smoke_fail "health: version is not $OPENBAO_VERSION"
smoke_log "ok: /v1/sys/health initialized, unsealed, version $OPENBAO_VERSION"

check "bao status" "$BAO" status

mounts="$("$BAO" secrets list -format=json)"
[[ "$(json_get 'd["secret/"]["type"] + ":" + d["secret/"]["options"]["version"]' <<<"$mounts")" == "kv:2" ]] \
  || smoke_fail "secret/ is not a kv v2 mount: $mounts"
smoke_log "ok: secret/ is kv version 2"
check "kv put" "$BAO" kv put secret/smoke password=hunter2
[[ "$("$BAO" kv get -field=password secret/smoke)" == hunter2 ]] || smoke_fail "kv get"
smoke_log "ok: kv get secret/smoke"

check "enable transit" "$BAO" secrets enable transit
check "transit key" "$BAO" write -f transit/keys/smoke
plain="$(printf 'seed-operator' | base64)"
ct="$("$BAO" write -field=ciphertext transit/encrypt/smoke plaintext="$plain")"
[[ "$ct" == vault:v1:* ]] || smoke_fail "transit encrypt returned '$ct'"
back="$("$BAO" write -field=plaintext transit/decrypt/smoke ciphertext="$ct" | base64 -d)"
[[ "$back" == seed-operator ]] || smoke_fail "transit decrypt returned '$back'"
smoke_log "ok: transit encrypt/decrypt round trip ($ct)"

# Same over the raw HTTP API, as the operator's Python client would do.
code="$(curl -s -o "$T/mounts.json" -w '%{http_code}' -H "X-Vault-Token: root" "$BAO_ADDR/v1/sys/mounts/transit")"
[[ "$code" == 200 ]] || smoke_fail "GET /v1/sys/mounts/transit -> $code"
smoke_log "ok: HTTP GET /v1/sys/mounts/transit -> 200"

SMOKE_OK=1
smoke_log "all openbao checks passed"
