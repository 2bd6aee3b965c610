# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# slots.bash - GRUB's slot directories for the tests that need them
# (grub.bats, grubd.bats, fetch.bats): `load slots`, then make_slots.

# make_slots DIR: DIR/{A,B,trial,recovery}, each with a vmlinuz and an
# initrd.img that say which slot they are ("kernel A", "initrd A").
make_slots() {
	local s
	for s in A B trial recovery; do
		mkdir -p "$1/$s"
		echo "kernel $s" >"$1/$s/vmlinuz"
		echo "initrd $s" >"$1/$s/initrd.img"
	done
}
