#!/usr/bin/env bash
# API throughput and latency on the embedded SQLite default, measured with wrk
# from a second process over loopback, signed in as a rep. /healthz (one trivial query) runs in the same
# session as the machine's ceiling for this server.
#
#   bash benches/api.sh [SECONDS] [CONNECTIONS]
#
# Needs wrk (Debian package `wrk`); builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15}"
connections="${2:-50}"
threads=2
port=18765
base="http://127.0.0.1:$port"

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

db="sqlite://$work/bench.db"
echo "bench-password-1" | RUST_LOG=warn ./target/release/dealdraft user add --database-url "$db" \
  --email bench@example.com --name Bench --role rep --password - >/dev/null
echo "bench-password-1" | RUST_LOG=warn ./target/release/dealdraft user add --database-url "$db" \
  --email admin@example.com --name Admin --role admin --password - >/dev/null
RUST_LOG=warn ./target/release/dealdraft serve --addr "127.0.0.1:$port" \
  --database-url "$db" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
token="$(curl -sf -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"bench-password-1"}' "$base/api/v1/session" |
  sed -E 's/.*"token":"([0-9a-f]+)".*/\1/')"
auth="Authorization: Bearer $token"
admin_token="$(curl -sf -H 'content-type: application/json' \
  -d '{"email":"admin@example.com","password":"bench-password-1"}' "$base/api/v1/session" |
  sed -E 's/.*"token":"([0-9a-f]+)".*/\1/')"

# A realistic list: 1,000 accounts in the table, pages of 50.
for i in $(seq 1 1000); do
  printf '{"name":"Account %d","industry":"Manufacturing","country":"DE"}\n' "$i"
done | while read -r body; do
  curl -sf -o /dev/null -H "$auth" -H 'content-type: application/json' -d "$body" "$base/api/v1/accounts"
done

# A deal on one of them, for readiness of the built-in proposal.
account_id="$(curl -sf -H "$auth" "$base/api/v1/accounts?limit=1" | sed -E 's/.*"id":"([0-9a-f-]+)".*/\1/' | head -c 36)"
deal_id="$(curl -sf -H "$auth" -H 'content-type: application/json' \
  -d "{\"name\":\"Bench deal\",\"account_id\":\"$account_id\",\"amount\":\"48000.00\",\"currency\":\"EUR\"}" \
  "$base/api/v1/deals" | sed -E 's/.*"id":"([0-9a-f-]+)".*/\1/' | head -c 36)"

# A second deal with everything the built-in proposal prints, to generate.
json() { curl -sf -H "$1" -H 'content-type: application/json' -X "$2" -d "$3" "$base$4"; }
json "Authorization: Bearer $admin_token" PATCH '{"company":{"name":"Northwind Systems","phone":"+49 30 555 0000","email":"sales@northwind.example","website":"https://northwind.example"},"version":1}' /api/v1/settings >/dev/null
json "$auth" PATCH '{"phone":"+49 30 555 0100","title":"Account Executive","version":1}' /api/v1/me >/dev/null
ready_account="$(json "$auth" POST '{"name":"Brightwater Health","industry":"Healthcare","country":"DE"}' /api/v1/accounts |
  sed -E 's/.*"id":"([0-9a-f-]+)".*/\1/' | head -c 36)"
ready_deal="$(json "$auth" POST "{\"name\":\"Supply visibility\",\"account_id\":\"$ready_account\",\"amount\":\"48000.00\",\"currency\":\"EUR\",\"expected_close_date\":\"2027-01-29\"}" /api/v1/deals |
  sed -E 's/.*"id":"([0-9a-f-]+)".*/\1/' | head -c 36)"
curl -sf -H "$auth" "$base/api/v1/deals/$ready_deal/readiness?template=proposal" | grep -q '"ready":true' ||
  { echo "the deal to generate for is not ready" >&2; exit 1; }

cat >"$work/create.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer TOKEN"
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"name":"Bench %d","industry":"Retail","country":"FR"}', counter)
  return wrk.format(nil, "/api/v1/accounts", nil, body)
end
LUA
sed -i "s/TOKEN/$token/" "$work/create.lua"

cat >"$work/generate.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
wrk.body = '{"template":"proposal","deal_id":"$ready_deal","format":"pdf"}'
LUA

run() {
  local name="$1"; shift
  local out
  out="$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$@")"
  local rps p50 p99 errors
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  printf '| %-34s | %10s | %8s | %8s | %6s |\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo "wrk, $threads threads, $connections connections, ${duration}s each, $(nproc) cores"
printf '| %-34s | %10s | %8s | %8s | %6s |\n' "endpoint" "req/s" "p50" "p99" "non-2xx"
printf '|%s|%s|%s|%s|%s|\n' "------------------------------------" "------------" "----------" "----------" "--------"
run "GET /healthz" "$base/healthz"
run "GET /api/v1/accounts" -H "$auth" "$base/api/v1/accounts"
run "GET /api/v1/accounts?q=account 12" -H "$auth" "$base/api/v1/accounts?q=account%2012"
run "POST /api/v1/accounts" -s "$work/create.lua" "$base"
run "GET /api/v1/deals/{id}/readiness" -H "$auth" "$base/api/v1/deals/$deal_id/readiness?template=proposal"
run "POST /api/v1/documents (proposal PDF)" -s "$work/generate.lua" "$base/api/v1/documents"
