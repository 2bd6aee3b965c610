/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loading kernel modules without modprobe: dependencies from modules.dep
 * (which depmod writes when the image is built), parameters from the
 * kernel command line (finit_module does not read them; modprobe does).
 */
#ifndef EG_MODLOAD_H
#define EG_MODLOAD_H

#include "eg.h"

#define EG_MODDEP_MAX 32    /* a module and its dependencies */
#define EG_MODPARAMS_MAX 512

struct eg_modpaths {
	int n; /* path[0] is the module, path[1..n-1] its dependencies */
	char path[EG_MODDEP_MAX][EG_PATH_MAX];
};

/* Pure helpers. */
void eg_modname(const char *path, size_t len, char *out, size_t size);
/* 1 if this modules.dep line is the module name; -1 if it is but does not
 * fit in out; 0 otherwise. */
int eg_moddep_line(const char *line, size_t len, const char *name, struct eg_modpaths *out);
/* "name.p=v name.q=w" words of cmdline as "p=v q=w"; false if too long. */
bool eg_modparams(const char *cmdline, const char *name, char *out, size_t size);

/* Load name and what it depends on.  0 when loaded or already present;
 * otherwise -errno and why says which step failed. */
int eg_modprobe(const char *name, const char *cmdline, char *why, size_t whylen);

#endif
