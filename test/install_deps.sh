#!/bin/bash
# test/install_deps.sh
#	Installs the Debian 12 packages sage needs to build, demo and test,
#	only those missing (so it needs no network when all are present).
#	Run as root.
set -euo pipefail

PKGS="gcc make clang libclang-rt-14-dev valgrind
libyaml-dev libpcre2-dev zlib1g-dev libexpat1-dev libcurl4-openssl-dev libssl-dev
libcmocka-dev postgresql-15 postgresql-server-dev-15 postgresql-client-15
python3 python3-pandas python3-yaml libipc-run-perl iproute2 util-linux
openjdk-17-jre-headless nodejs"
# the deploy stage (test/deploy): zip for `make lambda-package` (which
# installs the arm64 cross compiler and -dev packages itself), a static
# shell for the package's chroot, qemu to run the arm64 package
PKGS="$PKGS binutils zip busybox-static qemu-user-static"
# the dashboard test (test/dashboard): headless Chromium renders the page
PKGS="$PKGS chromium"
# npm: Debian's package, unless node already brings its own (NodeSource's
# nodejs includes npm and conflicts with Debian's npm package)
if ! command -v npm > /dev/null 2>&1; then
	PKGS="$PKGS npm"
fi
# botocore (test/services/fake_lambda_invoke.py), unless python3 has it
if ! python3 -c 'import botocore' > /dev/null 2>&1; then
	PKGS="$PKGS python3-botocore"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install_deps: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "install_deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
