#!/bin/sh
# Scores the default layout (or LAYOUT, a layout file) with Mailpit's HTML
# check: it installs Mailpit v1.33.1 into .cache/bin with `go install`,
# starts it on free loopback ports, sends the example issue
# (examples/issue.md) rendered with the layout over SMTP, asks
# /api/v1/message/{ID}/html-check for the caniemail score and prints the
# supported/partial/unsupported percentages and the costly features.
#
#   scripts/layout-score.sh                      # the default layout
#   scripts/layout-score.sh my-layout.html       # another layout, report only
#
# The work is TestLayoutScore in templates/score_test.go, which .ci/test
# runs too and which fails below 95% supported or above 1% unsupported.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

layout=""
if [ $# -gt 0 ]; then
	layout="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
fi

GOBIN="$root/.cache/bin" CGO_ENABLED=0 go install github.com/axllent/mailpit@v1.33.1
export DISPATCH_MAILPIT="$root/.cache/bin/mailpit"

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
DISPATCH_SCORE_LAYOUT="$layout" go test ./templates -run '^TestLayoutScore$' -count=1 -v >"$out" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
	cat "$out"
	exit "$status"
fi
sed -n 's/^ *score_test.go:[0-9]*: //p' "$out"
