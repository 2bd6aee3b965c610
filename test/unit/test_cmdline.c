/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "conf.h"
#include "modload.h"

/* Join the words of a command line as "key=val|key|..." for comparison. */
static void words(const char *cmdline, char *out, size_t size)
{
	struct eg_word w;
	size_t o = 0;
	int r;

	out[0] = '\0';
	while ((r = eg_cmdline_next(&cmdline, &w)) != 0) {
		int n;
		if (r < 0)
			n = snprintf(out + o, size - o, "%s<long>", o ? "|" : "");
		else if (w.has_val)
			n = snprintf(out + o, size - o, "%s%s=%s", o ? "|" : "", w.key, w.val);
		else
			n = snprintf(out + o, size - o, "%s%s", o ? "|" : "", w.key);
		if (n < 0 || (size_t)n >= size - o)
			return;
		o += (size_t)n;
	}
}

static void tokenizer(void)
{
	/* The kernel's quoting: a quote toggles anywhere in a word; a leading
	 * quote on the value (or the word) and its closing quote are dropped. */
	static const struct {
		const char *in, *want;
	} t[] = {
		{"", ""},
		{"   ", ""},
		{"quiet", "quiet"},
		{"a=1 b=2", "a=1|b=2"},
		{"  a=1\t\nb=2  ", "a=1|b=2"},
		{"a=", "a="},
		{"a==b", "a==b"},
		{"a=\"x y\" b", "a=x y|b"},
		{"\"a=x y\" b", "a=x y|b"},
		{"\"flag\" b", "flag|b"},
		{"a=\"x y", "a=x y"},
		{"a=x\"y z\"", "a=x\"y z\""},
		{"a=1 -- a=2 init-arg", "a=1"},
		{"-- a=2", ""},
		{"--a=2", "--a=2"},
		{"a=1 --", "a=1"},
		{"x.y=1 x.y=2", "x.y=1|x.y=2"},
	};
	char got[512], shown[128];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		words(t[i].in, got, sizeof got);
		CHECK_STR(got, t[i].want, "cmdline tokens of \"%s\"",
			  unit_shown(t[i].in, shown, sizeof shown));
	}
	{
		char longw[600];
		memset(longw, 'v', sizeof longw);
		memcpy(longw, "k=", 2);
		longw[sizeof longw - 1] = '\0';
		words(longw, got, sizeof got);
		CHECK_STR(got, "<long>", "over-long word reported, not cut");
	}
}

struct sink {
	int n;
	char last[EG_MSG_MAX];
};

static void sink(void *ctx, const char *where, const char *msg)
{
	struct sink *s = ctx;

	s->n++;
	snprintf(s->last, sizeof s->last, "%s: %s", where, msg);
}

static int parse(struct eg_conf *c, const char *cl, struct sink *s)
{
	memset(s, 0, sizeof *s);
	return eg_conf_parse_cmdline(c, cl, sink, s);
}

static void overrides(void)
{
	struct eg_conf c;
	struct sink s;
	char err[EG_MSG_MAX];

	eg_conf_defaults(&c);
	CHECK_INT(parse(&c, "root=/dev/vda earlyguard.timeout=5s quiet", &s), 0, "one key");
	CHECK_INT(c.timeout_s, 5, "cmdline sets timeout");
	CHECK(c.source[EG_K_TIMEOUT] == EG_SRC_CMDLINE, "source is the command line");
	parse(&c, "earlyguard.timeout=5 earlyguard.timeout=7", &s);
	CHECK_INT(c.timeout_s, 7, "last value wins");

	eg_conf_defaults(&c);
	eg_conf_set(&c, EG_K_TIMEOUT, "20", EG_SRC_FILE, err, sizeof err);
	CHECK_INT(parse(&c, "earlyguard.timeout=abc", &s), 1, "bad value reported");
	CHECK_INT(c.timeout_s, 20, "bad command-line value keeps the file's value");
	CHECK(c.source[EG_K_TIMEOUT] == EG_SRC_FILE, "source stays file");
	CHECK(strstr(s.last, "kernel command line: earlyguard.timeout=abc: ") == s.last,
	      "report names the word: %s", s.last);
	CHECK(strstr(s.last, "keeping 20s") != NULL && strstr(s.last, "(the default)") == NULL,
	      "report says the file's value stays: %s", s.last);

	eg_conf_defaults(&c);
	CHECK_INT(parse(&c, "earlyguard.bogus=1 earlyguard.timeout=9", &s), 1, "unknown key");
	CHECK(strstr(s.last, "bogus") != NULL, "unknown key named");
	CHECK_INT(c.timeout_s, 9, "words after an unknown key still apply");
	CHECK_INT(parse(&c, "earlyguard.timeout", &s), 1, "key without value refused");
	/* GRUB's words for this boot are not configuration (bootsel.c) */
	CHECK_INT(parse(&c, "earlyguard.entry=A earlyguard.attempt=2 earlyguard.timeout=8", &s), 0,
		  "earlyguard.entry= and .attempt= are no unknown keys");
	CHECK_INT(c.timeout_s, 8, "words around them still apply");
	CHECK_INT(parse(&c, "earlyguard.entryx=A", &s), 1, "a key that only starts like them");
	CHECK_INT(parse(&c, "earlyguard.TIMEOUT=11", &s), 0, "key case ignored");
	CHECK_INT(c.timeout_s, 11, "upper-case key applied");
	CHECK_INT(parse(&c, "earlyguardx.timeout=3 xearlyguard.timeout=3 earlyguard=3", &s), 0,
		  "other prefixes ignored");
	CHECK_INT(c.timeout_s, 11, "other prefixes change nothing");
	CHECK_INT(parse(&c, "earlyguard.driver=\"i6300esb softdog\"", &s), 0, "quoted list");
	CHECK_STR(c.driver, "i6300esb,softdog", "quoted list applied");
	CHECK_INT(parse(&c, "earlyguard.timeout=3 -- earlyguard.timeout=4", &s), 0, "init args");
	CHECK_INT(c.timeout_s, 3, "words after -- belong to init");
	CHECK_INT(parse(&c, "earlyguard.timeout=4294967296", &s), 1, "overflow refused");
	CHECK_INT(parse(&c, "earlyguard.timeout=0", &s), 1, "timeout 0 refused");
	CHECK_INT(parse(&c, "earlyguard.deadline=-5 earlyguard.timeout=99999h", &s), 2,
		  "two bad words, two reports");
	{
		char cl[700];
		memset(cl, 'x', sizeof cl);
		memcpy(cl, "earlyguard.device=/", 19);
		cl[sizeof cl - 1] = '\0';
		CHECK_INT(parse(&c, cl, &s), 1, "over-long earlyguard word reported");
		CHECK_STR(c.device, "/dev/watchdog", "over-long word not applied");
	}
}

static void modparams(void)
{
	static const struct {
		const char *cl, *mod, *want;
	} t[] = {
		{"i6300esb.heartbeat=30 i6300esb.nowayout=1 other.x=1", "i6300esb",
		 "heartbeat=30 nowayout=1"},
		{"iTCO-wdt.heartbeat=5", "iTCO_wdt", "heartbeat=5"},
		{"iTCO_wdt.heartbeat=5", "iTCO-wdt", "heartbeat=5"},
		{"m.flag m.v=\"a b\"", "m", "flag v=\"a b\""},
		{"mm.x=1 m.y=2", "m", "y=2"},
		{"m.=1 .x=1 m", "m", ""},
		{"", "m", ""},
		{"m.x=1 -- m.y=2", "m", "x=1"},
	};
	char out[EG_MODPARAMS_MAX];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		CHECK(eg_modparams(t[i].cl, t[i].mod, out, sizeof out), "modparams fit: %s", t[i].cl);
		CHECK_STR(out, t[i].want, "modparams of %s from \"%s\"", t[i].mod, t[i].cl);
	}
	CHECK(!eg_modparams("m.a=1 m.b=2", "m", out, 6), "modparams too long refused");
}

void test_cmdline(void)
{
	tokenizer();
	overrides();
	modparams();
}
