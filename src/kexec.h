/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kexec mode of the known-good fetch (earlyguard.recover=kexec): the
 * fetched and verified kernel and initrd are booted directly with
 * kexec_file_load(2) and reboot(LINUX_REBOOT_CMD_KEXEC), no boot slot
 * written.  eg_kexec_cmdline is pure; the other two are the effects.
 */
#ifndef EG_KEXEC_H
#define EG_KEXEC_H

#include "eg.h"

/* x86's COMMAND_LINE_SIZE.  A bzImage advertises cmdline_size =
 * COMMAND_LINE_SIZE - 1 and kexec_file_load counts the NUL in it, so the
 * text itself may be at most EG_KEXEC_CMDLINE_MAX - 2 bytes. */
#define EG_KEXEC_CMDLINE_MAX 2048

/* The command line for the fetched kernel, from the running one's
 * (/proc/cmdline): its words in order, one blank between them, a quoted
 * word ("a=\"x y\"") as it is, without earlyguard.recover=,
 * earlyguard.entry= and earlyguard.attempt= (a kexec'd kernel is no GRUB
 * entry), and with earlyguard.recover=retry at the end of the kernel's
 * words, so the fetched system never fetches again.  "At the end" is
 * before a bare "--" (what follows it is init's and is kept as it is),
 * and before a last word whose quote is never closed (it runs to the end
 * of the line and would swallow anything after it).  Returns NULL, or a
 * short reason ("the command line is over N bytes") when the result does
 * not fit in out[size] or in the kernel's limit; out is then empty.  out
 * is always NUL-terminated (size > 0).  The reason is a static buffer. */
const char *eg_kexec_cmdline(const char *current, char *out, size_t size);

/* The same for a boot slot's arguments (eg_slot_args, which GRUB boots
 * with in place of its own): also without BOOT_IMAGE= (GRUB adds its
 * own) and root=, and "earlyguard.recover=retry root=ROOT" where the
 * other goes.  root NULL: eg_kexec_cmdline. */
const char *eg_next_cmdline(const char *current, const char *root, char *out, size_t size);

/* Open kernel_path and initrd_path and load them with kexec_file_load(2)
 * and cmdline for the next eg_kexec_exec.  Returns 0, or -errno with a
 * reason in why[wsize] that names the file and says what to do.  The test
 * build (EG_NO_REBOOT) never loads a kernel into the host: after the
 * files are opened it returns 0, or -N when EARLYGUARD_TEST_KEXEC_ERRNO
 * is N (a test seam for the failure paths). */
int eg_kexec_load(const char *kernel_path, const char *initrd_path, const char *cmdline,
		  char *why, size_t wsize);

/* Sync and boot the loaded kernel: reboot(LINUX_REBOOT_CMD_KEXEC) from a
 * child, so a hung sync cannot stop it (the wait for the sync is bounded;
 * then it boots without).  Returns only on failure: -errno, why set.  The
 * test build logs and exits 0 instead, as eg_reboot does. */
int eg_kexec_exec(char *why, size_t wsize);

#endif
