#!/usr/bin/env bash
# Checks the Debian package `make deb` built (`make deb-check`, the `deb` step of `make test`): lintian with no
# error or warning, the files and control fields the package promises, the packaged binary's version, and the bash
# completion against `rdnscheck --help` (run with bash, in the package's tree). Installing, upgrading and purging it
# under a real systemd is Tests/Systemd/run.sh's "Debian package" phase.
#
#   Tests/Packaging/deb-check.sh DEB_DIR REVISION BINARY
#
# Prints PASS or FAIL per check and the lintian tags; exits 1 when a check fails.
set -uo pipefail

[[ $# == 3 ]] || { echo "usage: $0 DEB_DIR REVISION BINARY" >&2; exit 2; }
# shellcheck disable=SC2012  # the newest of the names build.sh writes (no odd characters)
deb=$(ls -t "$1"/rdnscheck_*-"$2"_*.deb 2>/dev/null | head -n 1)
[[ -n $deb ]] || { echo "deb-check: no rdnscheck_*-$2_*.deb in $1" >&2; exit 2; }
binary=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/rdnscheck-deb-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0
check() {   # check DESCRIPTION COMMAND...: PASS when the command succeeds
    local name=$1
    shift
    if "$@"; then echo "PASS: $name"; else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
echo "deb-check: $deb, $(du -k "$deb" | cut -f1) KiB"

# lintian refuses nothing as root but says so; --pedantic shows every tag, --fail-on decides.
lintian_clean() {
    lintian --display-info --pedantic --fail-on error,warning "$deb" 2>&1 |
        grep -v '^running with root privileges' | sed 's/^/   /'
    return "${PIPESTATUS[0]}"
}
check "lintian: no error or warning (info and pedantic tags above)" lintian_clean

dpkg-deb -x "$deb" "$work/tree"
dpkg-deb -e "$deb" "$work/control"
files_present() {
    local f ok=0
    for f in usr/bin/rdnscheck usr/lib/systemd/system/rdnscheck.service usr/lib/systemd/system/rdnscheck-once.service \
        usr/lib/systemd/system/rdnscheck.timer usr/share/man/man8/rdnscheck.8.gz etc/rdnscheck/rdnscheck.conf \
        usr/share/bash-completion/completions/rdnscheck usr/share/doc/rdnscheck/copyright \
        usr/share/doc/rdnscheck/changelog.Debian.gz; do
        [[ -f $work/tree/$f ]] || { echo "   missing /$f"; ok=1; }
    done
    return $ok
}
check "the binary, units, man page, configuration, completion, copyright and changelog are in the package" \
    files_present
units_run_packaged_binary() {
    grep -h '^ExecStart=' "$work"/tree/usr/lib/systemd/system/*.service | sed 's/^/   /'
    ! grep -h '^ExecStart=' "$work"/tree/usr/lib/systemd/system/*.service | grep -qv '^ExecStart=/usr/bin/rdnscheck '
}
check "every ExecStart= runs /usr/bin/rdnscheck" units_run_packaged_binary
check "the configuration is a conffile" grep -qx /etc/rdnscheck/rdnscheck.conf "$work/control/conffiles"
check "the copyright file is machine-readable (DEP-5) and MIT" grep -q '^License: MIT$' \
    "$work/tree/usr/share/doc/rdnscheck/copyright"
depends=$(dpkg-deb -f "$deb" Depends)
echo "   Depends: $depends"
check "Depends names libc6, libstdc++6 and libgcc-s1 with versions" \
    grep -Eq '^libc6 \(>= [0-9.]+\), libgcc-s1 \(>= [0-9.]+\), libstdc\+\+6 \(>= [0-9.]+\)$' <<<"$depends"
packaged_version() {
    local v
    v=$("$work/tree/usr/bin/rdnscheck" --version)
    echo "   $v; package $(dpkg-deb -f "$deb" Version); release binary $("$binary" --version)"
    [[ "$v" == "rdnscheck $(dpkg-deb -f "$deb" Version | sed 's/-[0-9]*$//')" ]]
}
check "the packaged (stripped) binary runs and is the package's version" packaged_version

# Completion: what bash offers for the words given, one per line, sorted.
complete_words() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _rdnscheck
        printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$work/tree/usr/share/bash-completion/completions/rdnscheck" \
        "$@"
}
every_option_completes() {
    local expected offered
    expected=$("$binary" --help | grep -oE '(^|[ ,])--?[a-zA-Z][a-z-]*' | sed 's/^[ ,]*//' | sort -u)
    offered=$(complete_words rdnscheck - | sort -u)
    echo "   --help options: $(tr '\n' ' ' <<<"$expected")"
    diff <(echo "$expected") <(echo "$offered") | sed 's/^/   /'
    [[ $expected == "$offered" ]]
}
check "completion offers exactly the options of rdnscheck --help" every_option_completes
check "completion of --format= offers text, nagios and json" \
    test "$(complete_words rdnscheck --format = '' | tr '\n' ' ')" == "json nagios text "
check "completion of --engine p offers pipelined" test "$(complete_words rdnscheck --engine p)" == pipelined
mkdir -p "$work/conf/sub"
touch "$work/conf/a.conf" "$work/conf/b.txt"
check "completion of -c offers *.conf files and directories, not other files" \
    test "$(complete_words rdnscheck -c "$work/conf/" | tr '\n' ' ')" == "$work/conf/a.conf $work/conf/sub "

if ((failed)); then
    echo "deb-check: FAILED ($failed checks)"
    exit 1
fi
echo "deb-check: OK, $(dpkg-deb -f "$deb" Package)_$(dpkg-deb -f "$deb" Version) $(du -k "$deb" | cut -f1) KiB"
