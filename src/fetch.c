/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * earlyguard fetch: the known-good bundle from the recovery server, over
 * plain HTTP/1.1 to a fixed address (no DNS, no TLS: the manifest's
 * signature, or its pinned SHA-256, is what the device trusts, and each
 * artifact's SHA-256 is in the manifest).
 *
 * The order is the point:
 *   1. every precondition (server, key or pin, slot) before the network;
 *   2. the manifest (and its signature) into memory, authenticated and
 *      parsed before a single artifact byte is written;
 *   3. each artifact streamed into SLOT/<file>.part while hashed (the
 *      memory used does not depend on its size), resumed with a Range
 *      after a dropped connection, fsynced, its size and SHA-256 checked;
 *   4. only when all are verified: under the grubenv lock, a one-shot
 *      eg_trial that named the slot is cleared (a slot half renamed is
 *      never selectable), the .part files are renamed into place, the
 *      directory synced and the file system checkpointed for GRUB, and
 *      the slot selected as the next boot's one-shot.
 * A failure before 4 leaves the slot's files and the grubenv as they were.
 *
 * fetch_logic.c decides when to retry, how long to wait and what the
 * progress lines say; this file does the I/O.
 */
#include "bootsel.h"
#include "fetch_logic.h"
#include "http.h"
#include "kexec.h"
#include "manifest.h"
#include "netlink.h"
#include "record.h"
#include "roles.h"
#include "sys.h"
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BLKGETSIZE64 /* <linux/fs.h>, which klibc's <sys/mount.h> clashes with */
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)
#endif

/* What a step came to. */
enum outcome {
	FO_OK,
	FO_RETRY,   /* the network or the server: try again while time is left */
	FO_VERIFY,  /* authentication failed: try again EG_FETCH_VERIFY_TRIES times */
	FO_REFUSED, /* never better by trying again this boot: exit 1 */
	FO_SYS,     /* a local system call failed: exit 111 */
};

/* The guard's initramfs deadline comes first by this much: the fetch then
 * ends in its own orderly reboot, its state written. */
#define EG_FETCH_GUARD_MARGIN_MS 15000
#define EG_FETCH_IO 65536 /* one read from the server */
#define EG_FSTYPES_MAX 2048 /* /proc/filesystems */
#define EG_SLOT_DIR_MAX (EG_PATH_MAX + 16)  /* grub_slots/trial */
#define EG_SLOT_FILE_MAX (EG_PATH_MAX + 64) /* SLOT/initrd.img.part */

/* The slot files the destinations become; the server's NAMEs never name a
 * local file. */
static const char *const dest_file[EG_DEST_COUNT] = {"vmlinuz", "initrd.img", NULL};

/* Where an artifact's bytes go: memory (manifest, signature) or a file. */
struct sink {
	char *mem;         /* memory when not NULL */
	size_t cap, len;
	int fd;            /* file: SLOT/<file>.part, or fetch_rootfs */
	bool dev;          /* fd is fetch_rootfs, written in place */
	struct eg_sha256 h; /* of the bytes in the file */
	int64_t have;      /* bytes in the file (and in h) */
	const char *label; /* for the progress line */
};

/* One fetch per process. */
static struct {
	const struct eg_conf *c;
	struct eg_server sv;
	uint32_t src;               /* the configured address: the source */
	char host[EG_SERVER_STR];   /* the Host header */
	char addr[EG_SERVER_STR];   /* ADDR:PORT for messages */
	char slot[EG_SLOT_DIR_MAX];
	char state[EG_SLOT_FILE_MAX];
	int entry;                  /* the GRUB entry whose slot it is, or -1 */
	bool kexec;                 /* recover=kexec: into /run, then kexec */
	int64_t deadline, timeout_ms;
	char key[EG_PUBKEY_MAX];
	size_t keylen;
	uint8_t pin[EG_SHA256_LEN];
	bool pinned;
	char manifest[EG_MANIFEST_MAX];
	char sig[EG_SIG_MAX];
	struct eg_manifest m;
	int64_t total;              /* bytes of all artifacts */
	size_t idx;                 /* the artifact being fetched */
	int64_t done_before;        /* bytes of the artifacts before it */
	struct sink part[EG_MANIFEST_ARTIFACTS];
	char part_path[EG_MANIFEST_ARTIFACTS][EG_SLOT_FILE_MAX];
	bool part_dev[EG_MANIFEST_ARTIFACTS]; /* written in place: fetch_rootfs */
	const char *cmdline;        /* this boot's, for the slot's arguments */
	struct eg_progress prog;
	int64_t received;           /* body bytes of artifacts received, this run */
	bool flowed;                /* body bytes came in this attempt */
	uint32_t rng;
	char why[EG_MSG_MAX];       /* the last failure */
} f;

static char io[EG_FETCH_IO];
static struct eg_grubenv genv;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line for the operator on the console (stdout). */
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int fail(int outcome, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record why the step failed; its outcome passed through. */
static int fail(int outcome, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f.why, sizeof f.why, fmt, ap);
	va_end(ap);
	return outcome;
}

/* ---- the connection ---- */

static int dial(int *out)
{
	struct sockaddr_in src = {0}, dst = {0};
	struct pollfd p;
	socklen_t len = sizeof(int);
	int fd, err = 0, r;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(FO_SYS, "unable to create a socket: %s", strerror(errno));
	/* from the recovery address, whatever else the interface has */
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(f.src);
	if (f.src && bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
		err = errno;
		close(fd);
		return fail(FO_RETRY, "unable to bind to the recovery address: %s", strerror(err));
	}
	dst.sin_family = AF_INET;
	dst.sin_port = htons(f.sv.port);
	dst.sin_addr.s_addr = htonl(f.sv.addr);
	if (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto failed;
		}
		p.fd = fd;
		p.events = POLLOUT;
		r = poll(&p, 1, (int)eg_fetch_wait_ms(eg_now_ms(), f.deadline, f.timeout_ms));
		if (r == 0) {
			close(fd);
			return fail(FO_RETRY, "connect to %s: no answer within %llds", f.addr,
				    (long long)(f.timeout_ms / 1000));
		}
		if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err)
			goto failed;
	}
	*out = fd;
	return FO_OK;
failed:
	close(fd);
	return fail(FO_RETRY, "connect to %s: %s", f.addr, strerror(err));
}

/* Wait for fd to be ready for events: 1, 0 when the timeout (or the
 * deadline) came first, -1 with errno. */
static int await(int fd, short events)
{
	struct pollfd p = {fd, events, 0};
	int64_t ms = eg_fetch_wait_ms(eg_now_ms(), f.deadline, f.timeout_ms);
	int r;

	if (ms <= 0)
		return 0;
	do
		r = poll(&p, 1, (int)ms);
	while (r < 0 && errno == EINTR);
	return r;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n;
		int r = await(fd, POLLOUT);

		if (r <= 0)
			return fail(FO_RETRY, "send the request to %s: %s", f.addr,
				    r == 0 ? "timed out" : strerror(errno));
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return fail(FO_RETRY, "send the request to %s: %s", f.addr, strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
	return FO_OK;
}

/* ---- sinks ---- */

static int sink_start(struct sink *s, int64_t start)
{
	if (s->mem) {
		s->len = 0;
		return FO_OK;
	}
	if (start == s->have)
		return FO_OK;
	/* a 200 to a Range: the artifact from its start again (start is 0) */
	if ((!s->dev && ftruncate(s->fd, 0) != 0) || lseek(s->fd, 0, SEEK_SET) != 0)
		return fail(FO_SYS, "unable to truncate the partial %s: %s", s->label, strerror(errno));
	eg_sha256_init(&s->h);
	s->have = 0;
	say("fetch: %s: the server sent it from the start again (it ignored the Range)",
	    s->label);
	return FO_OK;
}

static void progress(const struct sink *s, bool final)
{
	char line[EG_MSG_MAX];

	if (eg_progress_line(&f.prog, s->label, f.done_before + s->have, f.received, eg_now_ms(),
			     final, line, sizeof line))
		say("%s", line);
}

static int sink_data(struct sink *s, const char *p, size_t n)
{
	int err;

	if (n == 0)
		return FO_OK;
	if (s->mem) {
		/* the body decoder's limit keeps it within cap */
		memcpy(s->mem + s->len, p, n);
		s->len += n;
		return FO_OK;
	}
	/* the hash covers exactly the bytes in the file: written first */
	err = eg_write_all(s->fd, p, n);
	if (err)
		return fail(FO_SYS, "unable to write the partial %s: %s", s->label, strerror(-err));
	eg_sha256_update(&s->h, p, n);
	s->have += (int64_t)n;
	f.received += (int64_t)n;
	f.flowed = true;
	progress(s, false);
	return FO_OK;
}

/* ---- one GET ---- */

/* bundle file name under fetch_path */
static void url_path(char *buf, size_t size, const char *name)
{
	const char *p = f.c->fetch_path;
	size_t n = strlen(p);

	snprintf(buf, size, "%s%s%s", p, n && p[n - 1] == '/' ? "" : "/", name);
}

/* GET name from byte s->have (s->mem: from 0), size bytes if known (else
 * -1, and at most limit), into s. */
static int get(const char *name, int64_t size, int64_t limit, struct sink *s)
{
	static struct eg_http_resp resp;
	static struct eg_http_body body;
	char req[EG_HTTP_REQUEST_MAX], path[EG_PATH_MAX + EG_MANIFEST_NAME_MAX + 2];
	const char *why;
	int64_t from = s->mem ? 0 : s->have, start;
	size_t rlen;
	bool head = true;
	int fd = -1, r;

	url_path(path, sizeof path, name);
	why = eg_http_request(req, sizeof req, &rlen, f.host, path, from);
	if (why)
		return fail(FO_REFUSED, "the request for %s: %s", path, why);
	r = dial(&fd);
	if (r)
		return r;
	r = send_all(fd, req, rlen);
	eg_http_head_init(&resp);
	while (r == FO_OK) {
		size_t used = 0, out = 0, bused;
		ssize_t n;
		int w = await(fd, POLLIN);

		if (w <= 0) {
			r = fail(FO_RETRY, "%s: %s", path, w < 0 ? strerror(errno) :
				 eg_now_ms() >= f.deadline ? "the fetch deadline came" :
				 "no data within fetch_timeout");
			break;
		}
		n = read(fd, io, sizeof io);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			r = fail(FO_RETRY, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0) {
			if (head)
				r = fail(FO_RETRY, "%s: the server closed the connection before the "
					 "response head ended", path);
			else if (eg_http_body_eof(&body) != EG_HTTP_DONE)
				r = fail(FO_RETRY, "%s: %s", path, body.err);
			break;
		}
		if (head) {
			int h = eg_http_head_feed(&resp, io, (size_t)n, &used);

			if (h == EG_HTTP_ERROR) {
				r = fail(FO_RETRY, "%s: %s", path, resp.err);
				break;
			}
			if (h == EG_HTTP_MORE)
				continue;
			head = false;
			why = eg_http_accept(&resp, from, size, &start);
			if (!why)
				why = eg_http_body_init(&body, &resp,
							size >= 0 ? size - start : limit);
			if (why) {
				r = fail(FO_RETRY, "%s: %s", path, why);
				break;
			}
			r = sink_start(s, start);
			if (r)
				break;
		}
		/* decoded in place: out never runs ahead of in */
		w = eg_http_body_feed(&body, io + used, (size_t)n - used, io + used, &out, &bused);
		r = sink_data(s, io + used, out);
		if (r)
			break;
		if (w == EG_HTTP_ERROR) {
			r = fail(FO_RETRY, "%s: %s", path, body.err);
			break;
		}
		if (w == EG_HTTP_DONE)
			break;
	}
	if (fd >= 0)
		close(fd);
	if (r == FO_OK && size >= 0 && s->have != size)
		r = fail(FO_RETRY, "%s: %lld bytes, not %lld", path, (long long)s->have,
			 (long long)size);
	return r;
}

/* ---- the manifest ---- */

static int get_manifest(void)
{
	struct sink s = {0};
	uint8_t d[EG_SHA256_LEN];
	char hex[EG_SHA256_HEX + 1], total[EG_FMT_BYTES];
	const char *why;
	size_t mlen;
	int r;

	s.mem = f.manifest;
	s.cap = sizeof f.manifest;
	r = get("manifest", -1, EG_MANIFEST_MAX, &s);
	if (r)
		return r;
	mlen = s.len;
	eg_sha256(f.manifest, mlen, d);
	if (f.pinned) {
		if (memcmp(d, f.pin, sizeof d) != 0) {
			eg_sha256_hex(d, hex);
			return fail(FO_VERIFY, "manifest: its SHA-256 %s is not the one of fetch_pin",
				    hex);
		}
	} else {
		s.mem = f.sig;
		s.cap = sizeof f.sig;
		r = get("manifest.sig", -1, EG_SIG_MAX, &s);
		if (r)
			return r;
		why = eg_verify_digest(d, f.sig, s.len, f.key, f.keylen);
		if (why)
			return fail(FO_VERIFY, "manifest.sig: %s (key %s)", why, f.c->fetch_key);
	}
	why = eg_manifest_parse(&f.m, f.manifest, mlen);
	if (why)
		return fail(FO_VERIFY, "%s", why);
	f.total = 0;
	for (size_t i = 0; i < f.m.count; i++) {
		const struct eg_artifact *a = &f.m.art[i];

		if (a->dest == EG_DEST_ROOTFS && f.c->fetch_rootfs[0] == '\0')
			return fail(FO_REFUSED, "manifest line %u: %s is a rootfs: set fetch_rootfs= "
				    "to the partition it is written to", a->line, a->name);
		if (f.total > INT64_MAX - a->size)
			return fail(FO_REFUSED, "manifest: the artifacts are too big together");
		f.total += a->size;
	}
	if (!eg_manifest_find(&f.m, EG_DEST_KERNEL) || !eg_manifest_find(&f.m, EG_DEST_INITRD))
		return fail(FO_REFUSED, "manifest: a kernel and an initrd are both needed to "
			    "boot the slot");
	eg_fmt_bytes(total, sizeof total, f.total);
	if (f.pinned)
		say("fetch: manifest verified (pinned SHA-256, %zu artifacts, %s)", f.m.count,
		    total);
	else
		say("fetch: manifest verified (key %s, %zu artifacts, %s)", f.c->fetch_key,
		    f.m.count, total);
	return FO_OK;
}

/* ---- the artifacts ---- */

static void close_parts(bool remove)
{
	for (size_t i = 0; i < EG_MANIFEST_ARTIFACTS; i++) {
		if (f.part[i].fd >= 0)
			close(f.part[i].fd);
		f.part[i].fd = -1;
		if (remove && !f.part_dev[i] && f.part_path[i][0] && unlink(f.part_path[i]) != 0 &&
		    errno != ENOENT)
			eg_log_sys(EG_WARN, "remove", f.part_path[i], errno);
		f.part_path[i][0] = '\0';
		f.part_dev[i] = false;
	}
}

static int unselect(void);

/* fetch_rootfs, for artifact i: opened to be written in place, after
 * anything that would boot it is unselected; big enough. */
static int open_rootfs(size_t i, int64_t size)
{
	struct sink *s = &f.part[i];
	struct stat st;
	uint64_t bytes = 0;
	int err, r;

	/* first: part_path[i] names a device from here on, which close_parts
	 * must never remove, whatever fails below */
	s->dev = f.part_dev[i] = true;
	err = eg_record_resolve(f.c->fetch_rootfs, f.part_path[i], sizeof f.part_path[i]);
	if (err && err != -EACCES)
		return fail(FO_REFUSED, "fetch_rootfs=%s: %s", f.c->fetch_rootfs, strerror(-err));
	/* the slot's arguments may name it already: never boot it half written */
	r = unselect();
	if (r)
		return r;
	s->fd = open(f.part_path[i], O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (s->fd < 0)
		return fail(FO_SYS, "unable to open fetch_rootfs %s: %s", f.part_path[i],
			    strerror(errno));
	if (fstat(s->fd, &st) != 0)
		return fail(FO_SYS, "unable to stat %s: %s", f.part_path[i], strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(s->fd, BLKGETSIZE64, &bytes) != 0)
			return fail(FO_SYS, "unable to read the size of %s: %s", f.part_path[i],
				    strerror(errno));
		if (bytes < (uint64_t)size) {
			char have[EG_FMT_BYTES], need[EG_FMT_BYTES];

			eg_fmt_bytes(have, sizeof have, (int64_t)bytes);
			eg_fmt_bytes(need, sizeof need, size);
			return fail(FO_REFUSED, "fetch_rootfs %s holds %s; the rootfs is %s",
				    f.part_path[i], have, need);
		}
	} else if (!S_ISREG(st.st_mode) || ftruncate(s->fd, 0) != 0) {
		return fail(FO_REFUSED, "fetch_rootfs %s is neither a block device nor a file",
			    f.part_path[i]);
	}
	return FO_OK;
}

/* Room for the slot's new files beside the old ones (a rename replaces
 * them only at the end). */
static int room(void)
{
	struct statfs sf;
	int64_t need = 0, avail;
	char have[EG_FMT_BYTES], want[EG_FMT_BYTES];

	for (size_t i = 0; i < f.m.count; i++)
		if (f.m.art[i].dest != EG_DEST_ROOTFS)
			need += f.m.art[i].size;
	if (statfs(f.slot, &sf) != 0)
		return fail(FO_SYS, "unable to statfs %s: %s", f.slot, strerror(errno));
	avail = (int64_t)sf.f_bavail * (int64_t)sf.f_bsize;
	if (avail >= need)
		return FO_OK;
	eg_fmt_bytes(have, sizeof have, avail);
	eg_fmt_bytes(want, sizeof want, need);
	return fail(FO_REFUSED, "%s has %s free; the kernel and the initrd need %s", f.slot, have,
		    want);
}

/* Open the .part files, empty: nothing of an earlier boot is resumed. */
static int open_parts(void)
{
	int r = room();

	if (r)
		return r;
	for (size_t i = 0; i < f.m.count; i++) {
		const struct eg_artifact *a = &f.m.art[i];
		struct sink *s = &f.part[i];

		memset(s, 0, sizeof *s);
		s->fd = -1;
		s->label = a->name;
		eg_sha256_init(&s->h);
		if (a->dest == EG_DEST_ROOTFS) {
			r = open_rootfs(i, a->size);
			if (r)
				return r;
			continue;
		}
		snprintf(f.part_path[i], sizeof f.part_path[i], "%s/%s.part", f.slot,
			 dest_file[a->dest]);
		s->fd = open(f.part_path[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			     0644);
		if (s->fd < 0)
			return fail(FO_SYS, "unable to create %s: %s", f.part_path[i], strerror(errno));
	}
	f.idx = 0;
	f.done_before = 0;
	eg_progress_init(&f.prog, f.total, eg_now_ms());
	f.received = 0;
	return FO_OK;
}

static int get_artifacts(void)
{
	for (; f.idx < f.m.count; f.idx++) {
		const struct eg_artifact *a = &f.m.art[f.idx];
		struct sink *s = &f.part[f.idx];
		uint8_t d[EG_SHA256_LEN];
		char want[EG_SHA256_HEX + 1], got[EG_SHA256_HEX + 1];
		int r;

		if (s->have < a->size) {
			r = get(a->name, a->size, a->size, s);
			if (r)
				return r;
		}
		if (fsync(s->fd) != 0)
			return fail(FO_SYS, "unable to sync %s: %s", f.part_path[f.idx],
				    strerror(errno));
		eg_sha256_final(&s->h, d);
		if (memcmp(d, a->sha256, sizeof d) != 0) {
			eg_sha256_hex(d, got);
			eg_sha256_hex(a->sha256, want);
			return fail(FO_VERIFY, "%s: SHA-256 %s, not the manifest's %s", a->name, got,
				    want);
		}
		progress(s, true);
		f.done_before += a->size;
	}
	return FO_OK;
}

/* ---- into place ---- */

static int save_env(void)
{
	int r = eg_grubenv_save(f.c->grubenv, &genv);

	return r ? fail(FO_SYS, "unable to write %s: %s", f.c->grubenv, strerror(-r)) : FO_OK;
}

/* The slot must not be the next boot while it is mixed: a one-shot
 * eg_trial that names it is cleared.  The grubenv lock is held. */
static int unselect_locked(void)
{
	struct eg_grubsel sel;
	int r;

	if (f.entry < 0)
		return FO_OK;
	r = eg_grubenv_load(f.c->grubenv, &genv);
	if (r < 0 && r != -ENOENT)
		return fail(FO_SYS, "unable to read %s: %s", f.c->grubenv, strerror(-r));
	if (r > 0)
		eg_log(EG_WARN, "fetch: %s is corrupt: %s; writing a fresh block",
		       f.c->grubenv, genv.err);
	eg_grubsel_read(&genv, &sel);
	if (sel.trial != f.entry)
		return FO_OK;
	eg_grubenv_unset(&genv, "eg_trial");
	r = save_env();
	if (r)
		return r;
	say("fetch: eg_trial=%s cleared while the slot is replaced", eg_entry_name[f.entry]);
	return FO_OK;
}

/* step() under the grubenv lock, when the slot is one of GRUB's. */
static int grub_locked(int (*step)(void))
{
	int lock = -1, r;

	if (f.entry >= 0 && (lock = eg_grub_lock("fetch", f.c->grubenv)) < 0)
		return fail(FO_SYS, "the grubenv lock was not had");
	r = step();
	if (lock >= 0)
		close(lock);
	return r;
}

static int unselect(void)
{
	return grub_locked(unselect_locked);
}

/* SLOT/slot.env: the arguments GRUB boots the slot with.  Without a
 * rootfs artifact there is none (GRUB's eg_args apply, the manifest has
 * none); with one, this boot's command line with root= the rootfs
 * (eg_next_cmdline). */
static int slot_env(void)
{
	static struct eg_grubenv se;
	static char args[EG_KEXEC_CMDLINE_MAX];
	char path[EG_SLOT_FILE_MAX];
	const char *why;
	int r;

	snprintf(path, sizeof path, "%s/slot.env", f.slot);
	if (!eg_manifest_find(&f.m, EG_DEST_ROOTFS)) {
		if (unlink(path) != 0 && errno != ENOENT)
			return fail(FO_SYS, "unable to remove %s: %s", path, strerror(errno));
		return FO_OK;
	}
	why = eg_next_cmdline(f.cmdline, f.c->fetch_rootfs, args, sizeof args);
	eg_grubenv_init(&se, EG_GRUBENV_SIZE);
	if (!why)
		why = eg_grubenv_set(&se, "eg_slot_args", args);
	if (why)
		return fail(FO_REFUSED, "the slot's arguments: %s", why);
	r = eg_grubenv_save(path, &se);
	if (r)
		return fail(FO_SYS, "unable to write %s: %s", path, strerror(-r));
	say("fetch: %s: eg_slot_args=%s", path, args);
	return FO_OK;
}

static int commit_locked(void)
{
	char path[EG_SLOT_FILE_MAX];
	const char *why;
	int r = unselect_locked();

	if (r)
		return r;
	for (size_t i = 0; i < f.m.count; i++) {
		close(f.part[i].fd);
		f.part[i].fd = -1;
		if (f.part_dev[i])
			continue; /* written in place, synced and verified */
		snprintf(path, sizeof path, "%s/%s", f.slot, dest_file[f.m.art[i].dest]);
		if (rename(f.part_path[i], path) != 0)
			return fail(FO_SYS, "unable to rename %s to %s: %s; the slot may be "
				    "half-written and is not selected", f.part_path[i], path,
				    strerror(errno));
		f.part_path[i][0] = '\0';
	}
	/* the old slot.env's arguments were for the old kernel */
	if (!f.kexec) {
		r = slot_env();
		if (r)
			return r;
	}
	snprintf(path, sizeof path, "%s/slot.env", f.slot);
	r = eg_sync_dir(path);
	if (!r)
		r = eg_fs_checkpoint(f.slot);
	if (r)
		return fail(FO_SYS, "unable to sync %s: %s", f.slot, strerror(-r));
	if (f.kexec) {
		say("fetch: %s written and verified; kexec next", f.slot);
		return FO_OK;
	}
	if (f.entry < 0) {
		say("fetch: %s written and verified; it is not one of GRUB's slots: nothing "
		    "selected", f.slot);
		return FO_OK;
	}
	why = eg_grubenv_set(&genv, "eg_trial", eg_entry_name[f.entry]);
	if (why)
		return fail(FO_SYS, "%s: %s", f.c->grubenv, why);
	r = save_env();
	if (r)
		return r;
	say("fetch: %s slot written and verified; next boot: %s (one-shot)",
	    eg_entry_name[f.entry], eg_entry_name[f.entry]);
	return FO_OK;
}

static int commit(void)
{
	return grub_locked(commit_locked);
}

/* ---- the state from boot to boot ---- */

static long state_read(void)
{
	char buf[EG_FETCH_STATE_MAX + 1];
	bool big;
	long n = eg_read_file(f.state, buf, sizeof buf, &big), v;

	if (n == -ENOENT)
		return 0;
	if (n < 0) {
		eg_log_sys(EG_WARN, "read", f.state, (int)-n);
		return 0;
	}
	v = big ? -1 : eg_fetch_state_parse(buf, (size_t)n);
	if (v < 0)
		eg_log(EG_WARN, "fetch: %s is not failures=N: counted as 0", f.state);
	return v < 0 ? 0 : v;
}

static void state_write(unsigned long n)
{
	char buf[EG_FETCH_STATE_MAX];
	size_t len = eg_fetch_state_format(buf, n);
	int err = eg_write_atomic(f.state, buf, len, 0644);

	if (err)
		eg_log(EG_WARN, "fetch: unable to write %s: %s (the wait of the next boot "
		       "cannot grow)", f.state, strerror(-err));
}

/* ---- setup ---- */

/* The initramfs guard's deadline, while a guard in the initramfs stage is
 * running; 0 otherwise (the rootfs, where the state file may be left
 * from an earlier stage, and a fetch run by hand has no such bound). */
static int64_t guard_deadline(void)
{
	char state[2048], v[32];
	uint64_t at, pid;

	if (eg_read_file(eg_run_path("state"), state, sizeof state, NULL) <= 0 ||
	    !eg_state_get(state, "stage", v, sizeof v) || strcmp(v, "initramfs") != 0 ||
	    !eg_state_get(state, "pid", v, sizeof v) || !eg_parse_u64(v, &pid) ||
	    pid == 0 || pid > INT32_MAX || kill((pid_t)pid, 0) != 0 ||
	    !eg_state_get(state, "deadline_at_ms", v, sizeof v) || !eg_parse_u64(v, &at) ||
	    at > INT64_MAX)
		return 0;
	return (int64_t)at;
}

/* ---- the boot partition ---- */

static bool boot_mounted; /* by this run: unmounted at its end */

/* Mount boot_dev read-write on boot_dir, trying every block file system
 * the kernel knows (as mount(8) does without -t), unless boot_dir is a
 * mount point already (the rootfs, or an earlier run). */
static int mount_boot(void)
{
	static char types[EG_FSTYPES_MAX];
	char dev[EG_PATH_MAX];
	const char *c = f.c->boot_dev;
	long n;
	int err, last = ENODEV;

	if (c[0] == '\0' || eg_mount_point(f.c->boot_dir))
		return FO_OK;
	err = eg_record_resolve(c, dev, sizeof dev);
	if (err && err != -EACCES)
		return fail(FO_REFUSED, "boot_dev=%s: %s (is the driver of its disk in the "
			    "initramfs' modules=?)", c, strerror(-err));
	if (mkdir(f.c->boot_dir, 0755) != 0 && errno != EEXIST)
		return fail(FO_SYS, "unable to create %s: %s", f.c->boot_dir, strerror(errno));
	n = eg_read_file("/proc/filesystems", types, sizeof types, NULL);
	if (n < 0)
		return fail(FO_SYS, "unable to read /proc/filesystems: %s", strerror((int)-n));
	for (char *line = types, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "nodev", 5) == 0)
			continue;
		line += strspn(line, " \t");
		if (mount(dev, f.c->boot_dir, line, MS_NOATIME, NULL) == 0) {
			boot_mounted = true;
			say("fetch: %s (%s) mounted read-write on %s", dev, line, f.c->boot_dir);
			return FO_OK;
		}
		if (errno != EINVAL && errno != ENODEV)
			last = errno;
		if (errno == EBUSY || errno == EACCES || errno == EROFS)
			break;
	}
	return fail(FO_REFUSED, "unable to mount boot_dev=%s (%s) on %s: %s", c, dev,
		    f.c->boot_dir, strerror(last));
}

static void umount_boot(void)
{
	if (!boot_mounted)
		return;
	sync();
	if (umount(f.c->boot_dir) != 0)
		eg_log_sys(EG_WARN, "unmount", f.c->boot_dir, errno);
	boot_mounted = false;
}

static int prepare(const char *cmdline)
{
	char ip[EG_IP4_STR], path[EG_SLOT_FILE_MAX];
	const char *why;
	struct eg_net n;
	enum eg_net_from from;
	struct stat st;
	long got;

	if (f.c->server[0] == '\0')
		return fail(FO_REFUSED, "no server configured: set server=ADDR[:PORT] "
			    "(earlyguard.server= on the kernel command line)");
	why = eg_server_parse(f.c->server, &f.sv);
	if (why)
		return fail(FO_REFUSED, "server=%s: %s", f.c->server, why);
	eg_ip4_format(f.sv.addr, ip);
	snprintf(f.addr, sizeof f.addr, "%s:%u", ip, (unsigned)f.sv.port);
	if (f.sv.port == 80)
		snprintf(f.host, sizeof f.host, "%s", ip);
	else
		snprintf(f.host, sizeof f.host, "%s:%u", ip, (unsigned)f.sv.port);
	if (eg_net_resolve(f.c->net, cmdline, &n, &from, f.why, sizeof f.why) != 0)
		return FO_REFUSED;
	f.src = n.addr;
	f.pinned = f.c->fetch_pin[0] != '\0';
	if (f.pinned) {
		eg_sha256_parse(f.c->fetch_pin, strlen(f.c->fetch_pin), f.pin);
	} else {
		bool big;
		got = eg_read_file(f.c->fetch_key, f.key, sizeof f.key, &big);
		if (got < 0)
			return fail(FO_REFUSED, "unable to read the public key %s: %s (fetch_key=, "
				    "or pin the manifest with fetch_pin=)", f.c->fetch_key,
				    strerror((int)-got));
		if (big)
			return fail(FO_REFUSED, "the public key %s is over %d bytes", f.c->fetch_key,
				    EG_PUBKEY_MAX - 1);
		f.keylen = (size_t)got;
		why = eg_pubkey_point(f.key, f.keylen, (uint8_t[EG_POINT_LEN]){0});
		if (why)
			return fail(FO_REFUSED, "%s: %s", f.c->fetch_key, why);
	}
	f.kexec = strcmp(f.c->recover, "kexec") == 0;
	if (f.kexec) {
		/* memory, not a slot: nothing on the disks changes */
		if (mkdir(eg_run_path(NULL), 0755) != 0 && errno != EEXIST)
			return fail(FO_SYS, "unable to create %s: %s", eg_run_path(NULL),
				    strerror(errno));
		snprintf(f.slot, sizeof f.slot, "%s", eg_run_path("kexec"));
		f.entry = -1;
		goto made;
	}
	got = mount_boot();
	if (got != FO_OK)
		return (int)got;
	/* the slot: the trial slot, or a directory of the operator's own;
	 * never a slot of the fallback chain, which boots without a
	 * one-shot and so would boot a half-replaced slot */
	if (f.c->fetch_slot[0])
		snprintf(f.slot, sizeof f.slot, "%s", f.c->fetch_slot);
	else
		snprintf(f.slot, sizeof f.slot, "%s/%s", f.c->grub_slots, eg_entry_name[EG_E_TRIAL]);
	f.entry = -1;
	for (int e = 0; e < EG_E_COUNT; e++) {
		snprintf(path, sizeof path, "%s/%s", f.c->grub_slots, eg_entry_name[e]);
		if (strcmp(path, f.slot) == 0)
			f.entry = e;
	}
	if (f.entry >= 0 && f.entry != EG_E_TRIAL)
		return fail(FO_REFUSED, "fetch_slot=%s is GRUB's %s slot, in the fallback chain: "
			    "the fetch writes the trial slot or a directory of its own", f.slot,
			    eg_entry_name[f.entry]);
made:
	if (mkdir(f.slot, 0755) != 0 && errno != EEXIST)
		return fail(FO_SYS, "unable to create the slot %s: %s", f.slot, strerror(errno));
	if (stat(f.slot, &st) != 0 || !S_ISDIR(st.st_mode))
		return fail(FO_REFUSED, "the slot %s is not a directory", f.slot);
	snprintf(f.state, sizeof f.state, "%s/fetch.state", f.slot);
	return FO_OK;
}

static uint32_t seed(void)
{
	uint32_t s = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &s, sizeof s) != (ssize_t)sizeof s)
			s = 0;
		close(fd);
	}
	return s ^ (uint32_t)eg_now_ms() ^ ((uint32_t)getpid() << 16);
}

/* ---- the whole ---- */

enum stage { S_NET, S_MANIFEST, S_ARTIFACTS, S_COMMIT, S_DONE };

static int run(const char *cmdline, char *reason, size_t rsize)
{
	char wait[24], secs[24], dl[24];
	enum stage st = S_NET;
	unsigned n = 0, retries = 0, verify_fails = 0;
	int64_t started = eg_now_ms(), w;
	long failures;
	int r;

	f.deadline = eg_fetch_deadline(started, (int64_t)f.c->fetch_deadline_s * 1000,
				       guard_deadline(), EG_FETCH_GUARD_MARGIN_MS);
	f.timeout_ms = (int64_t)f.c->fetch_timeout_s * 1000;
	f.cmdline = cmdline;
	for (size_t i = 0; i < EG_MANIFEST_ARTIFACTS; i++)
		f.part[i].fd = -1;
	r = prepare(cmdline);
	if (r) {
		snprintf(reason, rsize, "fetch refused: %.150s", f.why);
		eg_log(EG_ERR, "fetch: %s", f.why);
		return r == FO_SYS ? EG_EXIT_SYS : EG_EXIT_FAIL;
	}
	f.rng = seed();
	/* counted before the try: a boot that dies in the fetch counts too */
	failures = state_read();
	state_write((unsigned long)failures + 1);
	w = eg_fetch_boot_wait_ms((unsigned)failures, f.deadline - started, eg_xorshift32(&f.rng));
	if (w > 0) {
		eg_fmt_secs(wait, sizeof wait, w);
		say("fetch: %ld earlier fetch%s did not finish (%s): waiting %s before the first try",
		    failures, failures == 1 ? "" : "es", f.state, wait);
		eg_sleep_ms(w);
	}
	while (st != S_DONE) {
		int64_t now, delay;

		switch (st) {
		case S_NET:
			r = eg_net_configure(f.c, cmdline, true);
			r = r == EG_EXIT_OK ? FO_OK : r == EG_EXIT_TIMEOUT ?
			    fail(FO_RETRY, "the network: no carrier") : r == EG_EXIT_FAIL ?
			    fail(FO_REFUSED, "the network could not be set up (see above)") :
			    fail(FO_SYS, "the network could not be set up (see above)");
			break;
		case S_MANIFEST:
			r = get_manifest();
			if (!r)
				r = open_parts();
			break;
		case S_ARTIFACTS:
			f.flowed = false;
			r = get_artifacts();
			break;
		case S_COMMIT:
			r = commit();
			break;
		case S_DONE:
			break;
		}
		if (r == FO_OK) {
			st++;
			continue;
		}
		if (r == FO_REFUSED || r == FO_SYS)
			break;
		if (r == FO_VERIFY) {
			close_parts(true);
			st = S_MANIFEST;
			if (++verify_fails >= EG_FETCH_VERIFY_TRIES) {
				eg_log(EG_ERR, "fetch: %s", f.why);
				snprintf(reason, rsize, "fetch: verification failed %u times: %.150s",
					 verify_fails, f.why);
				eg_log(EG_ERR, "fetch: refused: verification failed %u times; the "
				       "slot and the grubenv are unchanged", verify_fails);
				return EG_EXIT_FAIL;
			}
		}
		/* bytes came: the server works, the wait starts over */
		n = f.flowed ? 1 : n + 1;
		f.flowed = false;
		retries++;
		delay = eg_backoff_ms(n, EG_FETCH_BACKOFF_BASE_MS,
				      (int64_t)f.c->fetch_retry_max_s * 1000, EG_JITTER_EQUAL,
				      eg_xorshift32(&f.rng));
		now = eg_now_ms();
		eg_fmt_secs(wait, sizeof wait, delay);
		if (!eg_fetch_may_retry(now, f.deadline, delay)) {
			close_parts(true);
			eg_fmt_secs(secs, sizeof secs, now - started);
			eg_log(EG_ERR, "fetch: %s", f.why);
			eg_fmt_duration(dl, sizeof dl, f.c->fetch_deadline_s);
			eg_log(EG_ERR, "fetch: deadline: %s of fetch_deadline=%s gone and retry %u "
			       "would wait %s: giving up; the slot and the grubenv are unchanged",
			       secs, dl, retries, wait);
			snprintf(reason, rsize, "fetch: deadline after %u tries: %.150s", retries,
				 f.why);
			return EG_EXIT_TIMEOUT;
		}
		say("fetch: retry %u in %s: %s", retries, wait, f.why);
		eg_sleep_ms(delay);
	}
	if (r) {
		close_parts(true);
		eg_log(EG_ERR, "fetch: %s", f.why);
		snprintf(reason, rsize, "fetch %s: %.150s", r == FO_SYS ? "failed" : "refused", f.why);
		return r == FO_SYS ? EG_EXIT_SYS : EG_EXIT_FAIL;
	}
	state_write(0);
	snprintf(reason, rsize, "fetch: %.150s written and verified", f.slot);
	return EG_EXIT_OK;
}

/* recover=kexec: the verified kernel and initrd in f.slot, booted now with
 * the running command line (eg_kexec_cmdline).  Returns only on failure:
 * EG_EXIT_SYS, reason set; the caller reboots. */
static int kexec(const char *cmdline, char *reason, size_t rsize)
{
	static char next[EG_KEXEC_CMDLINE_MAX];
	char kernel[EG_SLOT_FILE_MAX], initrd[EG_SLOT_FILE_MAX], why[EG_MSG_MAX];
	const char *bad = eg_next_cmdline(cmdline, eg_manifest_find(&f.m, EG_DEST_ROOTFS) ?
					  f.c->fetch_rootfs : NULL, next, sizeof next);

	if (bad) {
		snprintf(reason, rsize, "kexec: %.150s", bad);
		eg_log(EG_ERR, "fetch: %s", reason);
		return EG_EXIT_FAIL;
	}
	snprintf(kernel, sizeof kernel, "%s/%s", f.slot, dest_file[EG_DEST_KERNEL]);
	snprintf(initrd, sizeof initrd, "%s/%s", f.slot, dest_file[EG_DEST_INITRD]);
	if (eg_kexec_load(kernel, initrd, next, why, sizeof why) != 0) {
		snprintf(reason, rsize, "kexec: %.180s", why);
		eg_log(EG_ERR, "fetch: %s", reason);
		return EG_EXIT_SYS;
	}
	say("fetch: kexec loaded %s and %s; booting it with: %s", kernel, initrd, next);
	eg_record_append(f.c->record, "reboot", "initramfs", "fetch: kexec into the verified bundle");
	eg_log(EG_INFO, "fetch: booting the fetched kernel (kexec)");
	eg_kexec_exec(why, sizeof why);
	snprintf(reason, rsize, "kexec: %.180s", why);
	eg_log(EG_ERR, "fetch: %s", reason);
	return EG_EXIT_SYS;
}

int eg_cmd_fetch(const struct eg_opts *o, bool reboot, enum eg_fetch_when when)
{
	static struct eg_conf c;
	static char cmdline[EG_CMDLINE_MAX];
	char reason[EG_REASON_MAX];
	struct eg_boot b;
	const char *skip;
	bool quiet;
	int rc;

	eg_log_init(getpid() == 1 || access("/dev/kmsg", W_OK) == 0);
	eg_load_conf(&c, o->conf_path, o->cmdline_path, cmdline, sizeof cmdline, true);
	f.c = &c;
	eg_boot_parse(cmdline, &b);
	skip = eg_fetch_skip(when, c.recover, b.entry == EG_E_RECOVERY, c.server[0] != '\0',
			     &quiet);
	if (skip) {
		if (!quiet)
			eg_log(EG_INFO, "fetch: %s", skip);
		return EG_EXIT_OK;
	}
	rc = run(cmdline, reason, sizeof reason);
	umount_boot();
	if (rc == EG_EXIT_OK && f.kexec && reboot)
		rc = kexec(cmdline, reason, sizeof reason);
	if (!reboot)
		return rc;
	eg_record_append(c.record, "reboot", "initramfs", reason);
	eg_reboot(reason);
}
