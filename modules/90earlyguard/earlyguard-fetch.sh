#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dracut pre-mount hook 00: before the root is mounted (udev has loaded the
# drivers).  On GRUB's recovery entry with recover=fetch and a server=,
# `earlyguard fetch --auto=entry` fetches the known-good bundle and
# reboots (or kexecs) into it; on any other boot it does nothing.  Sourced
# by dracut's /init: it never exits.

# shellcheck source=SCRIPTDIR/../../hooks/earlyguard-lib.sh
if . /usr/lib/earlyguard/earlyguard-lib.sh; then
	eg_fetch_entry
fi
