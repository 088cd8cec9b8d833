#!/bin/bash
# lambda/package.sh
#	`make lambda-package`: builds lambda/bootstrap for the Lambda custom
#	runtime provided.al2023, on x86_64 and arm64, and zips each with
#	everything it needs to run:
#
#	  build/lambda/sage-bootstrap-x86_64.zip
#	  build/lambda/sage-bootstrap-arm64.zip
#
#	  lambda/package.sh [x86_64] [arm64]      (default: both)
#
#	Why the C library is bundled: Debian 12's libraries need glibc 2.36
#	(libexpat calls arc4random_buf, GLIBC_2.36) and Amazon Linux 2023 has
#	glibc 2.34, and libcurl cannot reasonably be linked statically on
#	Debian (gssapi, ldap, rtmp, ssh2...). So each package carries the
#	whole closure of shared libraries of the binary, glibc and its
#	dynamic loader included, and its entry point `bootstrap` is a
#	/bin/sh script that runs bin/sage-bootstrap through the bundled
#	loader with --library-path lib: no library of the image is used, so
#	the image's glibc version does not matter. The script checks this
#	closure (every DT_NEEDED of the binary and of lib/* is in lib/, and
#	the highest GLIBC_x.y any of them needs is at most the bundled glibc's
#	version) and fails otherwise; test/deploy/check_package.py checks it
#	again and runs the package with no system library at all.
#
#	arm64 is cross-compiled with Debian's gcc-aarch64-linux-gnu against
#	the multiarch arm64 -dev packages; missing packages are installed
#	(as root, like test/install_deps.sh). Prints each package's size,
#	zipped and unzipped, against Lambda's 250 MB unzipped limit.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${SAGE_LAMBDA_OUT:-$TOP/build/lambda}
LIMIT=$((250 * 1024 * 1024))	# Lambda: unzipped function code and layers
LIBS="-lyaml -lpcre2-8 -lz -lexpat -lm -lcurl -lcrypto"
# PostgreSQL's flags for the same sources (pg_config --cflags --cppflags),
# minus what only matters inside the server
CFLAGS="-O2 -g -std=gnu11 -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong
-fno-strict-aliasing -fwrapv -Wall -Wextra -Werror -Wno-unused-parameter
-Wno-missing-field-initializers -Wmissing-prototypes -Wdeclaration-after-statement
-Wimplicit-fallthrough=3 -Wformat-security -Wno-format-truncation
-Wno-stringop-truncation -I$TOP/src/include"

die() {
	echo "lambda/package.sh: $*" >&2
	exit 1
}

# need_pkgs PKG...: installs the Debian packages that are missing.
need_pkgs() {
	local missing="" p
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root to install them)"
	echo "lambda/package.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	case $missing in
	*:arm64*)
		if ! dpkg --print-foreign-architectures | grep -qx arm64; then
			dpkg --add-architecture arm64
		fi
		;;
	esac
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
}

# needed FILE: the sonames FILE asks for (DT_NEEDED).
needed() {
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

# glibc_max FILE...: the highest GLIBC_x.y version the files reference
# (undefined symbols only: what they need, not what libc defines).
glibc_max() {
	local f
	for f in "$@"; do
		objdump -T "$f" | awk '/\*UND\*/' | grep -o 'GLIBC_[0-9][0-9.]*' || true
	done | sed 's/GLIBC_//' | sort -V -u | tail -1
}

# package ARCH: builds, bundles and zips one architecture.
package() {
	local arch=$1 triplet cc strip loader dirs
	case $arch in
	x86_64)
		triplet=x86_64-linux-gnu
		cc=gcc
		strip="strip"
		loader=ld-linux-x86-64.so.2
		need_pkgs gcc binutils zip libc6-dev libcurl4-openssl-dev libyaml-dev \
			libpcre2-dev libexpat1-dev zlib1g-dev libssl-dev
		;;
	arm64)
		triplet=aarch64-linux-gnu
		cc=aarch64-linux-gnu-gcc
		strip=aarch64-linux-gnu-strip
		loader=ld-linux-aarch64.so.1
		need_pkgs gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu zip \
			libc6-dev:arm64 libcurl4-openssl-dev:arm64 libyaml-dev:arm64 \
			libpcre2-dev:arm64 libexpat1-dev:arm64 zlib1g-dev:arm64 libssl-dev:arm64
		;;
	*)
		die "unknown architecture \"$arch\" (x86_64 or arm64)"
		;;
	esac
	# the multiarch runtime libraries the -dev packages link against
	dirs="/lib/$triplet /usr/lib/$triplet"

	local work=$OUT/$arch
	local obj=$work/obj stage=$work/package
	rm -rf "$stage"
	mkdir -p "$obj" "$stage/bin" "$stage/lib"

	# compile (objects of their own: the tree's *.o are the host's, built
	# with PostgreSQL's flags and -fPIC for sage.so)
	local srcs s o objs=""
	srcs=$(cd "$TOP" && ls lambda/*.c src/core/*.c src/aws/*.c)
	for s in $srcs; do
		objs="$objs $obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')"
	done
	for s in $srcs; do
		o=$obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')
		if [ ! -f "$o" ] || [ "$TOP/$s" -nt "$o" ] ||
			[ -n "$(find "$TOP/src/include" "$TOP/src/core" "$TOP/src/aws" "$TOP/lambda" \
				-name '*.h' -newer "$o" -print -quit)" ]; then
			echo "$s $o"
		fi
	done > "$work/to-compile"
	# two compilers at a time; $0 and $1 are expanded by the inner sh
	# shellcheck disable=SC2016
	(cd "$TOP" && SAGE_CC=$cc SAGE_CFLAGS=$CFLAGS xargs -r -n 2 -P 2 \
		sh -c 'echo "  CC  $0" >&2; exec $SAGE_CC $SAGE_CFLAGS -c -o "$1" "$0"' < "$work/to-compile") ||
		die "$arch: compilation failed"
	# shellcheck disable=SC2086
	$cc -o "$work/sage-bootstrap.full" $objs $LIBS || die "$arch: link failed"
	$strip -o "$stage/bin/sage-bootstrap" "$work/sage-bootstrap.full"

	# the closure of shared libraries, by soname, from the multiarch dirs
	local interp todo f n d found
	interp=$(readelf -l "$stage/bin/sage-bootstrap" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
	[ "$(basename "$interp")" = "$loader" ] || die "$arch: unexpected interpreter \"$interp\""
	todo="$stage/bin/sage-bootstrap"
	while [ -n "$todo" ]; do
		f=${todo%% *}
		if [ "$f" = "$todo" ]; then todo=""; else todo=${todo#* }; fi
		for n in $(needed "$f"); do
			[ -e "$stage/lib/$n" ] && continue
			found=""
			for d in $dirs; do
				if [ -e "$d/$n" ]; then
					found=$d/$n
					break
				fi
			done
			[ -n "$found" ] || die "$arch: $n (needed by $(basename "$f")) not found in $dirs"
			cp -L "$found" "$stage/lib/$n"
			chmod 0755 "$stage/lib/$n"
			todo="$todo $stage/lib/$n"
			todo=${todo# }
		done
	done
	found=""
	for d in $dirs; do
		[ -e "$d/$loader" ] && { found=$d/$loader; break; }
	done
	[ -n "$found" ] || die "$arch: dynamic loader $loader not found in $dirs"
	cp -L "$found" "$stage/lib/$loader"
	chmod 0755 "$stage/lib/$loader"

	# the entry point Lambda runs
	cat > "$stage/bootstrap" <<EOF
#!/bin/sh
# bootstrap: entry point of SAGE's Lambda custom runtime (provided.al2023,
# $arch), written by lambda/package.sh. Runs bin/sage-bootstrap with the
# dynamic loader and libraries bundled in lib/ (built on Debian 12) and
# none of the image's, whose glibc (2.34 on AL2023) is older than theirs.
case \$0 in
*/*) here=\${0%/*} ;;
*) here=. ;;
esac
exec "\$here/lib/$loader" --library-path "\$here/lib" "\$here/bin/sage-bootstrap" "\$@"
EOF
	chmod 0755 "$stage/bootstrap"

	# the property the package relies on: self-contained, and no file needs
	# a newer glibc than the one bundled
	for f in "$stage/bin/sage-bootstrap" "$stage"/lib/*; do
		for n in $(needed "$f"); do
			[ -e "$stage/lib/$n" ] || die "$arch: $(basename "$f") needs $n, not bundled"
		done
	done
	local libc_ver need_ver
	libc_ver=$(objdump -T "$stage/lib/libc.so.6" | grep -o 'GLIBC_2\.[0-9]*' | sed 's/GLIBC_//' | sort -V -u | tail -1)
	need_ver=$(glibc_max "$stage/bin/sage-bootstrap" "$stage"/lib/*)
	[ "$(printf '%s\n%s\n' "$need_ver" "$libc_ver" | sort -V | tail -1)" = "$libc_ver" ] ||
		die "$arch: files need GLIBC_$need_ver, the bundled libc has $libc_ver"

	# zip (unix permissions kept: bootstrap and the loader stay executable)
	local zipf=$OUT/sage-bootstrap-$arch.zip unzipped zipped nlibs
	rm -f "$zipf"
	(cd "$stage" && zip -q -X -r "$zipf" bootstrap bin lib)
	unzipped=$(find "$stage" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
	zipped=$(stat -c %s "$zipf")
	nlibs=$(find "$stage/lib" -type f | wc -l)
	[ "$unzipped" -lt "$LIMIT" ] || die "$arch: $unzipped bytes unzipped, over Lambda's limit of $LIMIT"
	{
		echo "arch=$arch"
		echo "zip=$zipf"
		echo "zipped_bytes=$zipped"
		echo "unzipped_bytes=$unzipped"
		echo "lambda_unzipped_limit_bytes=$LIMIT"
		echo "libraries=$nlibs"
		echo "glibc_needed=$need_ver"
		echo "glibc_bundled=$libc_ver"
	} > "$OUT/sage-bootstrap-$arch.txt"
	printf '%s: %s\n  %d bytes zipped, %d bytes unzipped (%.1f MB, %.1f%% of the 250 MB limit);\n  %d bundled libraries; needs GLIBC_%s, bundles glibc %s and %s\n' \
		"$arch" "${zipf#"$TOP"/}" "$zipped" "$unzipped" "$(awk "BEGIN {print $unzipped / 1048576}")" \
		"$(awk "BEGIN {print $unzipped * 100 / $LIMIT}")" "$nlibs" \
		"$need_ver" "$libc_ver" "$loader"
}

mkdir -p "$OUT"
archs=${*:-x86_64 arm64}
for a in $archs; do
	package "$a"
done
