/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "bootsel.h"

static struct eg_grubenv e;
static char buf[EG_GRUBENV_MAX], out[EG_GRUBENV_MAX];

/* e = a valid block of size bytes: the header, lines, '#' to the end. */
static void env(size_t size, const char *lines)
{
	size_t n = strlen(lines);
	const char *why;

	memset(buf, '#', size);
	memcpy(buf, EG_GRUBENV_HEADER, EG_GRUBENV_HDRLEN);
	memcpy(buf + EG_GRUBENV_HDRLEN, lines, n);
	why = eg_grubenv_parse(&e, buf, size);
	if (why)
		printf("# fixture does not parse: %s\n", why);
}

/* e's lines, for comparison with what they should be. */
static const char *lines(void)
{
	static char l[EG_GRUBENV_MAX + 1];

	memcpy(l, e.text, e.used);
	l[e.used] = '\0';
	return l;
}

static const char *get(const char *name)
{
	static char v[EG_GRUBENV_MAX];

	return eg_grubenv_get(&e, name, v, sizeof v) == 1 ? v : "(unset)";
}

static void names(void)
{
	CHECK_INT(eg_entry_lookup("A"), EG_E_A, "entry A");
	CHECK_INT(eg_entry_lookup("B"), EG_E_B, "entry B");
	CHECK_INT(eg_entry_lookup("recovery"), EG_E_RECOVERY, "entry recovery");
	CHECK_INT(eg_entry_lookup("trial"), EG_E_TRIAL, "entry trial");
	for (int i = 0; i < EG_E_COUNT; i++)
		CHECK_INT(eg_entry_lookup(eg_entry_name[i]), i, "name %d is its entry", i);
	static const char *const bad[] = {"", "a", "b", "C", "Trial", "TRIAL", "A ", " A",
					  "AB", "recover", "recovery2", "earlyguard-A", "lastresort"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_INT(eg_entry_lookup(bad[i]), -1, "not an entry: \"%s\"", bad[i]);
}

static void cmdline(void)
{
	static const struct {
		const char *cl;
		int entry, attempt;
		const char *why; /* a word of the reason, or NULL for none */
	} t[] = {
		{"", -1, -1, NULL},
		{"root=/dev/vda ro quiet", -1, -1, NULL},
		{"root=/dev/vda earlyguard.entry=A earlyguard.attempt=2 quiet", EG_E_A, 2, NULL},
		{"earlyguard.entry=B earlyguard.attempt=3", EG_E_B, 3, NULL},
		{"earlyguard.entry=recovery earlyguard.attempt=1 earlyguard.recover=fetch",
		 EG_E_RECOVERY, 1, NULL},
		{"earlyguard.entry=trial earlyguard.attempt=1", EG_E_TRIAL, 1, NULL},
		{"earlyguard.attempt=2 earlyguard.entry=A", EG_E_A, 2, NULL},
		{"earlyguard.entry=A earlyguard.attempt=0", EG_E_A, 0, NULL},
		{"earlyguard.entry=A earlyguard.attempt=9", EG_E_A, 9, NULL},
		{"earlyguard.entry=A", EG_E_A, -1, NULL},
		{"earlyguard.attempt=4", -1, 4, NULL},
		/* the last one wins, as for every earlyguard. word */
		{"earlyguard.entry=A earlyguard.entry=B", EG_E_B, -1, NULL},
		{"earlyguard.attempt=1 earlyguard.attempt=5", -1, 5, NULL},
		{"earlyguard.entry=A earlyguard.entry=X", -1, -1, "entry"},
		{"earlyguard.entry=X earlyguard.entry=A", EG_E_A, -1, NULL},
		{"earlyguard.attempt=x earlyguard.attempt=2", -1, 2, NULL},
		{"earlyguard.attempt=2 earlyguard.attempt=x", -1, -1, "attempt"},
		/* values GRUB never writes */
		{"earlyguard.entry=a", -1, -1, "entry"},
		{"earlyguard.entry=", -1, -1, "entry"},
		{"earlyguard.entry", -1, -1, "entry"},
		{"earlyguard.entry=lastresort", -1, -1, "entry"},
		{"earlyguard.attempt=10", -1, -1, "attempt"},
		{"earlyguard.attempt=-1", -1, -1, "attempt"},
		{"earlyguard.attempt=", -1, -1, "attempt"},
		{"earlyguard.attempt=1x", -1, -1, "attempt"},
		{"earlyguard.attempt=99999999999999999999999", -1, -1, "attempt"},
		{"earlyguard.entry=X earlyguard.attempt=x", -1, -1, "entry"},
		/* the kernel's quoting, by the project's tokenizer */
		{"earlyguard.entry=\"B\" \"earlyguard.attempt=2\"", EG_E_B, 2, NULL},
		/* not these words */
		{"xearlyguard.entry=A earlyguard.entryx=B earlyguard.Entry=A", -1, -1, NULL},
		{"EARLYGUARD.ENTRY=A", -1, -1, NULL},
		/* after "--" the words are init's */
		{"earlyguard.entry=A -- earlyguard.entry=B", EG_E_A, -1, NULL},
	};
	struct eg_boot b;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const char *why = eg_boot_parse(t[i].cl, &b);

		CHECK_INT(b.entry, t[i].entry, "cmdline \"%s\": entry", t[i].cl);
		CHECK_INT(b.attempt, t[i].attempt, "cmdline \"%s\": attempt", t[i].cl);
		if (t[i].why)
			CHECK(why && strstr(why, t[i].why), "cmdline \"%s\": reason names %s: %s",
			      t[i].cl, t[i].why, why ? why : "(none)");
		else
			CHECK(why == NULL, "cmdline \"%s\": no reason: %s", t[i].cl, why ? why : "");
	}
}

static void grubsel(void)
{
	struct eg_grubsel s;

	eg_grubenv_init(&e, EG_GRUBENV_SIZE);
	eg_grubsel_read(&e, &s);
	CHECK(s.def == EG_E_A && s.trial == -1 && s.max_tries == 3 && s.tries[0] == 0 &&
	      s.tries[1] == 0 && s.tries[2] == 0, "an empty block: GRUB's defaults");
	env(1024, "eg_default=B\neg_trial=trial\neg_max_tries=5\neg_A_tries=1\neg_B_tries=2\n"
		  "eg_recovery_tries=9\n");
	eg_grubsel_read(&e, &s);
	CHECK(s.def == EG_E_B && s.trial == EG_E_TRIAL && s.max_tries == 5 && s.tries[0] == 1 &&
	      s.tries[1] == 2 && s.tries[2] == 9, "every value read");

	/* each value GRUB would not write counts as absent */
	static const struct {
		const char *line;
		int def, trial, max, a;
	} t[] = {
		{"eg_default=A\n", EG_E_A, -1, 3, 0},
		{"eg_default=B\n", EG_E_B, -1, 3, 0},
		{"eg_default=b\n", EG_E_A, -1, 3, 0},
		{"eg_default=AB\n", EG_E_A, -1, 3, 0},
		{"eg_default=\n", EG_E_A, -1, 3, 0},
		{"eg_default=recovery\n", EG_E_A, -1, 3, 0},
		{"eg_default=trial\n", EG_E_A, -1, 3, 0},
		{"eg_trial=A\n", EG_E_A, EG_E_A, 3, 0},
		{"eg_trial=B\n", EG_E_A, EG_E_B, 3, 0},
		{"eg_trial=recovery\n", EG_E_A, EG_E_RECOVERY, 3, 0},
		{"eg_trial=\n", EG_E_A, -1, 3, 0},
		{"eg_trial=other\n", EG_E_A, -1, 3, 0},
		{"eg_trial=recoveryx\n", EG_E_A, -1, 3, 0},
		{"eg_max_tries=1\n", EG_E_A, -1, 1, 0},
		{"eg_max_tries=9\n", EG_E_A, -1, 9, 0},
		{"eg_max_tries=0\n", EG_E_A, -1, 3, 0},
		{"eg_max_tries=10\n", EG_E_A, -1, 3, 0},
		{"eg_max_tries=x\n", EG_E_A, -1, 3, 0},
		{"eg_max_tries=\n", EG_E_A, -1, 3, 0},
		{"eg_A_tries=0\n", EG_E_A, -1, 3, 0},
		{"eg_A_tries=9\n", EG_E_A, -1, 3, 9},
		{"eg_A_tries=10\n", EG_E_A, -1, 3, 0},
		{"eg_A_tries=-1\n", EG_E_A, -1, 3, 0},
		{"eg_A_tries= 1\n", EG_E_A, -1, 3, 0},
		{"eg_a_tries=4\n", EG_E_A, -1, 3, 0},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		env(1024, t[i].line);
		eg_grubsel_read(&e, &s);
		CHECK(s.def == t[i].def && s.trial == t[i].trial && s.max_tries == t[i].max &&
		      s.tries[0] == t[i].a && s.tries[1] == 0 && s.tries[2] == 0,
		      "grubsel of %.*s: def %d trial %d max %d A %d", (int)strlen(t[i].line) - 1,
		      t[i].line, s.def, s.trial, s.max_tries, s.tries[0]);
	}
}

/* What GRUB writes at an attempt, plus other tools' variables. */
#define BOOTED(entry, a, b, r)                                                           \
	"saved_entry=0\neg_default=A\neg_trial=\neg_entry=" entry "\neg_attempt=2\neg_ok=0\n" \
	"eg_A_tries=" a "\neg_B_tries=" b "\neg_recovery_tries=" r "\n"

static void disarm(void)
{
	struct eg_boot b = {EG_E_A, 2};

	env(1024, BOOTED("A", "2", "1", "3"));
	CHECK(eg_bootsel_disarm(&b, &e, true) == NULL, "disarm A");
	CHECK_STR(lines(),
		  "saved_entry=0\neg_default=A\neg_trial=\neg_entry=A\neg_attempt=2\neg_ok=1\n"
		  "eg_A_tries=0\neg_B_tries=1\neg_recovery_tries=3\n",
		  "disarm A: eg_ok=1, eg_A_tries=0, the rest as it was");
	b.entry = EG_E_B;
	env(1024, BOOTED("B", "3", "2", "0"));
	eg_bootsel_disarm(&b, &e, true);
	CHECK(strcmp(get("eg_ok"), "1") == 0 && strcmp(get("eg_B_tries"), "0") == 0 &&
	      strcmp(get("eg_A_tries"), "3") == 0 && strcmp(get("eg_recovery_tries"), "0") == 0,
	      "disarm B: eg_ok=1, eg_B_tries=0, eg_A_tries stays 3");
	b.entry = EG_E_RECOVERY;
	env(1024, BOOTED("recovery", "3", "3", "1"));
	eg_bootsel_disarm(&b, &e, true);
	CHECK(strcmp(get("eg_ok"), "1") == 0 && strcmp(get("eg_recovery_tries"), "0") == 0 &&
	      strcmp(get("eg_A_tries"), "3") == 0 && strcmp(get("eg_B_tries"), "3") == 0,
	      "disarm recovery: its tries 0 only");
	b.entry = EG_E_TRIAL;
	env(1024, BOOTED("trial", "1", "0", "0"));
	eg_bootsel_disarm(&b, &e, true);
	CHECK_STR(lines(),
		  "saved_entry=0\neg_default=A\neg_trial=\neg_entry=trial\neg_attempt=2\neg_ok=1\n"
		  "eg_A_tries=1\neg_B_tries=0\neg_recovery_tries=0\n",
		  "disarm trial: eg_ok=1 only (a one-shot has no count)");

	/* the command line says which entry, even if the grubenv changed */
	b.entry = EG_E_B;
	env(1024, BOOTED("A", "1", "2", "0"));
	eg_bootsel_disarm(&b, &e, true);
	CHECK(strcmp(get("eg_B_tries"), "0") == 0 && strcmp(get("eg_A_tries"), "1") == 0,
	      "disarm: the entry of the command line, not eg_entry");

	/* variables not yet there are appended */
	b.entry = EG_E_A;
	env(1024, "");
	eg_bootsel_disarm(&b, &e, true);
	CHECK_STR(lines(), "eg_ok=1\neg_A_tries=0\n", "disarm on an empty block: appended");

	/* a missing or corrupt file (and attempt 0: GRUB could not read it):
	 * recreated as grub-editenv create's block, marked good */
	b.attempt = 0;
	eg_grubenv_parse(&e, "not a grubenv", 13);
	CHECK(eg_bootsel_disarm(&b, &e, false) == NULL, "disarm, corrupt: done");
	eg_grubenv_serialize(&e, out);
	env(1024, "# WARNING: Do not edit this file by tools other than grub-editenv!!!\n"
		  "eg_ok=1\neg_A_tries=0\n");
	CHECK(e.size == 1024 && memcmp(out, buf, 1024) == 0,
	      "disarm, corrupt: a fresh 1024-byte block + eg_ok=1, eg_A_tries=0");
	env(2048, "eg_default=B\neg_ok=0\n");
	b.entry = EG_E_TRIAL;
	eg_bootsel_disarm(&b, &e, false);
	CHECK(e.size == 1024 && strcmp(lines(), "# WARNING: Do not edit this file by tools other "
		  "than grub-editenv!!!\neg_ok=1\n") == 0,
	      "disarm, not valid: nothing kept, 1024 bytes (the contract's size)");
	/* attempt 0 with a block that reads now: its variables are kept (an
	 * eg_default=B after a promote, other tools' variables) */
	b.entry = EG_E_B;
	env(1024, "saved_entry=2\neg_default=B\neg_B_tries=4\n");
	eg_bootsel_disarm(&b, &e, true);
	CHECK_STR(lines(), "saved_entry=2\neg_default=B\neg_B_tries=0\neg_ok=1\n",
		  "disarm, attempt 0, valid block: kept and marked good");

	/* a full block: refused, with the reason */
	{
		char full[EG_GRUBENV_SIZE];
		size_t n = EG_GRUBENV_SIZE - EG_GRUBENV_HDRLEN;
		const char *why;

		/* no padding left: "x=vvv...\neg_ok=0\n" fills it */
		memset(full, 'v', n);
		memcpy(full, "x=", 2);
		memcpy(full + n - 9, "\neg_ok=0\n", 9);
		full[n] = '\0';
		env(1024, full);
		why = eg_bootsel_disarm(&b, &e, true);
		CHECK(why && strstr(why, "no room"), "disarm, full block: %s", why ? why : "(none)");
	}
}

static void trial(void)
{
	int entry = -2;

	for (int i = 0; i < EG_E_COUNT; i++) {
		CHECK(eg_bootsel_trial(eg_entry_name[i], &entry) == NULL && entry == i,
		      "trial %s accepted", eg_entry_name[i]);
	}
	static const char *const bad[] = {"", "C", "a", "TRIAL", "A ", "lastresort", "../A", "A/"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *why = eg_bootsel_trial(bad[i], &entry);

		CHECK(why && strstr(why, "trial, A, B or recovery") && entry == -1,
		      "trial \"%s\" refused: %s", bad[i], why ? why : "(accepted)");
	}
}

static void promote(void)
{
	struct eg_boot b = {EG_E_TRIAL, 1};
	const char *why;
	int target = -2;

	/* refused unless this boot is a confirmed trial */
	static const struct {
		int entry;
		const char *lines, *word;
	} no[] = {
		{EG_E_A, "eg_entry=trial\neg_ok=1\n", "not the trial"},
		{EG_E_B, "eg_entry=trial\neg_ok=1\n", "not the trial"},
		{EG_E_RECOVERY, "eg_entry=trial\neg_ok=1\n", "not the trial"},
		{-1, "eg_entry=trial\neg_ok=1\n", "not the trial"},
		{EG_E_TRIAL, "eg_entry=A\neg_ok=1\n", "eg_entry=trial"},
		{EG_E_TRIAL, "eg_ok=1\n", "eg_entry=trial"},
		{EG_E_TRIAL, "eg_entry=trialx\neg_ok=1\n", "eg_entry=trial"},
		{EG_E_TRIAL, "eg_entry=trial\neg_ok=0\n", "not confirmed"},
		{EG_E_TRIAL, "eg_entry=trial\n", "not confirmed"},
		{EG_E_TRIAL, "eg_entry=trial\neg_ok=11\n", "not confirmed"},
		{EG_E_TRIAL, "eg_entry=trial\neg_ok=\n", "not confirmed"},
	};
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		b.entry = no[i].entry;
		env(1024, no[i].lines);
		why = eg_bootsel_promote(&b, &e, &target);
		CHECK(why && strstr(why, no[i].word), "promote refused (case %zu): %s", i,
		      why ? why : "(allowed)");
	}

	/* the target is the secondary: the one of A and B that is not eg_default */
	static const struct {
		const char *lines;
		int target;
	} yes[] = {
		{"eg_entry=trial\neg_ok=1\n", EG_E_B},
		{"eg_default=A\neg_entry=trial\neg_ok=1\n", EG_E_B},
		{"eg_default=B\neg_entry=trial\neg_ok=1\n", EG_E_A},
		{"eg_default=x\neg_entry=trial\neg_ok=1\n", EG_E_B},
		{"eg_default=recovery\neg_entry=trial\neg_ok=1\n", EG_E_B},
	};
	b.entry = EG_E_TRIAL;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		env(1024, yes[i].lines);
		why = eg_bootsel_promote(&b, &e, &target);
		CHECK(why == NULL && target == yes[i].target, "promote allowed (case %zu): target %d",
		      i, target);
	}

	/* after the copy: one edit, eg_default and the target's tries */
	env(1024, "eg_default=A\neg_entry=trial\neg_ok=1\neg_A_tries=0\neg_B_tries=3\n");
	CHECK(eg_bootsel_promoted(&e, EG_E_B) == NULL, "promoted B");
	CHECK_STR(lines(), "eg_default=B\neg_entry=trial\neg_ok=1\neg_A_tries=0\neg_B_tries=0\n",
		  "promoted B: eg_default=B, eg_B_tries=0, the rest kept");
	env(1024, "eg_default=B\neg_entry=trial\neg_ok=1\n");
	eg_bootsel_promoted(&e, EG_E_A);
	CHECK_STR(lines(), "eg_default=A\neg_entry=trial\neg_ok=1\neg_A_tries=0\n",
		  "promoted A: eg_default=A, eg_A_tries=0 appended");
	{
		struct eg_grubsel s;
		eg_bootsel_promote(&b, &e, &target);
		eg_grubsel_read(&e, &s);
		CHECK(target == EG_E_B && s.def == EG_E_A,
		      "after promoting A, the next promote targets B");
	}
	/* no room: refused, with the reason */
	{
		char full[EG_GRUBENV_SIZE];
		size_t n = 512 - EG_GRUBENV_HDRLEN;

		memset(full, 'v', n);
		memcpy(full, "eg_entry=trial\neg_ok=1\nx=", 25);
		full[n - 1] = '\n';
		full[n] = '\0';
		env(512, full);
		CHECK(eg_bootsel_promote(&b, &e, &target) == NULL, "promote allowed in a full block");
		why = eg_bootsel_promoted(&e, target);
		CHECK(why && strstr(why, "no room"), "promoted, full block: %s",
		      why ? why : "(none)");
	}
}

void test_bootsel(void)
{
	names();
	cmdline();
	grubsel();
	disarm();
	trial();
	promote();
}
