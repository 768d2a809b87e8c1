#!/usr/bin/env bash
# HTTP benchmark of the API, load from wrk in a separate process on loopback.
#   bench/api.sh sqlite|postgres [duration]
# Measures: authenticated GET /api/v1/businesses/{id}/customers?limit=50 (1,000 customers, a
# business owner's JWT, so the live membership check is included) and profile import
# (POST /api/v1/businesses/import, an operator token; each request is a committed write plus
# an audit entry). Prints requests/s and latency percentiles as wrk reports them.
set -euo pipefail
engine=${1:-sqlite}
dur=${2:-10s}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/release/frontdesk
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
[ -x "$bin" ] || (cd "$root" && cargo build --release)

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  if [ -n "${pgdir:-}" ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export FRONTDESK_LOG_LEVEL=warn FRONTDESK_JOBS_ENABLED=false
if [ "$engine" = postgres ]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  pgdir=$(mktemp -d); chown postgres: "$pgdir"
  pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
    -o "-p $pgport -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pgdir -c max_connections=100" start >/dev/null
  export FRONTDESK_DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/postgres"
fi

"$bin" --data-dir "$work" admin create --email bench@example.com --password-stdin <<< "bench password 123" >/dev/null
cat > "$work/profile.yaml" <<'YAML'
version: 1
slug: bench-storage
name: Bench Storage
kind: self_storage
timezone: America/Chicago
phone: "+15125550900"
hours: {mon: "09:00-18:00", tue: "09:00-18:00", wed: "09:00-18:00", thu: "09:00-18:00", fri: "09:00-18:00"}
units:
  - {type: 10x10, width_ft: 10, depth_ft: 10, monthly_rate: 129.00, total: 40, available: 7}
faqs:
  - {q: Do I need a deposit?, a: No deposit is needed.}
YAML
"$bin" --data-dir "$work" import "$work/profile.yaml" >/dev/null
"$bin" --data-dir "$work" serve --listen "127.0.0.1:$port" >/dev/null &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

# Seed: an owner and 1,000 customers, through the API.
python3 - "$port" "$work" <<'PY'
import http.client, json, sys
port, work = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port)
def call(method, path, body=None, token=None):
    h = {"content-type": "application/json"}
    if token: h["authorization"] = "Bearer " + token
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse(); data = r.read()
    assert r.status < 300, (path, r.status, data)
    return json.loads(data) if data else None
op = call("POST", "/api/v1/auth/login", {"email": "bench@example.com", "password": "bench password 123"})["access_token"]
bid = call("GET", "/api/v1/businesses", token=op)["items"][0]["id"]
call("POST", f"/api/v1/businesses/{bid}/members", {"email": "owner@example.com", "role": "owner", "password": "owner password 123"}, op)
owner = call("POST", "/api/v1/auth/login", {"email": "owner@example.com", "password": "owner password 123"})["access_token"]
for i in range(1000):
    call("POST", f"/api/v1/businesses/{bid}/customers", {"name": f"Customer {i:04d}", "phone": f"+1512666{i:04d}", "email": f"c{i}@example.com"}, op)
open(f"{work}/ids", "w").write(f"{bid}\n{owner}\n{op}\n")
PY
bid=$(sed -n 1p "$work/ids"); owner=$(sed -n 2p "$work/ids"); op=$(sed -n 3p "$work/ids")

cat > "$work/import.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/yaml"
wrk.headers["Authorization"] = "Bearer $op"
local f = io.open("$work/profile.yaml"); wrk.body = f:read("*a"); f:close()
LUA

echo "== $engine: GET /api/v1/businesses/{id}/customers?limit=50 ($dur, 64 connections)"
wrk -t2 -c64 -d"$dur" --latency -H "Authorization: Bearer $owner" \
  "http://127.0.0.1:$port/api/v1/businesses/$bid/customers?limit=50" | grep -E "Requests/sec|Non-2xx|Socket errors|^ +(50|90|99)%"
echo "== $engine: POST /api/v1/businesses/import ($dur, 16 connections)"
wrk -t2 -c16 -d"$dur" --latency -s "$work/import.lua" \
  "http://127.0.0.1:$port/api/v1/businesses/import" | grep -E "Requests/sec|Non-2xx|Socket errors|^ +(50|90|99)%"
