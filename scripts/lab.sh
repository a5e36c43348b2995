#!/usr/bin/env bash
# The main job on the embedded default: validate every environment, bring the local lab up
# (installing the Debian packages it needs) and run its end-to-end smoke check.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"
[ "$(id -u)" -eq 0 ] || die "the lab creates network namespaces and a bridge: run as root (sudo npm run lab)"
ensure_node_modules
say "validating every environment (hdsctl validate --all)"
node bin/hdsctl.js validate --all
say "bringing the lab up (hdsctl lab up): namespaces hds-dc1/2/3, etcd, Patroni, HAProxy, pgBackRest, Ceph (stretched, RGW), SoftHSM2, reference service, WAF, Prometheus"
node bin/hdsctl.js lab up
say "smoke check (hdsctl lab smoke)"
node bin/hdsctl.js lab smoke
say "the lab keeps running: see it with 'npx hdsctl lab status', stop it with 'npx hdsctl lab down'"
