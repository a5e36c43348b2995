#!/usr/bin/env bash
# bootstrap.sh — rebuild the hds-platform from this reversibility export alone (EXG_REV_1,
# EXG_REV_9, EXG_REV_14, EXG_REV_19). What the taker ("repreneur") runs on a fresh Debian machine,
# with the export and nothing else from us. See README.md next to it and docs/reversibility.md.
#
#   [1/6] verify: the signature of SHA256SUMS (openssl, signing-cert.pem, optionally against
#         --trusted-ca), then every file (sha256sum): a changed, missing or extra file, a symbolic
#         link or a special file is named and the run stops (exit 1);
#   [2/6] install the missing Debian packages of kit/debian-packages.txt (apt-get, root), check
#         Node.js >= 20 and npm;
#   [3/6] rebuild the toolkit: git clone of kit/hds-platform.bundle into <work>/src, checkout of
#         kit/COMMIT, its package-lock.json compared with kit/package-lock.json, npm ci;
#   [4-6] hand over to `hdsctl reversibility import` (rebuild the platform in its own network
#         namespaces, load the data, re-import the documents, verify counts and hashes against
#         manifest.json, smoke checks, report) and exit with its exit code.
#
# Exit codes: 0 the rebuilt platform matches the export; 1 an error (verification failed, a
# prerequisite is missing, a step failed); otherwise the import's (2: differences found).
# It deletes nothing it did not create: the work directory is refused when it exists, is not
# empty and does not hold the marker file this script writes there.
set -Eeuo pipefail
umask 022
export LC_ALL=C

readonly NODE_MIN_MAJOR=20
readonly TOTAL_STEPS=6
readonly MARKER=.hds-takeover
readonly SUMS=SHA256SUMS
readonly SIG=SHA256SUMS.sig
readonly CERT=signing-cert.pem

usage() {
  cat <<'EOF'
Usage: bootstrap.sh [--export DIR] [--work DIR] [--recipient-key KEY --recipient-cert CERT]
                    [--trusted-ca CA.pem] [--no-install] [--keep] [--json] [--verify-only]

Rebuilds the hds-platform from this reversibility export alone: verifies its signature and every
file, installs the missing Debian packages, rebuilds the toolkit from the kit, then rebuilds the
platform, loads the data and documents and checks them against the manifest (hdsctl reversibility
import). Run as root on Debian, with Node.js 20 or newer.

  --export DIR           the export (default: the directory this script is in)
  --work DIR             where the toolkit and the rebuilt platform go (default: hds-takeover next
                         to the export); refused inside the export, and refused when it exists, is
                         not empty and was not made by this script (marker file .hds-takeover)
  --recipient-key KEY    the taker's private key (PEM) the documents were encrypted for
  --recipient-cert CERT  its certificate (PEM); without the pair, documents are not re-imported
  --trusted-ca CA.pem    the authority that must have issued signing-cert.pem
  --no-install           install nothing; stop when a Debian package is missing
  --keep                 leave the rebuilt platform running
  --json                 the report as JSON on stdout
  --verify-only          stop after step 1 (needs neither root nor network)
  --toolkit DIR          use this checkout of the toolkit (at kit/COMMIT, same lockfile, its
                         node_modules installed) instead of cloning the bundle and running npm ci:
                         a quicker blank run on the exporting machine; the report says so
  -h, --help             this help

Exit codes: 0 identical, 1 error, 2 differences found (from the import).
EOF
}

STEP=0
STEP_NAME='arguments'
JSON=false
TMP=''

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\t'/\\t}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  printf '"%s"' "$s"
}

# fail MESSAGE [PROBLEM...]: each problem on its own line, then one line naming the step; exit 1.
fail() {
  local msg=$1
  shift
  local p
  for p in "$@"; do printf 'bootstrap: %s\n' "$p" >&2; done
  printf 'bootstrap: step %s/%s (%s) failed: %s\n' "$STEP" "$TOTAL_STEPS" "$STEP_NAME" "$msg" >&2
  if $JSON; then
    local sep='' items=''
    for p in "$@"; do
      items+="$sep$(json_str "$p")"
      sep=','
    done
    printf '{"ok":false,"step":%s,"stepName":%s,"error":%s,"problems":[%s]}\n' "$STEP" "$(json_str "$STEP_NAME")" "$(json_str "$msg")" "$items"
  fi
  exit 1
}

on_error() {
  local rc=$1 line=$2 cmd=$3
  printf 'bootstrap: step %s/%s (%s) failed: line %s: `%s` exited with %s\n' "$STEP" "$TOTAL_STEPS" "$STEP_NAME" "$line" "$cmd" "$rc" >&2
  if $JSON; then
    printf '{"ok":false,"step":%s,"stepName":%s,"error":%s,"problems":[]}\n' "$STEP" "$(json_str "$STEP_NAME")" "$(json_str "line $line: $cmd exited with $rc")"
  fi
  exit 1
}
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR
trap '[[ -n $TMP ]] && rm -rf -- "$TMP"' EXIT

step() {
  STEP=$1
  STEP_NAME=$2
  printf '[%s/%s] %s\n' "$STEP" "$TOTAL_STEPS" "$3" >&2
}
info() { printf '      %s\n' "$*" >&2; }

# ---------------------------------------------------------------------------------------------
# Arguments: every one checked before anything is read or written.

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
EXPORT=''
WORK=''
RKEY=''
RCERT=''
TRUSTED_CA=''
INSTALL=true
KEEP=false
VERIFY_ONLY=false
TOOLKIT=''

need_value() { [[ $# -ge 2 && -n $2 ]] || fail "$1 needs a value; see --help"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --export) need_value "$@"; EXPORT=$2; shift 2 ;;
    --work) need_value "$@"; WORK=$2; shift 2 ;;
    --recipient-key) need_value "$@"; RKEY=$2; shift 2 ;;
    --recipient-cert) need_value "$@"; RCERT=$2; shift 2 ;;
    --trusted-ca) need_value "$@"; TRUSTED_CA=$2; shift 2 ;;
    --no-install) INSTALL=false; shift ;;
    --keep) KEEP=true; shift ;;
    --json) JSON=true; shift ;;
    --verify-only) VERIFY_ONLY=true; shift ;;
    --toolkit) need_value "$@"; TOOLKIT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) fail "unknown argument '$1'; see --help" ;;
  esac
done

command -v realpath >/dev/null || fail 'realpath (GNU coreutils) is not installed; install coreutils'
EXPORT=${EXPORT:-$SCRIPT_DIR}
[[ -d $EXPORT ]] || fail "--export $EXPORT: not a directory; give the export's directory"
EXPORT=$(realpath -e -- "$EXPORT")
[[ $EXPORT != / ]] || fail '--export /: refused; give the export directory'
if [[ -n $RKEY || -n $RCERT ]]; then
  [[ -n $RKEY && -n $RCERT ]] || fail '--recipient-key and --recipient-cert go together; give both, or neither (the documents are then not re-imported)'
  [[ -f $RKEY && -r $RKEY ]] || fail "--recipient-key $RKEY: not a readable file; give the taker's private key (PEM)"
  [[ -f $RCERT && -r $RCERT ]] || fail "--recipient-cert $RCERT: not a readable file; give the taker's certificate (PEM)"
  RKEY=$(realpath -e -- "$RKEY")
  RCERT=$(realpath -e -- "$RCERT")
fi
if [[ -n $TRUSTED_CA ]]; then
  [[ -f $TRUSTED_CA && -r $TRUSTED_CA ]] || fail "--trusted-ca $TRUSTED_CA: not a readable file; give the authority's certificate (PEM)"
  TRUSTED_CA=$(realpath -e -- "$TRUSTED_CA")
fi
WORK=${WORK:-$(dirname -- "$EXPORT")/hds-takeover}
WORK=$(realpath -m -- "$WORK")
# The rebuilt lab's Unix sockets live under <work>/state/<env>/ (PostgreSQL: 64 characters more) and
# Linux limits a socket path to 107 bytes: a short --work (hdsctl reversibility import checks it exactly).
if ! $VERIFY_ONLY && ((${#WORK} > 30)); then
  fail "--work $WORK: ${#WORK} characters, over 30 (the rebuilt lab's Unix sockets live under it and Linux limits their paths to 107 bytes); give a short one, e.g. --work /srv/hds-takeover"
fi
case "$WORK/" in
  "$EXPORT/"*) fail "--work $WORK: inside the export; the export must stay as signed: choose a directory outside it" ;;
esac
case "$EXPORT/" in
  "$WORK/"*) fail "--work $WORK: holds the export; choose a directory that does not contain it" ;;
esac
# The work directory: ours (marker), empty, or absent; anything else is someone else's.
if [[ -e $WORK || -L $WORK ]]; then
  [[ -d $WORK && ! -L $WORK ]] || fail "--work $WORK: exists and is not a directory; choose another --work"
  if [[ ! -f $WORK/$MARKER ]]; then
    [[ -z $(ls -A -- "$WORK") ]] || fail "--work $WORK: exists, is not empty and was not made by bootstrap.sh (no $MARKER file); choose another --work or empty it yourself"
  fi
fi
for tool in openssl sha256sum find sort comm awk; do
  command -v "$tool" >/dev/null || fail "$tool is not installed; install it (apt-get install openssl coreutils findutils mawk) and run again"
done
TMP=$(mktemp -d)

# ---------------------------------------------------------------------------------------------
step 1 verify "verifying the export's signature and every file ($EXPORT)"
cd -- "$EXPORT"

for f in "$SUMS" "$CERT"; do
  [[ -f $f && ! -L $f ]] || fail "$f: missing; this is not a complete hds-platform export: ask the exporter for the export as signed"
done
[[ -f $SIG && ! -L $SIG ]] || fail "$SIG: missing: the export is not signed; refuse it and ask the exporter for the signed export"
[[ -s $SIG ]] || fail "$SIG: empty: the export is not signed; refuse it and ask the exporter for the signed export"
openssl x509 -in "$CERT" -noout 2>/dev/null || fail "$CERT: not a PEM X.509 certificate; the export is damaged: ask the exporter for it again"
FINGERPRINT=$(openssl x509 -in "$CERT" -noout -fingerprint -sha256 | sed 's/^[^=]*=//')
SUBJECT=$(openssl x509 -in "$CERT" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
if [[ -n $TRUSTED_CA ]]; then
  if ! out=$(openssl verify -CAfile "$TRUSTED_CA" "$CERT" 2>&1); then
    fail "$CERT: not issued by --trusted-ca $TRUSTED_CA ($(printf '%s' "$out" | grep -m1 -i 'error' || printf '%s' "$out" | tail -n1)); do not use this export"
  fi
  info "signing certificate issued by the trusted authority ($TRUSTED_CA)"
else
  info "signing certificate SHA-256 fingerprint: $FINGERPRINT"
  info "no --trusted-ca: compare that fingerprint with the one given with the hand-over, through another channel"
fi
openssl x509 -in "$CERT" -pubkey -noout >"$TMP/pub.pem"
if ! openssl dgst -sha256 -verify "$TMP/pub.pem" -signature "$SIG" "$SUMS" >/dev/null 2>&1; then
  fail "$SIG: the signature does not match $SUMS and $CERT: the list of files or its signature was changed; do not use this export"
fi
info "signature of $SUMS verified ($SUBJECT)"

# The signed list: "<64 lowercase hex>  <path>" per line, relative paths without ., .. or
# backslashes (sha256sum would otherwise read outside the export), each once, a final newline.
[[ -s $SUMS ]] || fail "$SUMS: empty; the export lists no file"
[[ -z $(tail -c1 -- "$SUMS") ]] || fail "$SUMS: no newline at the end of the last line; the list is truncated"
bad=$(awk -v sums="$SUMS" -v sig="$SIG" '
  {
    h = substr($0, 1, 64); sep = substr($0, 65, 2); p = substr($0, 67)
    why = ""
    if (length(h) != 64 || h !~ /^[0-9a-f]+$/ || (sep != "  " && sep != " *") || p == "") why = "malformed line (expected \"<64 hex digits>  <path>\")"
    else if (substr(p, 1, 1) == "/") why = "absolute path " p
    else if (index(p, "\\") > 0 || index(p, "\r") > 0) why = "backslash or CR in " p
    else if (index("/" p "/", "/./") > 0 || index("/" p "/", "/../") > 0 || index("/" p "/", "//") > 0) why = "path " p " has an empty, . or .. component"
    else if (p == sums || p == sig) why = p " cannot list itself or its signature"
    else if (p in seen) why = p " listed twice"
    seen[p] = 1
    if (why != "") { print sums ":" NR ": " why; exit }
  }' "$SUMS")
[[ -z $bad ]] || fail "$bad; the signed list is not usable: ask the exporter for a correct export"
cut -c67- -- "$SUMS" | sort >"$TMP/listed"
LISTED_COUNT=$(wc -l <"$TMP/listed")

# Nothing but regular files and directories, no name sha256sum would escape.
problems=()
while IFS= read -r -d '' f; do
  problems+=("${f#./}: not a regular file (symbolic link, device, FIFO or socket); an export holds regular files only")
done < <(find . -mindepth 1 ! -type f ! -type d -print0)
while IFS= read -r -d '' f; do
  problems+=("$(printf '%q' "${f#./}"): a name with a newline or a backslash; not an exported file")
done < <(find . -mindepth 1 \( -name $'*\n*' -o -name '*\\*' \) -print0)
[[ ${#problems[@]} -eq 0 ]] || fail "the export holds what no export holds; do not use it" "${problems[@]}"

find . -type f ! -path ./"$SUMS" ! -path ./"$SIG" -printf '%P\n' | sort >"$TMP/present"
while IFS= read -r f; do
  problems+=("$f: extra file, not listed in $SUMS (the signed list)")
done < <(comm -23 "$TMP/present" "$TMP/listed")
while IFS= read -r f; do
  problems+=("$f: missing (listed in $SUMS, not in the export)")
done < <(comm -13 "$TMP/present" "$TMP/listed")
# Hash every listed file that is there; sha256sum reports the others as "FAILED open or read".
sha256sum --strict --quiet -c "$SUMS" >"$TMP/sha.out" 2>"$TMP/sha.err" || true
while IFS= read -r line; do
  case $line in
    *': FAILED') problems+=("${line%: FAILED}: changed (its SHA-256 differs from the one in $SUMS)") ;;
  esac
done <"$TMP/sha.out"
if [[ ${#problems[@]} -gt 0 ]]; then
  mapfile -t problems < <(printf '%s\n' "${problems[@]}" | sort)
  fail "${#problems[@]} file(s) differ from the signed list; do not use this export" "${problems[@]}"
fi
info "$LISTED_COUNT files verified against $SUMS, nothing more in the export"

if $VERIFY_ONLY; then
  if $JSON; then
    ca=null
    [[ -z $TRUSTED_CA ]] || ca=$(json_str "$TRUSTED_CA")
    printf '{"ok":true,"step":1,"verified":true,"files":%s,"signingCertificate":{"subject":%s,"sha256":%s},"trustedCa":%s}\n' \
      "$LISTED_COUNT" "$(json_str "$SUBJECT")" "$(json_str "$FINGERPRINT")" "$ca"
  fi
  info 'verification only (--verify-only): stopping here'
  exit 0
fi

# ---------------------------------------------------------------------------------------------
step 2 install 'installing what is missing (Debian packages, Node.js check)'
[[ $(id -u) -eq 0 ]] || fail 'steps 2 to 6 need root (Debian packages, the rebuilt platform'"'"'s network namespaces): run sudo ./bootstrap.sh ...'
if ! command -v node >/dev/null; then
  fail "Node.js is not installed; install Node.js $NODE_MIN_MAJOR or newer (Debian 13: apt-get install nodejs npm; Debian 12 ships 18: use the packages of nodejs.org or NodeSource), then run again"
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[[ $node_major -ge $NODE_MIN_MAJOR ]] || fail "Node.js $(node --version) is too old; install Node.js $NODE_MIN_MAJOR or newer (kit/node-version.txt: the export was made with $(head -n1 kit/node-version.txt 2>/dev/null || echo '?')), then run again"
command -v npm >/dev/null || fail 'npm is not installed; install it with Node.js (apt-get install npm, or the nodejs.org packages), then run again'
info "Node.js $(node --version), npm $(npm --version)"

mapfile -t wanted < <(awk '!/^[[:space:]]*#/ && NF { print $1 }' kit/debian-packages.txt)
for p in "${wanted[@]}"; do
  [[ $p =~ ^[a-z0-9][a-z0-9+.-]+$ ]] || fail "kit/debian-packages.txt: '$p' is not a Debian package name"
done
missing=()
if [[ ${#wanted[@]} -gt 0 ]]; then
  # shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
  installed=$(dpkg-query -W -f '${Package}\t${db:Status-Status}\n' "${wanted[@]}" 2>/dev/null | awk -F'\t' '$2 == "installed" { print $1 }' || true)
  for p in "${wanted[@]}"; do
    grep -qxF -- "$p" <<<"$installed" || missing+=("$p")
  done
fi
apt_install=(apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends)
if [[ ${#missing[@]} -eq 0 ]]; then
  info "all ${#wanted[@]} Debian packages of kit/debian-packages.txt are installed"
elif ! $INSTALL; then
  fail "missing Debian packages: ${missing[*]}; install them with: ${apt_install[*]} ${missing[*]} (or run without --no-install)"
else
  info "installing ${missing[*]}"
  # Installing must not leave distribution services running (Debian's postgresql-15 creates and
  # starts a 15/main cluster): block service starts while installing, drop clusters it created.
  policy=/usr/sbin/policy-rc.d
  own_policy=false
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# written by bootstrap.sh while installing packages\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    own_policy=true
  fi
  clusters_before=$(pg_lsclusters -h 2>/dev/null | awk '{ print $1 " " $2 }' || true)
  rc=0
  DEBIAN_FRONTEND=noninteractive "${apt_install[@]}" "${missing[@]}" >&2 || rc=$?
  if [[ $rc -ne 0 ]]; then
    info 'apt-get failed; refreshing the package lists once and retrying'
    rc=0
    apt-get -o DPkg::Lock::Timeout=600 update >&2 || true
    DEBIAN_FRONTEND=noninteractive "${apt_install[@]}" "${missing[@]}" >&2 || rc=$?
  fi
  if $own_policy && grep -q 'bootstrap.sh' "$policy" 2>/dev/null; then rm -f -- "$policy"; fi
  [[ $rc -eq 0 ]] || fail "apt-get could not install ${missing[*]}; install them with: ${apt_install[*]} ${missing[*]}"
  while read -r version name; do
    [[ -n $version && -n $name ]] || continue
    grep -qxF -- "$version $name" <<<"$clusters_before" && continue
    pg_dropcluster --stop "$version" "$name" >&2 || true
  done < <(pg_lsclusters -h 2>/dev/null | awk '{ print $1 " " $2 }' || true)
fi

# ---------------------------------------------------------------------------------------------
step 3 toolkit 'rebuilding the toolkit from the kit (git bundle, npm ci)'
COMMIT=$(head -n1 kit/COMMIT)
[[ $COMMIT =~ ^[0-9a-f]{40}([0-9a-f]{24})?$ ]] || fail "kit/COMMIT: '$COMMIT' is not a commit id"
mkdir -p -- "$WORK"
chmod 0755 -- "$WORK" # the rebuilt lab's services (postgres, etcd, ceph) traverse it
[[ -f $WORK/$MARKER ]] || printf 'hds-platform bootstrap.sh work directory (export %s); made by bootstrap.sh, which only deletes what it made here\n' "$EXPORT" >"$WORK/$MARKER"
info "work directory: $WORK"
if [[ -n $TOOLKIT ]]; then
  SRC=$(realpath -e -- "$TOOLKIT") || fail "--toolkit $TOOLKIT: no such directory"
  [[ $(git -C "$SRC" rev-parse HEAD 2>/dev/null || true) == "$COMMIT" ]] || fail "--toolkit $SRC: its HEAD is not kit/COMMIT $COMMIT; check out that commit there, or leave --toolkit out to rebuild from the bundle"
  cmp -s -- kit/package-lock.json "$SRC/package-lock.json" || fail "--toolkit $SRC: its package-lock.json differs from kit/package-lock.json"
  [[ -d $SRC/node_modules ]] || fail "--toolkit $SRC: no node_modules; run npm ci there first"
  info "toolkit: the checkout $SRC at $COMMIT (--toolkit: not rebuilt from the bundle, npm ci not run)"
else
  SRC=$WORK/src
  if [[ -d $SRC/.git ]] && [[ $(git -C "$SRC" rev-parse HEAD 2>/dev/null || true) == "$COMMIT" ]] && [[ -z $(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null || echo changed) ]]; then
    info "toolkit already at $COMMIT in $SRC (kept)"
  else
    # $SRC is inside a work directory this script made (marker checked above): ours to replace.
    rm -rf -- "$SRC"
    git clone --quiet --no-checkout -- "$EXPORT/kit/hds-platform.bundle" "$SRC" >&2
    git -C "$SRC" -c advice.detachedHead=false checkout --quiet --detach "$COMMIT" >&2
  fi
  [[ $(git -C "$SRC" rev-parse HEAD) == "$COMMIT" ]] || fail "$SRC: HEAD is not kit/COMMIT $COMMIT after the checkout"
  cmp -s -- kit/package-lock.json "$SRC/package-lock.json" ||
    fail "kit/package-lock.json differs from package-lock.json at $COMMIT in the bundle; the kit is inconsistent: ask the exporter for the export again"
  info "toolkit at $COMMIT, lockfile identical to kit/package-lock.json"
  if ! (cd -- "$SRC" && npm ci --no-audit --no-fund >&2); then
    # The toolkit's own entry points do the same (scripts/lib/common.sh): a lockfile made against a
    # registry mirror may lack other platforms' optional binaries, which npm ci treats as drift.
    info 'npm ci failed; installing from the same lockfile with npm install'
    (cd -- "$SRC" && npm install --no-audit --no-fund >&2)
    cmp -s -- kit/package-lock.json "$SRC/package-lock.json" || info 'note: npm install changed package-lock.json (see git -C src diff package-lock.json)'
  fi
fi

# ---------------------------------------------------------------------------------------------
step 4 import 'handing over to hdsctl reversibility import (platform, data, documents, verification, smoke checks)'
args=(reversibility import --from "$EXPORT" --work "$WORK")
if [[ -n $RKEY ]]; then
  args+=(--recipient-key "$RKEY" --recipient-cert "$RCERT")
else
  info 'no --recipient-key/--recipient-cert: the documents are not re-imported (the report says so)'
fi
if $KEEP; then args+=(--keep); fi
if $JSON; then args+=(--json); fi
trap - ERR
set +e
(cd -- "$SRC" && node "$SRC/bin/hdsctl.js" "${args[@]}")
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  printf 'bootstrap: the rebuild did not match the export or failed (hdsctl reversibility import exited with %s); see its report above\n' "$rc" >&2
fi
exit "$rc"
