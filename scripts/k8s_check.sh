#!/usr/bin/env bash
# Offline check of the Kubernetes manifests (deploy/k8s), no cluster needed: renders every overlay with
# `kubectl kustomize` (kubectl 1.20 from Debian 12 or any newer one) and checks every object against the
# Kubernetes schema and the operators' documented schemas (RabbitMQ, CloudNativePG, Prometheus;
# deploy/k8s/check/check_manifests.py, with Debian's python3-kubernetes); then proves the checker refuses
# broken copies (selftest.py).
# Exits non-zero if anything fails. Needs: kubectl, /usr/bin/python3 with python3-kubernetes and
# python3-yaml (scripts/lib.sh install_packages installs them).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
k8s="$root/deploy/k8s"
# Debian's Python: the checker imports Debian's python3-kubernetes, not a pyenv or venv interpreter.
python=/usr/bin/python3

command -v kubectl >/dev/null || { echo "k8s check: kubectl not found (install kubernetes-client)" >&2; exit 1; }
"$python" -c 'import kubernetes, yaml' 2>/dev/null ||
  { echo "k8s check: $python lacks python3-kubernetes / python3-yaml" >&2; exit 1; }

# Renders a kustomization; newer kustomize warns about `bases`/`patchesStrategicMerge`, kept on purpose
# for kubectl 1.20 (see deploy/k8s/overlays/*/kustomization.yaml): those two warnings are dropped.
render() {
  kubectl kustomize "$1" 2> >(grep -v -E "^# Warning: '(bases|patchesStrategicMerge)' is deprecated" >&2)
}

failed=0
rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
for overlay in "$k8s"/overlays/*/; do
  name=$(basename "$overlay")
  if ! render "$overlay" >"$rendered"; then
    echo "k8s check: kubectl kustomize failed for overlays/$name" >&2
    failed=1
    continue
  fi
  printf 'overlays/%s: ' "$name"
  (cd "$k8s/check" && "$python" check_manifests.py "$rendered") || failed=1
done
echo "the checker refuses broken copies of overlays/production:"
render "$k8s/overlays/production" | (cd "$k8s/check" && "$python" selftest.py) || failed=1
exit "$failed"
