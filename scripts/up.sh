#!/usr/bin/env bash
# Installs what is missing, builds the release preset, starts PostgreSQL, RabbitMQ, the services,
# the gateway and nginx, and prints where to find them. Safe to re-run: what already runs its current
# build is left running (a service that crashed, or whose binary was rebuilt, is started again).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=frontend.sh
source "$(dirname "${BASH_SOURCE[0]}")/frontend.sh"

install_packages
frontend_deps
kpo_env
start_postgres
start_rabbitmq
build release
docs_deps
start_services --keep-current "$KPO_ROOT/build/release"
frontend_build
nginx_ensure
nginx_started=1

echo
log "KPO 4 is running"
if ((nginx_started)); then
  info "UI:          http://localhost:3000"
fi
if [[ -f $KPO_RUN_DIR/gateway.pid ]]; then
  info "API:         http://localhost:$(service_port gateway)/api (gateway)  docs: http://localhost:$(service_port gateway)/api/docs"
fi
info "orders:      http://localhost:$(service_port orders)  (/healthz /readyz /metrics)"
info "payments:    http://localhost:$(service_port payments)  (/healthz /readyz /metrics)"
info "RabbitMQ UI: http://localhost:15672  (kpo / password in $KPO_BROKER_PASSWORD_FILE)"
info "PostgreSQL:  postgresql://kpo:kpo@localhost:5432/{orders,payments,gateway}"
info "logs:        .run/*.log (earlier runs: .run/*.log.<time>)    stop: ./scripts/down.sh"
