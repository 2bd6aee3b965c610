/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Thin wrappers around the Linux watchdog ioctls. */
#ifndef EG_WDT_H
#define EG_WDT_H

#include "eg.h"

struct eg_wdt {
	int fd;
	char identity[40];
	uint32_t options;    /* WDIOF_* the driver supports */
	uint32_t timeout_s;  /* what the driver accepted */
	uint32_t bootstatus; /* WDIOF_* of the previous reset, if known */
	bool have_bootstatus;
	bool timeout_refused; /* the driver kept its own timeout */
	bool timeout_unknown; /* ... and would not say what it is */
	int first_pet_err;    /* -errno of the ping at arming, or 0 */
};

/* Assumed when a driver will neither set nor report its timeout: petting
 * at a quarter of it (1 s) covers any real timeout of 2 s or more. */
#define EG_WDT_UNKNOWN_TIMEOUT_S 4

/* Open and arm dev with timeout_s.  Once open it stays open (closing would
 * not stop it).  On failure returns -errno and *step names the verb. */
int eg_wdt_open(struct eg_wdt *w, const char *dev, uint32_t timeout_s, const char **step);
int eg_wdt_pet(int fd);
int eg_wdt_set_timeout(int fd, uint32_t *timeout_s);
/* "watchdog reset" style summary of bootstatus bits. */
void eg_wdt_bootstatus_text(uint32_t bits, char *buf, size_t size);

#endif
