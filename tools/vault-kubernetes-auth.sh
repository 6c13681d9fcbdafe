#!/usr/bin/env bash
# Vault's (or OpenBao's) Kubernetes auth for the chart's default runner.vault.auth=kubernetes:
# the Jobs log in with the seed-runner ServiceAccount token and get a policy that reads the salts
# and signs reports, nothing else. Run it once per cluster, as a Vault administrator, with kubectl
# pointed at the cluster:
#
#   VAULT_ADDR=https://vault.example:8200 VAULT_TOKEN=... tools/vault-kubernetes-auth.sh seeding [NS...]
#
# It makes (idempotently):
#   1. a ServiceAccount vault-token-reviewer in $REVIEWER_NAMESPACE (kube-system) bound to
#      system:auth-delegator, whose token Vault uses to review the Jobs' tokens (TokenReview);
#   2. the auth method at auth/$SEED_VAULT_AUTH_MOUNT (kubernetes), pointed at the API server of
#      kubectl's current context (KUBERNETES_HOST overrides, e.g. https://kubernetes.default.svc
#      for a Vault running in the cluster) with its CA;
#   3. the policy $SEED_VAULT_ROLE: read $KV_MOUNT/{data,metadata}/seeding/*, read the Transit key
#      and sign/verify with it;
#   4. the role $SEED_VAULT_ROLE (seed-runner), bound to ServiceAccount seed-runner in the given
#      namespaces (those where SeedRuns run).
# Env: VAULT_CLI (vault, or bao), KUBECTL, SEED_VAULT_ROLE, SEED_VAULT_AUTH_MOUNT, KV_MOUNT,
#      TRANSIT_MOUNT, SIGNING_KEY, RUNNER_SERVICE_ACCOUNT, REVIEWER_NAMESPACE, KUBERNETES_HOST.
set -euo pipefail

[[ $# -ge 1 ]] || { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
VAULT="${VAULT_CLI:-vault}"
KUBECTL="${KUBECTL:-kubectl}"
ROLE="${SEED_VAULT_ROLE:-seed-runner}"
MOUNT="${SEED_VAULT_AUTH_MOUNT:-kubernetes}"
KV="${KV_MOUNT:-secret}"
TRANSIT="${TRANSIT_MOUNT:-transit}"
KEY="${SIGNING_KEY:-seeding-reports}"
RUNNER_SA="${RUNNER_SERVICE_ACCOUNT:-seed-runner}"
REVIEWER_NS="${REVIEWER_NAMESPACE:-kube-system}"
REVIEWER=vault-token-reviewer
NAMESPACES="$(IFS=,; echo "$*")"

say() { echo "vault-kubernetes-auth: $*" >&2; }

say "1. ServiceAccount $REVIEWER_NS/$REVIEWER with system:auth-delegator"
"$KUBECTL" -n "$REVIEWER_NS" create serviceaccount "$REVIEWER" --dry-run=client -o yaml \
  | "$KUBECTL" apply -f - >/dev/null
"$KUBECTL" create clusterrolebinding "$REVIEWER" --clusterrole=system:auth-delegator \
  --serviceaccount="$REVIEWER_NS:$REVIEWER" --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
reviewer_jwt="$("$KUBECTL" -n "$REVIEWER_NS" create token "$REVIEWER" --duration=8760h)"
host="${KUBERNETES_HOST:-$("$KUBECTL" config view --minify --raw -o jsonpath='{.clusters[0].cluster.server}')}"
ca="$("$KUBECTL" config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d)"

say "2. auth method auth/$MOUNT -> $host"
if ! "$VAULT" auth list -format=json | grep -q "\"$MOUNT/\""; then
  "$VAULT" auth enable -path="$MOUNT" kubernetes >/dev/null
fi
"$VAULT" write "auth/$MOUNT/config" kubernetes_host="$host" kubernetes_ca_cert="$ca" \
  token_reviewer_jwt="$reviewer_jwt" disable_local_ca_jwt=true >/dev/null

say "3. policy $ROLE"
"$VAULT" policy write "$ROLE" - >/dev/null <<POLICY
# seedctl reads the tenants' salts (KV v2) ...
path "$KV/data/seeding/*" { capabilities = ["read"] }
path "$KV/metadata/seeding/*" { capabilities = ["read"] }
# ... and signs (and checks) the WORM reports with the Transit key.
path "$TRANSIT/keys/$KEY" { capabilities = ["read"] }
path "$TRANSIT/sign/$KEY" { capabilities = ["update"] }
path "$TRANSIT/sign/$KEY/*" { capabilities = ["update"] }
path "$TRANSIT/verify/$KEY" { capabilities = ["update"] }
path "$TRANSIT/verify/$KEY/*" { capabilities = ["update"] }
POLICY

say "4. role $ROLE: ServiceAccount $RUNNER_SA in $NAMESPACES"
"$VAULT" write "auth/$MOUNT/role/$ROLE" bound_service_account_names="$RUNNER_SA" \
  bound_service_account_namespaces="$NAMESPACES" policies="$ROLE" ttl=1h >/dev/null
say "done: install the chart with runner.vault.auth=kubernetes (the default), runner.vault.role=$ROLE"
