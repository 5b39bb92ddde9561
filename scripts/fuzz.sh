#!/usr/bin/env bash
# Runs every fuzz target in the module for $FUZZTIME each (go test allows one
# target per run).
#
# Go 1.26's fuzzing coordinator can report "context deadline exceeded" as a
# failure when -fuzztime ends while a worker is still running an input (a
# race in internal/fuzz, golang/go#75804, fixed in Go 1.27); it writes no
# failing input then. Such a run is repeated, up to twice, and said so; a
# failure that wrote an input under testdata/fuzz, or any other failure,
# stops at once.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-3s}
grep -rl --include='*_test.go' --exclude-dir=node_modules '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r dir; do
  for name in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
    for try in 1 2 3; do
      echo "fuzz: $dir $name ($FUZZTIME)"
      corpus="$dir/testdata/fuzz/$name"
      before=$({ find "$corpus" -type f 2>/dev/null || true; } | wc -l)
      if out=$(go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$dir" 2>&1); then
        break
      fi
      after=$({ find "$corpus" -type f 2>/dev/null || true; } | wc -l)
      if [ "$try" -lt 3 ] && [ "$before" = "$after" ] &&
        printf '%s\n' "$out" | grep -q '^--- FAIL: '"$name"' ' &&
        printf '%s\n' "$out" | grep -A1 '^--- FAIL: ' | tail -n1 | grep -qx '[[:space:]]*context deadline exceeded'; then
        echo "fuzz: $name stopped with Go's \"context deadline exceeded\" and wrote no input (golang/go#75804): once more"
        continue
      fi
      printf '%s\n' "$out" | tail -n 40
      exit 1
    done
  done
done
