#!/usr/bin/env bash
# okno's command line and configuration checks: --version, --help, --check-config on the shipped file,
# and each kind of configuration error failing with a message that names file, group and key.
. "$(dirname "$0")/lib.bash"
echo "1..16"

out=$("$okno" --version 2>&1)
rc=$?
if [ $rc -eq 0 ] && [[ "$out" =~ ^okno\ [0-9]+\.[0-9]+\.[0-9]+ ]]; then
    ok "--version prints the version and exits 0"
else
    not_ok "--version prints the version and exits 0 (rc $rc: $out)"
fi

out=$("$okno" --help 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q -- '--config=FILE' <<<"$out" && grep -q -- '--check-config' <<<"$out"; then
    ok "--help lists --config and --check-config and exits 0"
else
    not_ok "--help lists --config and --check-config and exits 0 (rc $rc)"
fi

# conf/okno.conf names the plugins of build/ (for ./quickstart run); check it against this build's.
mkdir -p "$tmp/conf"
sed "s|^dir = \.\./build/plugins/\.libs$|dir = $OKNO_BUILD/plugins/.libs|" "$OKNO_SRCDIR/conf/okno.conf" \
    >"$tmp/conf/okno.conf"
"$okno" --config "$tmp/conf/okno.conf" --check-config >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "okno.conf: configuration OK" "$tmp/out"; then
    ok "--check-config passes conf/okno.conf"
else
    not_ok "--check-config passes conf/okno.conf (rc $rc)" "$tmp/out"
fi

# refused NAME CONFIG-TEXT EXPECTED: --check-config fails, and so does a real start, both quoting
# EXPECTED (a fixed string in which FILE stands for the config's path).
refused() {
    local conf="$tmp/$1.conf"
    write_conf "$conf" "$2"
    local expected=${3//FILE/$conf}
    "$okno" --config "$conf" --check-config >"$tmp/out" 2>&1
    local rc=$?
    if [ $rc -ne 0 ] && grep -qF -- "$expected" "$tmp/out"; then
        ok "$1 fails --check-config naming file, group and key"
    else
        not_ok "$1 fails --check-config naming file, group and key (rc $rc, want: $expected)" "$tmp/out"
    fi
}

refused "unknown group" '[general]\nworkers = 1\n[genral]\nx = 1\n' "FILE: [genral]: unknown group"
refused "unknown key" '[general]\nwrokers = 1\n' "FILE: [general] wrokers: unknown key"
refused "bad int" '[http]\nport = eighty\n' "FILE: [http] port: must be an integer, got 'eighty'"
refused "out of range" '[general]\nworkers = -1\n' \
    "FILE: [general] workers: must be between 0 and 256, got -1"
refused "bad enum" '[general]\nlog_level = loud\n' \
    "FILE: [general] log_level: must be one of error, warn, info, debug, got 'loud'"
refused "bad plugin name" '[plugins]\nload = ../evil\n' "FILE: [plugins] load: must be made of"

"$okno" --config "$tmp/absent.conf" --check-config >"$tmp/out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -qF "$tmp/absent.conf: cannot read: No such file or directory" "$tmp/out"; then
    ok "a missing config file fails naming the file"
else
    not_ok "a missing config file fails naming the file (rc $rc)" "$tmp/out"
fi

write_conf "$tmp/bad-start.conf" '[general]\nworkers = 999\n'
"$okno" --config "$tmp/bad-start.conf" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -qF "[general] workers: must be between" "$tmp/out" &&
    ! grep -q "media workers\|running" "$tmp/out"; then
    ok "okno refuses to start on a bad config before starting anything"
else
    not_ok "okno refuses to start on a bad config before starting anything (rc $rc)" "$tmp/out"
fi

"$okno" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q -- "--config FILE is required" "$tmp/out"; then
    ok "okno without --config is a usage error (exit 2)"
else
    not_ok "okno without --config is a usage error (exit 2) (rc $rc)" "$tmp/out"
fi

"$okno" --no-such-option >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 2 ]; then
    ok "an unknown option is a usage error (exit 2)"
else
    not_ok "an unknown option is a usage error (exit 2) (rc $rc)" "$tmp/out"
fi

write_conf "$tmp/plugins-good.conf" "[plugins]\ndir = $plugin_dir\nload = test_good\n"
"$okno" --config "$tmp/plugins-good.conf" --check-config >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && ! grep -q "hello from test_good" "$tmp/out"; then
    ok "--check-config accepts a loadable plugin without running it"
else
    not_ok "--check-config accepts a loadable plugin without running it (rc $rc)" "$tmp/out"
fi

write_conf "$tmp/plugins-bad.conf" "[plugins]\ndir = $plugin_dir\nload = test_good, test_bad_abi\n"
"$okno" --config "$tmp/plugins-bad.conf" --check-config >"$tmp/out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -qF "plugin test_bad_abi ($plugin_dir/okno_test_bad_abi.so): ABI version" "$tmp/out"; then
    ok "--check-config refuses a plugin with the wrong ABI, naming the file"
else
    not_ok "--check-config refuses a plugin with the wrong ABI, naming the file (rc $rc)" "$tmp/out"
fi

# A relative plugin dir is taken from the config file's directory, not the working directory.
mkdir -p "$tmp/etc"
ln -s "$plugin_dir" "$tmp/plugins"
write_conf "$tmp/etc/rel.conf" '[plugins]\ndir = ../plugins\nload = test_good\n'
(cd / && "$okno" --config "$tmp/etc/rel.conf" --check-config) >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
    ok "a relative [plugins] dir is found from the config file's directory"
else
    not_ok "a relative [plugins] dir is found from the config file's directory (rc $rc)" "$tmp/out"
fi
