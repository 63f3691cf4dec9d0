#!/usr/bin/env bash
# HTTP latency of a running `campaign serve` (loopback, one connection per
# request, as curl makes them): median and p95 of N requests per route.
# Usage: shared/api/tools/latency.sh [BASE_URL] [N]
# Needs `campaign` on PATH (or CAMPAIGN=path/to/campaign) for the token, a
# campaign cmp-000001 and CALL_MANAGER_TOKEN set for the v1 route.
set -euo pipefail
API=${1:-http://127.0.0.1:8080}
N=${2:-200}
CAMPAIGN=${CAMPAIGN:-campaign}
TOKEN=$("$CAMPAIGN" token --role administrator)
stats() { sort -n | awk '{a[NR]=$1} END {printf "%8.2f %8.2f\n", a[int((NR+1)/2)]*1000, a[int(NR*0.95+0.5)]*1000}'; }
run() { # name, then curl arguments; the i-th request may use $i
  local name=$1; shift
  printf "%-44s" "$name"
  for i in $(seq 1 "$N"); do
    eval "curl -s -o /dev/null -w '%{time_total}\n' $*"
  done | stats
}
echo "$N requests per route against $API, milliseconds (median, p95)"
run "GET /health" "$API/health"
run "GET /api/campaigns" "-H 'Authorization: Bearer $TOKEN' $API/api/campaigns"
run "GET /api/campaigns/{id}/metrics" "-H 'Authorization: Bearer $TOKEN' $API/api/campaigns/cmp-000001/metrics"
if [ -n "${CALL_MANAGER_TOKEN:-}" ]; then
  run "POST /api/v1/initiate-call/" "-X POST -H 'X-Auth-Token: $CALL_MANAGER_TOKEN' -H 'Content-Type: application/json' -d \"{\\\"phone_number\\\": \\\"+97250\$((2300000 + i + RANDOM % 100000))\\\", \\\"campaign_id\\\": \\\"cmp-000001\\\"}\" $API/api/v1/initiate-call/"
fi
