# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# deps.sh: install the Debian packages a script needs, if any is missing.
# Sourced by setup, run, test and bench scripts.
#
#   xfb_need_packages PKG...   installs the missing ones with apt-get
#                              (root), or says which to install (others)

# shellcheck disable=SC2034
XFB_BUILD_PACKAGES="gcc meson ninja-build pkg-config libglib2.0-dev check
libfuse3-dev fuse3 xfslibs-dev"
# graphviz and mawk: the README's examples (tests/integration/docs.sh)
# draw a tree, and must work with Debian's default awk.  chromium,
# chromium-driver and python3-selenium: html.sh drives tree.html in a
# real (headless) browser.  xfsprogs, e2fsprogs and attr: the scan
# tests make XFS and ext4 images on loop devices and set xattrs on them.
# shellcheck disable=SC2034
XFB_TEST_PACKAGES="fio psmisc procps graphviz mawk chromium chromium-driver
python3-selenium xfsprogs e2fsprogs attr"
# The fuzz targets (tests/fuzz): clang, its libFuzzer and sanitizer
# runtimes, and llvm-symbolizer for readable crash reports.
# shellcheck disable=SC2034
XFB_FUZZ_PACKAGES="clang libclang-rt-14-dev llvm"

xfb_need_packages()
{
	local missing=() pkg

	for pkg in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
				grep -q 'install ok installed'; then
			missing+=("$pkg")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages: ${missing[*]}" >&2
		echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
		return 1
	fi
	echo "installing: ${missing[*]}" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" \
		>/dev/null
}
