#!/usr/bin/env bash
# The main job on the embedded default: validate every environment, then show the lab.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"
ensure_node_modules
say "validating every environment (hdsctl validate --all)"
node bin/hdsctl.js validate --all
say "the lab environment (hdsctl show --env lab)"
node bin/hdsctl.js show --env lab
