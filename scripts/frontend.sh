#!/usr/bin/env bash
# shellcheck shell=bash
# The web UI: build it, serve it with nginx on :3000, test it. Meant to be sourced (after lib.sh when
# available; it also works on its own):
#   source scripts/frontend.sh
#   frontend_deps; frontend_build; nginx_start        # serve http://localhost:3000
#   frontend_unit_tests                                # Vitest
#   frontend_e2e_tests                                 # playwright-core + Chromium against :3000
#   nginx_stop
# Safe under `set -euo pipefail`; every function is idempotent.

KPO_ROOT="${KPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
KPO_RUN_DIR="${KPO_RUN_DIR:-$KPO_ROOT/.run}"
KPO_FRONTEND_DIR="$KPO_ROOT/frontend"
KPO_UI_PORT="${KPO_UI_PORT:-3000}"
KPO_CHROMIUM="${KPO_CHROMIUM:-/usr/bin/chromium}"
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac

# Output helpers and as_root come from lib.sh; minimal ones when sourced alone.
declare -F log >/dev/null || log() { printf '==> %s\n' "$*"; }
declare -F info >/dev/null || info() { printf '    %s\n' "$*"; }
declare -F warn >/dev/null || warn() { printf 'WARNING: %s\n' "$*" >&2; }
declare -F die >/dev/null || die() {
  printf 'ERROR: %s\n' "$*" >&2
  exit 1
}
declare -F as_root >/dev/null || as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

_fe_apt_updated=0
_fe_apt_install() {
  if ((!_fe_apt_updated)); then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    _fe_apt_updated=1
  fi
  log "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# frontend_deps — Node.js/npm (only when `node` is absent), nginx and Chromium from Debian.
frontend_deps() {
  local missing=()
  command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
  command -v node >/dev/null 2>&1 && ! command -v npm >/dev/null 2>&1 && missing+=(npm)
  command -v nginx >/dev/null 2>&1 || missing+=(nginx)
  [[ -x $KPO_CHROMIUM ]] || missing+=(chromium)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  if ((${#missing[@]})); then
    _fe_apt_install "${missing[@]}"
  fi
  # The frontend's tooling (Vite 6, Vitest 3, playwright-core 1.61) is chosen to run on Debian 12's own
  # Node.js 18.20 as well as on newer ones; older Node versions lack APIs it uses.
  if [[ $(node -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 18 || (a === 18 && b >= 19)' 2>/dev/null) != true ]]; then
    die "Node.js $(node --version 2>/dev/null || echo '(none)') is too old: the frontend needs 18.19 or newer (Debian 12 ships 18.20)"
  fi
}

# frontend_build — npm ci when node_modules is missing or package-lock.json changed, then the build.
frontend_build() {
  local stamp="$KPO_FRONTEND_DIR/node_modules/.kpo-lock.sha256" want have=""
  want=$(sha256sum "$KPO_FRONTEND_DIR/package-lock.json" | cut -d' ' -f1)
  [[ -f $stamp ]] && have=$(cat "$stamp")
  if [[ ! -d $KPO_FRONTEND_DIR/node_modules || $want != "$have" ]]; then
    log "installing frontend dependencies (npm ci)"
    (cd "$KPO_FRONTEND_DIR" && npm ci --no-audit --no-fund --loglevel=error)
    printf '%s\n' "$want" >"$stamp"
  else
    info "frontend dependencies are up to date"
  fi
  log "building frontend"
  (cd "$KPO_FRONTEND_DIR" && npm run --silent build) || die "frontend build failed"
  info "frontend built into frontend/dist"
}

_fe_nginx() {
  as_root nginx -p "$KPO_ROOT/" -c "$KPO_ROOT/deploy/nginx.conf" -e "$KPO_RUN_DIR/nginx-error.log" \
    -g "pid $KPO_RUN_DIR/nginx.pid;" "$@"
}

_fe_ui_up() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$KPO_UI_PORT/"; }

# nginx_stop — stops the nginx started from our pid file (never any other nginx).
nginx_stop() {
  local pidfile="$KPO_RUN_DIR/nginx.pid" pid i
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    log "stopping nginx (pid $pid)"
    as_root kill -QUIT "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      as_root kill -TERM "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$pidfile"
}

# nginx_ensure — starts nginx on :3000 unless ours already answers there; then it reloads its
# configuration gracefully (open connections, live-update streams included, are kept).
nginx_ensure() {
  local pid
  pid=$(cat "$KPO_RUN_DIR/nginx.pid" 2>/dev/null || true)
  if pid_alive "$pid" && [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *nginx* ]] && _fe_ui_up; then
    _fe_nginx -q -t || die "deploy/nginx.conf is invalid (nginx -t)"
    log "nginx is running (pid $pid): reloading its configuration"
    _fe_nginx -s reload
    info "UI: http://localhost:$KPO_UI_PORT"
    return 0
  fi
  nginx_start
}

# nginx_start — (re)starts nginx on :3000 and waits until it answers.
nginx_start() {
  command -v nginx >/dev/null 2>&1 || die "nginx is not installed (run frontend_deps)"
  [[ -f $KPO_FRONTEND_DIR/dist/index.html ]] || die "frontend/dist is missing (run frontend_build)"
  mkdir -p "$KPO_RUN_DIR"
  nginx_stop
  log "starting nginx on :$KPO_UI_PORT"
  _fe_nginx -q -t || die "deploy/nginx.conf is invalid (nginx -t)"
  _fe_nginx || die "nginx did not start; see .run/nginx-error.log"
  local deadline=$((SECONDS + 30))
  until _fe_ui_up; do
    if ((SECONDS >= deadline)); then
      tail -n 20 "$KPO_RUN_DIR/nginx-error.log" >&2 2>/dev/null || true
      die "nginx did not answer on http://localhost:$KPO_UI_PORT/ within 30 s"
    fi
    sleep 0.2
  done
  info "UI: http://localhost:$KPO_UI_PORT"
}

# frontend_unit_tests — Vitest (money, JSON, the API client, live updates, order state, messages, locale).
frontend_unit_tests() {
  log "frontend unit tests (vitest)"
  (cd "$KPO_FRONTEND_DIR" && npx --no-install vitest run)
}

# frontend_e2e_tests — browser tests (node --test, playwright-core driving Debian's Chromium) against
# the running system at http://localhost:3000 (nginx → gateway). Screenshots: frontend/test-artifacts/.
frontend_e2e_tests() {
  log "frontend end-to-end tests (Chromium, node --test)"
  [[ -x $KPO_CHROMIUM ]] || die "Chromium is missing at $KPO_CHROMIUM (run frontend_deps)"
  _fe_ui_up || die "the UI does not answer on http://localhost:$KPO_UI_PORT/ (run nginx_start)"
  local deadline=$((SECONDS + 60))
  # Without a token the API answers 401: that proves nginx → gateway works without creating a user.
  until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$KPO_UI_PORT/api/orders" || true) == 401 ]]; do
    if ((SECONDS >= deadline)); then
      die "the API does not answer through nginx (GET /api/orders on :$KPO_UI_PORT should be 401) — is the gateway running?"
    fi
    sleep 1
  done
  mkdir -p "$KPO_FRONTEND_DIR/test-artifacts"
  local rc=0
  (cd "$KPO_FRONTEND_DIR" &&
    KPO_UI_URL="http://localhost:$KPO_UI_PORT" KPO_CHROMIUM="$KPO_CHROMIUM" \
      node --test --test-concurrency=1 e2e/*.test.mjs) || rc=$?
  info "screenshots: frontend/test-artifacts/"
  return "$rc"
}
