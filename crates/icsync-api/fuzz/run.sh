#!/usr/bin/env bash
# Schema-driven fuzz of icsync's own OpenAPI document: schemathesis (positive and negative
# cases) against a server on a throwaway SQLite database with a seeded workspace:
#   1. with an admin key, path parameters set to seeded ids (the 200 answers are reached);
#   2. with an admin key, every parameter generated;
#   3. without a key (every secured operation must answer 401, in the document's shape).
# Each pass fails on any 5xx and on any answer the document does not describe (status, content
# type, headers, body schema with formats), and on schema-violating input the API accepts.
# Installs the pinned schemathesis into a venv under target/ (none of its code enters the
# repository), seeds a database with crates/icsync-api/examples/fuzz_server.rs and serves it
# with the real daemon (`icsync serve`) on a free port.
#
# usage: crates/icsync-api/fuzz/run.sh   (env: API_FUZZ_EXAMPLES, default 25)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
crate="$(cd "$here/.." && pwd)"
root="$(cd "$crate/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
work="$target/api-fuzz"
venv="$work/venv"
examples="${API_FUZZ_EXAMPLES:-25}"
mkdir -p "$work"

# make_venv DIR: a Python venv at DIR (Debian splits venv support out of python3; install it
# when we can).
make_venv() {
  [ -x "$1/bin/python" ] && return 0
  if ! python3 -m venv "$1"; then
    rm -rf "$1"
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    fi
    python3 -m venv "$1"
  fi
}

echo "== schemathesis (pinned)"
make_venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

echo "== server (icsync serve on a seeded database)"
(cd "$root" && cargo build --quiet -p icsync-api --example fuzz_server && cargo build --quiet --bin icsync)
seeder="$target/debug/examples/fuzz_server"
bin="$target/debug/icsync"
data="$(mktemp -d "$work/data.XXXXXX")"
log="$work/server.log"
key="fuzz-admin-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
secret="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
seed="$(FUZZ_SECRET_KEY="$secret" RUST_LOG=warn "$seeder" "$data" | sed -n 's/^seed \(.*\)$/\1/p' | head -n1)"
[ -n "$seed" ] || { echo "seeding failed"; exit 1; }
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat >"$data/icsync.toml" <<TOML
[api]
oauth_client_id = "fuzz-client"
oauth_client_secret_env = "FUZZ_OAUTH_SECRET"
[[api.keys]]
name = "fuzz"
scope = "admin"
key_env = "FUZZ_ADMIN_KEY"
TOML
# Intercom is out of reach (no network): calls that need it fail fast and profiles are stale.
FUZZ_ADMIN_KEY="$key" FUZZ_OAUTH_SECRET="fuzz-client-secret" ICSYNC_SECRET_KEY="$secret" \
  ICSYNC_DATABASE_URL="sqlite://$data/fuzz.db" ICSYNC_DATA_DIR="$data" \
  ICSYNC_SERVER__BIND="127.0.0.1:$port" ICSYNC_INTERCOM__CONNECT_TIMEOUT_MS=2000 \
  ICSYNC_INTERCOM__READ_TIMEOUT_MS=2000 ICSYNC_INBOUND__ON_VIEW_TIMEOUT_MS=2000 \
  RUST_LOG="${RUST_LOG:-warn}" "$bin" --config "$data/icsync.toml" serve >"$log" 2>&1 &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
base="http://127.0.0.1:$port"
up=""
for _ in $(seq 1 300); do
  if curl -sf "$base/healthz" >/dev/null 2>&1; then up=1; break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$log"; echo "server exited"; exit 1; fi
  sleep 0.1
done
[ -n "$up" ] || { cat "$log"; echo "server did not start"; exit 1; }
contact_id="$(sed -n 's/.*contact=\([^ ]*\).*/\1/p' <<<"$seed")"
account_id="$(sed -n 's/.*account=\([^ ]*\).*/\1/p' <<<"$seed")"
conversation_id="$(sed -n 's/.*conversation=\([^ ]*\).*/\1/p' <<<"$seed")"
echo "server at $base (contact $contact_id, account $account_id, conversation $conversation_id)"

schema="$work/openapi.json"
curl -sf -H "Authorization: Bearer $key" "$base/v1/openapi.json" >"$schema"
"$venv/bin/python" - "$schema" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["openapi"].startswith("3.1"), doc["openapi"]
print(f"document: OpenAPI {doc['openapi']}, {sum(len(v) for v in doc['paths'].values())} operations")
PY
sed -e "s/@CONTACT_ID@/$contact_id/" -e "s/@ACCOUNT_ID@/$account_id/" -e "s/@CONVERSATION_ID@/$conversation_id/" \
  "$here/schemathesis.toml.in" >"$work/schemathesis.toml"
printf '[checks.response_schema_conformance]\nvalidate-formats = true\n' >"$work/generated.toml"

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,missing_required_header
failed=0
run_pass() { # NAME CONFIG [extra args...]
  local name="$1" config="$2"
  shift 2
  echo "== pass: $name"
  set +e
  (cd "$work" && "$venv/bin/schemathesis" --config-file "$config" run "$schema" --url "$base" "$@" \
    --mode all --phases examples,coverage,fuzzing -n "$examples" --seed 20261201 \
    --generation-database none --no-color)
  local rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "pass $name FAILED (schemathesis exit $rc)"
    failed=1
  else
    echo "pass $name passed"
  fi
}
run_pass "admin key, seeded ids" "$work/schemathesis.toml" -H "Authorization: Bearer $key" --checks "$checks,ignored_auth"
run_pass "admin key, generated parameters" "$work/generated.toml" -H "Authorization: Bearer $key" --checks "$checks,ignored_auth"
run_pass "no key" "$work/generated.toml" --checks "$checks"

if grep -q -e "$key" -e "$secret" -e "fuzz-client-secret" "$log"; then
  echo "the server's log holds the API key or a secret"
  failed=1
fi
if grep -qi "panicked" "$log"; then
  grep -i -m5 "panicked" "$log"
  failed=1
fi
[ "$failed" -eq 0 ] || { echo "API fuzz FAILED"; exit 1; }
echo "API fuzz passed"
