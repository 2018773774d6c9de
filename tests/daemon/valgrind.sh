#!/usr/bin/env bash
# A start/stop cycle of okno with a plugin, under valgrind: no definite leak, no memory error. Normal
# build only: valgrind cannot run the ASan build.
. "$(dirname "$0")/lib.bash"
echo "1..1"

# tests/run tells by the build's name; a sanitizer build under another name is caught by its libasan.
if [ "$OKNO_SANITIZERS" = 1 ] || [[ "$(ldd "$okno" 2>/dev/null)" == *libasan* ]]; then
    skip "start/stop under valgrind shows no definite leak" "sanitizer build"
    exit 0
fi
if ! command -v valgrind >/dev/null; then
    skip "start/stop under valgrind shows no definite leak" "valgrind is not installed"
    exit 0
fi

write_conf "$tmp/okno.conf" "[general]\nworkers = 2\n[plugins]\ndir = $plugin_dir\nload = test_good\n"
log="$tmp/valgrind.log"
# libtool may leave src/okno a wrapper script; valgrind must run the real binary.
bin=$okno
[ -x "$OKNO_BUILD/src/.libs/okno" ] && bin=$OKNO_BUILD/src/.libs/okno
valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
    "$bin" --config "$tmp/okno.conf" >"$log" 2>&1 &
pid=$!
started+=("$pid")
if ! wait_for_line "$log" '\[main\] okno .* running' 120; then
    not_ok "okno starts under valgrind" "$log"
    exit 0
fi
kill -TERM "$pid"
wait_exit "$pid" 60
if [ "$status" -eq 0 ] && grep -q "okno stopped" "$log" && grep -q "ERROR SUMMARY: 0 errors" "$log"; then
    ok "start/stop under valgrind shows no definite leak and no memory error"
else
    not_ok "start/stop under valgrind shows no definite leak and no memory error (status $status)" "$log"
fi
