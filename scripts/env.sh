#!/usr/bin/env bash
# Prints the environment the services and the tests read (database and broker URLs with the local
# broker's generated password, listen addresses, the JWT secret), as shell exports, for running a
# service or ctest by hand:
#   eval "$(./scripts/env.sh)" && ctest --preset release -L integration
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
kpo_env >/dev/null
for name in ORDERS_DATABASE_URL PAYMENTS_DATABASE_URL GATEWAY_DATABASE_URL RABBITMQ_URL KPO_RABBITMQ_PASSWORD \
  ORDERS_LISTEN PAYMENTS_LISTEN GATEWAY_LISTEN KPO_BUILD_DIR GATEWAY_JWT_SECRET; do
  printf 'export %s=%q\n' "$name" "${!name}"
done
