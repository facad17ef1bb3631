#!/usr/bin/env bash
# Builds the Debian package rdnscheck_VERSION-REVISION_ARCH.deb into OUTDIR from a built binary (`make deb`: the
# release binary, with the Swift runtime linked in).
#
#   packaging/deb/build.sh BINARY OUTDIR [REVISION]     REVISION defaults to 1; VERSION is RDNSCheckCommand.version
#
# dpkg-deb with a control file and maintainer scripts written here, not a debian/ directory and dpkg-buildpackage:
# dpkg-buildpackage would build the Swift code again inside debian/rules (a second, slow release build that needs the
# toolchain in the build dependencies, which no Debian package provides) and pull in debhelper for what amounts to
# three unit files and a conffile. The tree is what `make install DESTDIR=... PREFIX=/usr` installs (one install
# procedure, units rewritten to /usr/bin/rdnscheck), finished the way debhelper would: the binary stripped
# (dh_strip), the man page and changelog compressed with gzip -9n (dh_compress), Depends from dpkg-shlibdeps
# (dh_shlibdeps), md5sums (dh_md5sums), the maintainer scripts debhelper's dh_installsystemd --no-start writes
# (postinst, prerm, postrm here). Needs dpkg-dev and binutils (`make deb` installs them when missing).
set -euo pipefail

[[ $# == 2 || $# == 3 ]] || { echo "usage: $0 BINARY OUTDIR [REVISION]" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
binary=$(realpath -e "$1") || { echo "build.sh: no binary at $1" >&2; exit 2; }
out=$2
revision=${3:-1}
[[ $revision =~ ^[0-9]+$ ]] || { echo "build.sh: REVISION must be a number, not '$revision'" >&2; exit 2; }
version=$(sed -n 's/^ *public static let version = "\([0-9][0-9.]*\)"$/\1/p' \
    "$root/Sources/RDNSCommand/RDNSCheckCommand.swift")
[[ -n $version ]] || { echo "build.sh: no version in Sources/RDNSCommand/RDNSCheckCommand.swift" >&2; exit 2; }
arch=$(dpkg --print-architecture)
package=rdnscheck_$version-${revision}_$arch.deb
# Dates in the package (changelog, file times) are the last commit's, so a rebuild of the same tree is the same.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}

umask 022
work=$(mktemp -d "${TMPDIR:-/tmp}/rdnscheck-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
# debian/rdnscheck: where dpkg-shlibdeps expects a package's tree (it reads debian/control beside it).
tree=$work/src/debian/rdnscheck
mkdir -p "$tree/DEBIAN"
printf 'Source: rdnscheck\n\nPackage: rdnscheck\nArchitecture: any\n' >"$work/src/debian/control"
# Units in /usr/lib/systemd/system, not bookworm debhelper's /lib/systemd/system: the same directory on a merged-/usr
# system (every bookworm), where systemd and deb-systemd-helper look too, and where trixie's debhelper puts them; a
# later move between the two aliased paths could make dpkg delete the files it just unpacked (DEP-17).
make -C "$root" --no-print-directory -s install DESTDIR="$tree" PREFIX=/usr SYSTEMD_UNIT_DIR=/usr/lib/systemd/system \
    RDNSCHECK_BIN="$binary" >/dev/null

strip --remove-section=.comment --remove-section=.note --strip-unneeded "$tree/usr/bin/rdnscheck"
gzip -9n "$tree/usr/share/man/man8/rdnscheck.8"
doc=$tree/usr/share/doc/rdnscheck
install -m 0644 "$here/copyright" "$doc/copyright"
install -D -m 0644 "$here/lintian-overrides" "$tree/usr/share/lintian/overrides/rdnscheck"
{
    printf 'rdnscheck (%s) unstable; urgency=medium\n\n' "$version-$revision"
    printf '  * Built from the rdnscheck tree with make deb; its git log has the changes.\n\n'
    printf ' -- rdnscheck maintainers <maintainers@users.noreply.r-seed-06f7e048.example>  %s\n' \
        "$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.Debian.gz"
find "$tree" -newermt "@$SOURCE_DATE_EPOCH" -exec touch --no-dereference -d "@$SOURCE_DATE_EPOCH" {} +

depends=$(cd "$work/src" && dpkg-shlibdeps -O debian/rdnscheck/usr/bin/rdnscheck | sed -n 's/^shlibs:Depends=//p')
[[ -n $depends ]] || { echo "build.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

cat >"$tree/DEBIAN/control" <<CONTROL
Package: rdnscheck
Version: $version-$revision
Architecture: $arch
Maintainer: rdnscheck maintainers <maintainers@users.noreply.r-seed-06f7e048.example>
Installed-Size: $(du -sk --exclude=DEBIAN "$tree" | cut -f1)
Depends: $depends
Suggests: awscli, prometheus-node-exporter
Section: net
Priority: optional
Description: forward-confirmed reverse DNS (FCrDNS) checker for mail servers
 rdnscheck checks each configured address the way mail receivers do: its PTR
 names must resolve back to it. It runs as a systemd service that re-checks on
 an interval, logs drift, runs an on-change program and writes Prometheus
 metrics for node_exporter's textfile collector, or once from cron or a
 monitoring system (Nagios/Icinga exit codes and output, or JSON).
 .
 The units are installed neither enabled nor started: edit
 /etc/rdnscheck/rdnscheck.conf, then enable rdnscheck.service or
 rdnscheck.timer. With aws-ptr on it compares AWS's record of the PTRs of
 Elastic IPs (the awscli package).
CONTROL
echo /etc/rdnscheck/rdnscheck.conf >"$tree/DEBIAN/conffiles"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$tree/DEBIAN/"
(cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
    >"$tree/DEBIAN/md5sums"
chmod 0644 "$tree/DEBIAN/md5sums"

mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz --build "$tree" "$out/$package" >/dev/null
echo "built $out/$package ($(du -k "$out/$package" | cut -f1) KiB; Depends: $depends)"
