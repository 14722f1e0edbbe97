#!/bin/sh
# Run each CUnit suite binary given as an argument; print one closing line
# with the totals and exit non-zero if any failed.
passed=0; failed=0; status=0
for t in "$@"; do
  out=$("$t" 2>&1); rc=$?
  printf '%s\n' "$out" | sed -n '/Run Summary/,$p' | sed "s|^|$(basename "$t"): |"
  p=$(printf '%s\n' "$out" | awk '$1=="tests"{print $4}')
  f=$(printf '%s\n' "$out" | awk '$1=="tests"{print $5}')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [ $rc -ne 0 ]; then
    status=1
    [ "${f:-0}" -gt 0 ] || failed=$((failed + 1))
    printf '%s\n' "$out" | grep -v '^\s*$' | tail -30
  fi
done
echo "C suites: $passed passed, $failed failed"
exit $status
