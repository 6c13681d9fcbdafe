#!/usr/bin/env bash
# Smoke test of helm: `helm version`, then `helm create` + `helm lint` +
# `helm template` of a trivial chart in a temp dir (no cluster needed).
# Exit 0 = pass; the temp dir is removed.
#
# Binary: ${SEED_CACHE:-$HOME/.cache/seed-operator}/bin/helm-<version>
# (tools/build-binaries.sh helm), or override with HELM_BIN.
set -euo pipefail
# shellcheck source=smoke-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/smoke-common.sh"
smoke_init smoke-helm

HELM="$(bin_path helm "$HELM_VERSION" "${HELM_BIN:-}")"
T="$SMOKE_TMP"
# Keep helm's config/cache/data out of $HOME.
export HOME="$T/home" HELM_CACHE_HOME="$T/helm/cache" HELM_CONFIG_HOME="$T/helm/config" \
  HELM_DATA_HOME="$T/helm/data"
unset KUBECONFIG HELM_KUBECONTEXT || true
mkdir -p "$HOME"

ver="$("$HELM" version)"
echo "    $ver" >&2
[[ "$ver" == *"Version:\"v$HELM_VERSION\""* ]] || smoke_fail "helm version is not v$HELM_VERSION"
smoke_log "ok: helm version"

(cd "$T" && "$HELM" create smoke >/dev/null) || smoke_fail "helm create"
cat > "$T/smoke/templates/seed-configmap.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-seed
  namespace: {{ .Release.Namespace }}
data:
  greeting: {{ .Values.greeting | default "hello" | quote }}
  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}
YAML
"$HELM" lint "$T/smoke" >"$T/lint.log" 2>&1 || { cat "$T/lint.log" >&2; smoke_fail "helm lint"; }
smoke_log "ok: helm lint"
out="$("$HELM" template rel1 "$T/smoke" --namespace demo --set greeting=hi-seed)" \
  || smoke_fail "helm template"
grep -q 'name: rel1-seed' <<<"$out" || smoke_fail "rendered ConfigMap missing"
grep -q 'greeting: "hi-seed"' <<<"$out" || smoke_fail "--set value not rendered"
grep -q 'kind: Deployment' <<<"$out" || smoke_fail "default Deployment not rendered"
smoke_log "ok: helm template ($(grep -c '^kind:' <<<"$out") objects; $(grep kubeVersion <<<"$out" | xargs))"
# Render against the Kubernetes version of the test tier.
"$HELM" template rel1 "$T/smoke" --kube-version "v$KUBERNETES_VERSION" >/dev/null \
  || smoke_fail "helm template --kube-version v$KUBERNETES_VERSION"
smoke_log "ok: helm template --kube-version v$KUBERNETES_VERSION"

SMOKE_OK=1
smoke_log "all helm checks passed"
