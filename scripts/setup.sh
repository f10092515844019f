#!/usr/bin/env bash
# Sets up a fresh Debian machine (as root, or with sudo) to build and test imagestreams:
# the Debian packages the integration tests run for real (and jemalloc, which the container image runs the daemon
# with and `npm run bench -- scale` loads the same way), then the npm dependencies (which build the CLI).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(docker-registry skopeo apache2-utils openssl git libjemalloc2)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian package starts a system registry on :5000; tests start their own on free ports, so stop it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl stop docker-registry || true
fi

# kustomize write-back is checked by rendering overlays with the real `kubectl kustomize`. The machine image ships
# kubectl 1.32 (kustomize 5.5). Where there is no kubectl at all, Debian's kubernetes-client is the fallback (1.20,
# kustomize 2: too old for the render checks, which then say so in their skip reason); it is never installed over
# an existing kubectl, with which it conflicts.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "setup: no kubectl found; installing Debian's kubernetes-client for kubectl kustomize"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null || echo "setup: kubernetes-client could not be installed; the kustomize render checks will be skipped"
fi
if command -v kubectl >/dev/null 2>&1; then
  echo "setup: $(kubectl version --client 2>/dev/null | grep -i kustomize || echo 'kubectl without a kustomize version')"
fi

node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("setup: Node.js >= 20.19 is required, found "+process.versions.node); process.exit(1) }'
npm ci --no-audit --no-fund
