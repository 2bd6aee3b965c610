/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GRUB boot selection, the effects (grub/README.md has the contract):
 * `earlyguard trial` and `promote`, run by the operator's client, and the
 * grubenv side of the daemon's disarm and status.  bootsel.c decides;
 * this file reads, copies and writes.
 */
#include "roles.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EG_SLOTPATH_MAX (EG_PATH_MAX + 80) /* grub_slots/SLOT/FILE.tmp always fits */
#define EG_COPY_BUF 65536                  /* promote copies through this */

/* A slot's files; the first two must be there to boot it. */
static const char slot_files[3][11] = {"vmlinuz", "initrd.img", "slot.env"};

/* One grubenv at a time in this process. */
static struct eg_grubenv env;

/* buf = grub_slots/SLOT/FILE + suffix; not inlined in its six calls */
__attribute__((noinline)) static char *slot_path(char *buf, const struct eg_conf *c, int slot,
						 int file, const char *suffix)
{
	snprintf(buf, EG_SLOTPATH_MAX, "%s/%s/%s%s", c->grub_slots, eg_entry_name[slot],
		 slot_files[file], suffix);
	return buf;
}

/* 0 when slot has a non-empty vmlinuz and initrd.img, else -errno with
 * the file's path in buf. */
static int slot_ready(const struct eg_conf *c, int slot, char *buf)
{
	struct stat st;

	for (int i = 0; i < 2; i++) {
		if (stat(slot_path(buf, c, slot, i, ""), &st) != 0)
			return -errno;
		if (!S_ISREG(st.st_mode) || st.st_size == 0)
			return -EINVAL;
	}
	return 0;
}

/* The operator commands: root only, the configuration and this boot. */
static bool start(const char *verb, const struct eg_opts *o, struct eg_conf *c, struct eg_boot *b)
{
	char cmdline[EG_CMDLINE_MAX];

	eg_log_init(false);
	if (geteuid() != 0) {
		eg_log(EG_ERR, "%s: refused: only root may change the boot selection", verb);
		return false;
	}
	eg_load_conf(c, o->conf_path, o->cmdline_path, cmdline, sizeof cmdline, false);
	eg_boot_parse(cmdline, b);
	return true;
}

/* The exit code for a grubenv that could not be loaded (r < 0). */
static int load_failed(const char *path, int r)
{
	eg_log_sys(EG_ERR, "read", path, -r);
	return r == -EFBIG || r == -EINVAL ? EG_EXIT_FAIL : EG_EXIT_SYS;
}

static int save(const char *path)
{
	int r = eg_grubenv_save(path, &env);

	if (r)
		eg_log_sys(EG_ERR, "write", path, -r);
	return r ? EG_EXIT_SYS : EG_EXIT_OK;
}

int eg_grub_lock(const char *verb, const char *path)
{
	int fd = eg_grubenv_lock(path, EG_GRUBENV_LOCK_WAIT_MS);

	if (fd == -EWOULDBLOCK)
		eg_log(EG_ERR, "%s: refused: another earlyguard command is still changing %s "
		       "(waited %d s); %s is unchanged: try again", verb, path,
		       EG_GRUBENV_LOCK_WAIT_MS / 1000, path);
	else if (fd < 0)
		eg_log(EG_ERR, "%s: refused: unable to lock the directory of %s: %s", verb, path,
		       strerror(-fd));
	return fd < 0 ? -1 : fd;
}

/* The release of eg_grub_lock's fd, and the exit code r passed through. */
static int unlock(int fd, int r)
{
	close(fd);
	return r;
}

static int trial(const struct eg_conf *c, int entry);

int eg_cmd_trial(const struct eg_opts *o, int entry)
{
	struct eg_conf c;
	struct eg_boot b;
	int lock;

	if (!start("trial", o, &c, &b))
		return EG_EXIT_FAIL;
	lock = eg_grub_lock("trial", c.grubenv);
	return lock < 0 ? EG_EXIT_FAIL : unlock(lock, trial(&c, entry));
}

static int trial(const struct eg_conf *c, int entry)
{
	char path[EG_SLOTPATH_MAX];
	struct eg_grubsel s;
	const char *why;
	int r;

	r = slot_ready(c, entry, path);
	if (r) {
		eg_log(EG_ERR, "trial: refused: slot not ready: %s: %s", path, strerror(-r));
		return EG_EXIT_FAIL;
	}
	/* as `grubenv set` does: a missing file is created, a corrupt one
	 * replaced (GRUB can neither read nor count with it) */
	r = eg_grubenv_load(c->grubenv, &env);
	if (r < 0 && r != -ENOENT)
		return load_failed(c->grubenv, r);
	if (r > 0)
		eg_log(EG_WARN, "trial: %s is corrupt: %s; writing a fresh block", c->grubenv, env.err);
	why = eg_grubenv_set(&env, "eg_trial", eg_entry_name[entry]);
	if (why) {
		eg_log(EG_ERR, "trial: %s; %s unchanged", why, c->grubenv);
		return EG_EXIT_FAIL;
	}
	r = save(c->grubenv);
	if (r)
		return r;
	eg_grubsel_read(&env, &s);
	printf("next boot only: %s; the boots after it: the default, %s\n", eg_entry_name[entry],
	       eg_entry_name[s.def]);
	if (entry == EG_E_TRIAL)
		puts("to keep it: earlyguard disarm, then earlyguard promote, in that boot");
	return EG_EXIT_OK;
}

/* Copy src to dst and fsync dst.  0 or -errno. */
static int copy_file(const char *src, const char *dst)
{
	static char buf[EG_COPY_BUF];
	int in = open(src, O_RDONLY | O_CLOEXEC), out, err = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0)
		err = -errno;
	while (!err && (n = read(in, buf, sizeof buf)) != 0)
		if (n < 0)
			err = errno == EINTR ? 0 : -errno;
		else
			err = eg_write_all(out, buf, (size_t)n);
	if (out >= 0) {
		if (!err && fsync(out) != 0)
			err = -errno;
		if (close(out) != 0 && !err)
			err = -errno;
	}
	close(in);
	return err;
}

static int promote(const struct eg_conf *c, const struct eg_boot *b);

/* The lock is held from the first read to the last write: a disarm or a
 * trial meanwhile is refused (or waits) rather than lost. */
int eg_cmd_promote(const struct eg_opts *o)
{
	struct eg_conf c;
	struct eg_boot b;
	int lock;

	if (!start("promote", o, &c, &b))
		return EG_EXIT_FAIL;
	lock = eg_grub_lock("promote", c.grubenv);
	return lock < 0 ? EG_EXIT_FAIL : unlock(lock, promote(&c, &b));
}

static int promote(const struct eg_conf *c, const struct eg_boot *b)
{
	char src[EG_SLOTPATH_MAX], dst[EG_SLOTPATH_MAX], tmp[3][EG_SLOTPATH_MAX];
	const char *why, *to;
	struct stat st;
	int r, i, n, target;

	/* every precondition before the first byte is written */
	r = eg_grubenv_load(c->grubenv, &env);
	if (r < 0)
		return load_failed(c->grubenv, r);
	if (r > 0) {
		eg_log(EG_ERR, "promote: refused: %s is corrupt: %s", c->grubenv, env.err);
		return EG_EXIT_FAIL;
	}
	why = eg_bootsel_promote(b, &env, &target);
	if (why) {
		eg_log(EG_ERR, "promote: refused: %s", why);
		return EG_EXIT_FAIL;
	}
	r = slot_ready(c, EG_E_TRIAL, src);
	if (r) {
		eg_log(EG_ERR, "promote: refused: slot not ready: %s: %s", src, strerror(-r));
		return EG_EXIT_FAIL;
	}
	to = eg_entry_name[target];
	/* slot.env is optional: without one in trial/, none in the target
	 * (but one that cannot be looked at is not "none") */
	n = stat(slot_path(src, c, EG_E_TRIAL, 2, ""), &st) == 0 ? 3 : 2;
	if (n == 2 && errno != ENOENT) {
		eg_log(EG_ERR, "promote: refused: %s: %s", src, strerror(errno));
		return EG_EXIT_FAIL;
	}
	for (i = 0; i < 3; i++)
		slot_path(tmp[i], c, target, i, ".tmp");
	for (i = 0; i < n; i++) {
		r = copy_file(slot_path(src, c, EG_E_TRIAL, i, ""), tmp[i]);
		if (r) {
			eg_log(EG_ERR, "promote: unable to copy %s to %s: %s; slot %s and %s are "
			       "unchanged: fix it and run earlyguard promote again", src, tmp[i],
			       strerror(-r), to, c->grubenv);
			for (; i >= 0; i--)
				if (unlink(tmp[i]) != 0 && errno != ENOENT)
					eg_log_sys(EG_WARN, "remove", tmp[i], errno);
			return EG_EXIT_SYS;
		}
		printf("promote: copied %s to %s\n", src, tmp[i]);
	}
	/* Renamed one by one: a failure or a power cut here leaves slot
	 * `to` mixed, but it is only the fallback, and eg_default is not
	 * changed until it is whole. */
	for (i = 0; i < 3; i++) {
		slot_path(dst, c, target, i, "");
		r = i < n ? rename(tmp[i], dst) : unlink(dst);
		if (r != 0 && (i < n || errno != ENOENT)) {
			eg_log(EG_ERR, "promote: unable to %s %s: %s; slot %s may be half-written, "
			       "%s is unchanged: fix it and run earlyguard promote again",
			       i < n ? "rename into" : "remove", dst, strerror(errno), to, c->grubenv);
			return EG_EXIT_SYS;
		}
	}
	r = eg_sync_dir(dst);
	if (!r)
		r = eg_fs_checkpoint(c->grub_slots);
	if (r) {
		eg_log_sys(EG_ERR, "sync", dst, -r);
		return EG_EXIT_SYS;
	}
	printf("promote: slot %s holds the trial now\n", to);
	why = eg_bootsel_promoted(&env, target);
	if (why) {
		eg_log(EG_ERR, "promote: %s; %s unchanged", why, c->grubenv);
		return EG_EXIT_FAIL;
	}
	r = save(c->grubenv);
	if (!r)
		printf("promote: eg_default=%s, eg_%s_tries=0: %s is the default, %s its fallback\n",
		       to, to, to, eg_entry_name[target == EG_E_A ? EG_E_B : EG_E_A]);
	return r;
}

int eg_grub_confirm(const struct eg_conf *c, const char *cmdline, char *msg, size_t size)
{
	struct eg_boot b;
	const char *why;
	int r, loaded, lock;

	if (eg_boot_parse(cmdline, &b), b.entry < 0)
		return 0;
	/* the daemon must not stop petting to wait: one try */
	lock = eg_grubenv_lock(c->grubenv, 0);
	if (lock < 0) {
		why = lock == -EWOULDBLOCK ? "busy: an earlyguard trial, promote or grubenv "
		      "command is changing it" : strerror(-lock);
		loaded = 0;
		goto out;
	}
	loaded = eg_grubenv_load(c->grubenv, &env);
	why = loaded < 0 && loaded != -ENOENT ? strerror(-loaded) :
						 eg_bootsel_disarm(&b, &env, loaded == 0);
	if (!why && (r = eg_grubenv_save(c->grubenv, &env)) != 0)
		why = strerror(-r);
	close(lock);
out:
	if (why) {
		snprintf(msg, size, "unable to mark the boot good in %s: %s", c->grubenv, why);
		eg_log(EG_ERR, "disarm: %s", msg);
		return -1;
	}
	snprintf(msg, size, "grubenv: %s marked good%s%s%s", eg_entry_name[b.entry],
		 b.entry == EG_E_TRIAL ? "" : " (tries 0)",
		 loaded ? "; recreated: it was " : b.attempt == 0 ? "; rewritten: GRUB could "
		 "not count this boot (attempt 0)" : "",
		 loaded > 0 ? "corrupt" : loaded ? "missing" : "");
	eg_log(EG_NOTICE, "disarm: %s", msg);
	return 1;
}

void eg_grub_state(const struct eg_conf *c, const char *cmdline, struct eg_grubstat *g)
{
	int r = eg_grubenv_load(c->grubenv, &env);

	g->bad = eg_boot_parse(cmdline, &g->b);
	/* unreadable: GRUB's defaults, what GRUB itself falls back to */
	eg_grubsel_read(&env, &g->s);
	g->err[0] = '\0';
	if (r < 0)
		snprintf(g->err, sizeof g->err, "unable to read %s: %s", c->grubenv, strerror(-r));
	else if (r > 0)
		snprintf(g->err, sizeof g->err, "%s is corrupt: %s", c->grubenv, env.err);
}
