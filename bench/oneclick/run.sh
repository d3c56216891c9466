#!/bin/sh
# One-click unsubscribe load test against a real `dispatch serve` and a real
# database of 10,000 subscribers (docs/benchmarks.md).
#
#   bench/oneclick/run.sh [BINARY] [RUNS]
#
# BINARY defaults to a fresh build of ./cmd/dispatch. Each run starts from
# a copy of the same freshly imported database, posts every subscriber's
# one-click link once (wrk, 50 connections, 2 threads), stops the server
# and checks that the database holds exactly as many unsubscribes as there
# were links. TRUST_PROXY overrides web.trust_proxy (a YAML value). The
# helper that writes the links and counts the result is built from SRC
# (default: this tree); point it at the tree BINARY was built from, so
# that it does not migrate the database past what BINARY knows.
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
bin=${1:-}
runs=${2:-3}
n=${SUBSCRIBERS:-10000}
port=${PORT:-18089}
trust=${TRUST_PROXY:-'[127.0.0.1]'}
work=$(mktemp -d /tmp/dispatch-oneclick.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ -z "$bin" ]; then
	bin=$work/dispatch
	go build -o "$bin" ./cmd/dispatch
fi
(cd "${SRC:-$root}" && go build -o "$work/oneclick" ./bench/oneclick)
secret=oneclick-bench-secret-4f1c2a9e7b3d
cat >"$work/dispatch.yaml" <<YAML
database:
  path: $work/run.db
web:
  base_url: http://127.0.0.1:$port
  listen: 127.0.0.1:$port
  secret: $secret
  trust_proxy: $trust
YAML
awk -v n="$n" 'BEGIN { print "email,name"; for (i = 1; i <= n; i++) printf "reader%05d@example.com,Reader %d\n", i, i }' >"$work/list.csv"
"$bin" --config "$work/dispatch.yaml" import "$work/list.csv" --list news >/dev/null
mv "$work/run.db" "$work/pristine.db"
rm -f "$work/run.db-wal" "$work/run.db-shm"
"$work/oneclick" paths -db "$work/pristine.db" -secret "$secret" -list news >"$work/paths.txt"

for i in $(seq "$runs"); do
	rm -f "$work/run.db" "$work/run.db-wal" "$work/run.db-shm"
	cp "$work/pristine.db" "$work/run.db"
	"$bin" --config "$work/dispatch.yaml" serve >"$work/serve.out" 2>"$work/serve.log" &
	pid=$!
	for _ in $(seq 50); do
		curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
		sleep 0.1
	done
	echo "== run $i"
	(cd "$root/bench/oneclick" && wrk -t2 -c50 -d${DURATION:-30s} --timeout 30s --latency -s oneclick.lua "http://127.0.0.1:$port" -- "$work/paths.txt" 2)
	kill -INT "$pid"
	wait "$pid" || true
	got=$("$work/oneclick" count -db "$work/run.db" -list news)
	echo "unsubscribed in the database: $got of $n"
done
