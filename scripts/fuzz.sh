#!/usr/bin/env bash
# Runs every fuzz target in the module for $FUZZTIME each (go test allows one
# target per run).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-3s}
grep -rl --include='*_test.go' --exclude-dir=node_modules '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r dir; do
  for name in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
    echo "fuzz: $dir $name ($FUZZTIME)"
    if ! out=$(go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$dir" 2>&1); then
      printf '%s\n' "$out" | tail -n 40
      exit 1
    fi
  done
done
