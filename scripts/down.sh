#!/usr/bin/env bash
# Stops the services, nginx (if we started it), RabbitMQ and PostgreSQL.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop_services
stop_nginx
stop_rabbitmq
stop_postgres
log "stopped"
