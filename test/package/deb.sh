#!/usr/bin/env bash
# deb.sh: build the Debian package postgresql-15-crm-sales, install it on a
# clean Debian 12 root and run the regression suite against it.
#
#   bash test/package/deb.sh            (as root: debootstrap and chroot)
#
# 1. source package: an orig tarball of the tracked (and new, not ignored)
#    files without debian/, then dpkg-buildpackage -us -uc with the nocheck
#    profile (the suite needs the installed package, step 3); the build
#    must be free of compiler warnings (Debian's hardening flags, no
#    -Werror) and the .deb must hold the library and every install and
#    upgrade script.
# 2. a clean Debian 12 root: debootstrap --variant=minbase bookworm into a
#    temporary folder.  The downloaded base packages are kept as a
#    debootstrap tarball, and apt's downloads in an archive folder, under
#    $CRM_DEB_CACHE (default /var/cache/crm_sales/deb), so a second run
#    fetches nothing but the package lists.  The mirror is the one apt uses
#    ($CRM_DEBIAN_MIRROR, default http://deb.debian.org/debian).
# 3. apt-get install of the .deb (its Depends bring PostgreSQL 15) and of
#    make, nothing else: no compiler, no server headers; then debian/tests/
#    installcheck, the autopkgtest (pg_buildext installcheck: a temporary
#    cluster by pg_virtualenv, make installcheck = the pg_regress and
#    isolation suites with the Makefile's REGRESS and ISOLATION lists),
#    from a copy of the unpacked source package, so it tests the installed
#    files and cannot build anything; then CREATE EXTENSION in a fresh
#    cluster, VERSION '0.1.0' and ALTER EXTENSION UPDATE included.
# Prints "ok - ..." / "not ok - ..." and "deb: N passed, N failed" (each
# pg_regress / isolation test counts); exits non-zero if anything failed.
# Takes minutes (2m16s with a warm cache and 2m38s on the first run on a
# quiet 2-core machine, 9m49s at load 7), so it is a named script
# (docs/testing.md), not part of scripts/test.sh.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/common.sh
source "$root/scripts/common.sh"
SUITE=deb
# shellcheck source=../tap.sh
source "$root/test/tap.sh"

if [ "$(id -u)" != 0 ]; then
	echo "deb.sh needs root (debootstrap, chroot, mount)" >&2
	not_ok "running as root"
	summary
	exit 1
fi

cache=${CRM_DEB_CACHE:-/var/cache/crm_sales/deb}
mirror=${CRM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
t0=$SECONDS

crm_need_packages debootstrap dpkg-dev debhelper postgresql-server-dev-all \
	postgresql-server-dev-$PG_MAJOR make gcc libc6-dev iproute2 || exit 1

work=$(mktemp -d /tmp/crm_deb.XXXXXX)
chroot_dir=$work/root
mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" 2>/dev/null
	done
	# never follow a mount point that could not be unmounted
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. build the source and binary packages
src_name=$(sed -n 's/^Source: //p' "$root/debian/control")
deb_version=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$root/debian/changelog")
upstream=${deb_version%-*}
srcdir=$work/$src_name-$upstream
mkdir -p "$srcdir"
(cd "$root" && git ls-files -co --exclude-standard -z | grep -zv '^debian/' |
	xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$srcdir"
tar -C "$work" -czf "$work/${src_name}_$upstream.orig.tar.gz" "$src_name-$upstream"
cp -a "$root/debian" "$srcdir/debian"

if (cd "$srcdir" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -Pnocheck) \
	>"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage: source and binary packages built ($((SECONDS - t0)) s)"
else
	not_ok "dpkg-buildpackage: source and binary packages built"
	tail -30 "$work/build.log" | diag
	summary
	exit 1
fi
deb=$(ls "$work"/postgresql-$PG_MAJOR-crm-sales_"$deb_version"_*.deb 2>/dev/null | head -1)
dsc=$work/${src_name}_$deb_version.dsc
if [ -f "$dsc" ] && [ -n "$deb" ]; then
	ok "built $(basename "$dsc") and $(basename "$deb")"
else
	not_ok "built the .dsc and postgresql-$PG_MAJOR-crm-sales .deb"
	ls "$work" | diag
fi
if grep -E '(warning|error):' "$work/build.log" | grep -v '^dpkg-' >"$work/warnings"; then
	not_ok "the package build (Debian's flags, no -Werror) has no compiler warning"
	diag "$work/warnings"
else
	ok "the package build (Debian's flags, no -Werror) has no compiler warning"
fi
if grep -q -- '-Werror ' <(grep -E '^(gcc|cc) ' "$work/build.log"); then
	not_ok "the package build does not use -Werror"
else
	ok "the package build does not use -Werror"
fi
dpkg-deb -c "$deb" | awk '{print $NF}' >"$work/contents"
missing=()
for f in /usr/lib/postgresql/$PG_MAJOR/lib/crm_sales.so \
	/usr/share/postgresql/$PG_MAJOR/extension/crm_sales.control \
	$(cd "$root/sql" && ls crm_sales--*.sql | sed "s|^|/usr/share/postgresql/$PG_MAJOR/extension/|") \
	/usr/share/postgresql/$PG_MAJOR/extension/crm_sales--$upstream.sql \
	/usr/share/postgresql/$PG_MAJOR/extension/crm_sales--0.1.0--$upstream.sql \
	/usr/share/doc/postgresql-$PG_MAJOR-crm-sales/copyright \
	/usr/share/doc/postgresql-$PG_MAJOR-crm-sales/README.md \
	/usr/share/doc/postgresql-$PG_MAJOR-crm-sales/docs/funnels.md; do
	# dh_compress gzips the larger documents
	grep -qxF -e ".$f" -e ".$f.gz" "$work/contents" || missing+=("$f")
done
if [ ${#missing[@]} -eq 0 ]; then
	ok "the .deb holds the library, the control file, every install and upgrade script, copyright and docs"
else
	not_ok "the .deb holds the library, the control file, every install and upgrade script, copyright and docs"
	printf '%s\n' "${missing[@]}" | diag
fi
depends=$(dpkg-deb -f "$deb" Depends)
if echo "$depends" | grep -q "postgresql-$PG_MAJOR"; then
	ok "the .deb depends on postgresql-$PG_MAJOR ($depends)"
else
	not_ok "the .deb depends on postgresql-$PG_MAJOR ($depends)"
fi

# ---- 2. a clean Debian 12 root
mkdir -p "$cache/archives/partial"
tarball=$cache/debootstrap-$suite-minbase-$(dpkg --print-architecture).tgz
t1=$SECONDS
if [ ! -s "$tarball" ]; then
	debootstrap --variant=minbase --make-tarball="$tarball.tmp" "$suite" "$work/dl" "$mirror" \
		>"$work/debootstrap.log" 2>&1 && mv "$tarball.tmp" "$tarball"
fi
if [ -s "$tarball" ] &&
	debootstrap --variant=minbase --unpack-tarball="$tarball" "$suite" "$chroot_dir" "$mirror" \
		>>"$work/debootstrap.log" 2>&1; then
	ok "clean Debian 12 ($suite, minbase) root by debootstrap ($((SECONDS - t1)) s, cached base: $tarball)"
else
	not_ok "clean Debian 12 ($suite, minbase) root by debootstrap"
	tail -20 "$work/debootstrap.log" | diag
	summary
	exit 1
fi

in_root() { chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
# The servers of the tests run in a network namespace of their own (only
# a loopback): their ports cannot meet the host's or another test's.
in_root_offline() {
	unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
		chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 "$@"
}
mount -t proc proc "$chroot_dir/proc" && mounted+=("$chroot_dir/proc")
mkdir -p "$chroot_dir/dev/shm"
mount -t tmpfs shm "$chroot_dir/dev/shm" && mounted+=("$chroot_dir/dev/shm")
mount --bind "$cache/archives" "$chroot_dir/var/cache/apt/archives" &&
	mounted+=("$chroot_dir/var/cache/apt/archives")
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
security=${mirror%/debian}/debian-security
cat >"$chroot_dir/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
# no service starts inside the root; keep the downloaded packages
printf '#!/bin/sh\nexit 101\n' >"$chroot_dir/usr/sbin/policy-rc.d"
chmod 755 "$chroot_dir/usr/sbin/policy-rc.d"
echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >"$chroot_dir/etc/apt/apt.conf.d/90keep"

# ---- 3. install the package and run the suite against it
cp "$deb" "$chroot_dir/tmp/"
t2=$SECONDS
if in_root apt-get update -qq >"$work/apt.log" 2>&1 &&
	in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$deb")" make \
		>>"$work/apt.log" 2>&1; then
	ok "apt-get install ./$(basename "$deb") make: its Depends bring PostgreSQL $PG_MAJOR ($((SECONDS - t2)) s)"
else
	not_ok "apt-get install ./$(basename "$deb") make"
	tail -20 "$work/apt.log" | diag
	summary
	exit 1
fi
if in_root sh -c 'command -v gcc || command -v cc || ls /usr/include/postgresql/15/server' >/dev/null 2>&1; then
	not_ok "the root has no compiler and no server headers (nothing can be rebuilt there)"
else
	ok "the root has no compiler and no server headers (nothing can be rebuilt there)"
fi

# the unpacked source package (dpkg-source -x), as autopkgtest would use it
if (cd "$work" && dpkg-source -x "$(basename "$dsc")" "$chroot_dir/tmp/src" >"$work/dpkg-source.log" 2>&1); then
	ok "dpkg-source -x unpacks the source package"
else
	not_ok "dpkg-source -x unpacks the source package"
	diag "$work/dpkg-source.log"
fi
t3=$SECONDS
in_root_offline sh -c 'cd /tmp/src && debian/tests/installcheck' >"$work/installcheck.log" 2>&1
rc=$?
grep -E '^(test | )|^ok |^not ok ' "$work/installcheck.log" | grep -E '\.\.\.|^(not )?ok ' | sed 's/^/# /'
nok=$(grep -cE '\.\.\. ok|^ok [0-9]+' "$work/installcheck.log")
nbad=$(grep -cE '\.\.\. FAILED|\.\.\. failed|^not ok [0-9]+' "$work/installcheck.log")
passed=$((passed + nok))
failed=$((failed + nbad))
nexpected=$(cd "$root" && ls test/sql/*.sql test/isolation/specs/*.spec | wc -l)
if [ "$rc" -eq 0 ] && [ "$nbad" -eq 0 ] && [ "$nok" -ge "$nexpected" ]; then
	ok "debian/tests/installcheck against the installed package: $nok regression and isolation tests ($((SECONDS - t3)) s)"
else
	not_ok "debian/tests/installcheck against the installed package ($nok ok, $nbad failed, $nexpected expected, exit $rc)"
	grep -vE '\.\.\. ok' "$work/installcheck.log" | tail -40 | diag
	find "$chroot_dir/tmp/src" -name regression.diffs -exec head -60 {} \; | diag
fi

# the installed extension in a fresh cluster: create, and update from 0.1.0
cat >"$chroot_dir/tmp/create.sql" <<'EOF'
\set ON_ERROR_STOP on
CREATE EXTENSION crm_sales;
SELECT extversion FROM pg_extension WHERE extname = 'crm_sales';
CREATE DATABASE old;
\c old
CREATE EXTENSION crm_sales VERSION '0.1.0';
ALTER EXTENSION crm_sales UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'crm_sales';
EOF
in_root_offline pg_virtualenv -v "$PG_MAJOR" psql -X -At -f /tmp/create.sql >"$work/create.log" 2>&1
versions=$(grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' "$work/create.log" | tr '\n' ' ')
if [ "$versions" = "$upstream $upstream " ]; then
	ok "installed package: CREATE EXTENSION crm_sales gives $upstream; 0.1.0 + ALTER EXTENSION UPDATE gives $upstream"
else
	not_ok "installed package: CREATE EXTENSION crm_sales, and 0.1.0 updated to $upstream (got: $versions)"
	diag "$work/create.log"
fi

echo "# total $((SECONDS - t0)) s"
summary
[ "$failed" -eq 0 ]
