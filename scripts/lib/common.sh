# Shared helpers for the project's shell entry points. Progress goes to stderr.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# npm dependencies, from the lockfile.
ensure_node_modules() {
  cd "$REPO_ROOT"
  command -v node >/dev/null || die "node is not installed; install Node.js 20 (apt-get install nodejs npm)"
  local major; major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "Node.js $major is too old; Node.js 20 or newer is required"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    # `npm install`, not `npm ci`: the lockfile cannot list the biome binaries of other
    # platforms (the registry mirror serves only this one), which `npm ci` treats as drift.
    say "installing npm dependencies (npm install, from package-lock.json)"
    npm install --no-audit --no-fund >&2
  else
    say "npm dependencies already installed"
  fi
}

# Debian packages the lab and the integration tests run for real.
ensure_system_packages() {
  cd "$REPO_ROOT"
  say "checking Debian packages for the lab (PostgreSQL, Patroni, etcd, HAProxy, pgBackRest, SoftHSM2, nginx+ModSecurity+CRS, Prometheus)"
  node bin/hdsctl.js lab deps --install >&2
}

# Debian packages the test suite needs besides the lab's: Chromium opens the HTML reports.
ensure_test_packages() {
  if ! command -v chromium >/dev/null; then
    say "installing chromium (headless, to open the HTML policy report in a test)"
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium >&2 \
      || { apt-get update >&2 && apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium >&2; } \
      || die "could not install chromium; install it with: apt-get install chromium"
  fi
}
