# SPDX-License-Identifier: GPL-2.0-or-later
#
# make            the shipped binary: static klibc, stripped (build/earlyguard)
# make host       the same sources with the host compiler under ASan/UBSan
# make images     kernel, initramfs and rootfs for QEMU (build/images/)
# make grub       patched GRUB i386-pc modules + grub-mkimage (build/grub/)
# make bearssl    BearSSL built with klcc for the klibc binary (build/bearssl/)
# make check      unit tests, bats, shellcheck, QEMU matrix (alias: make test)
# make matrix     the QEMU matrix only (TESTS=M01,M03 for a subset)
# make bench      figures, no assertions
# make install    DESTDIR=... PREFIX=/usr
# V=1 prints full command lines.

.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
LIBDIR ?= $(PREFIX)/lib
SYSCONFDIR ?= /etc
DESTDIR ?=

KLCC ?= klcc
CC ?= cc
HOSTCC ?= $(CC)
STRIP ?= strip

B := build
SRCS := main.c clock.c log.c util.c conf.c guard_logic.c record.c wdt.c verify.c \
	modload.c mounts.c initcmd.c guard.c rescue.c daemon_logic.c daemon.c \
	ctl.c handoff.c grubenv.c bootsel.c grubcmd.c manifest.c http.c
SRCS += netcfg.c netlink.c netcmd.c fetch_logic.c fetch.c kexec.c
SRCS += heal_logic.c heal.c
SRCS += peer.c peerd.c
SRCS += uplink.c
SRCS += failover_logic.c failover.c
HDRS := $(wildcard src/*.h)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wwrite-strings -Wvla
# klibc's stdlib.h defines abs() itself, which -Wshadow flags; the host
# build keeps -Wshadow for our code.
CSTD := -std=c11
KCFLAGS ?= -Os -ffunction-sections -fdata-sections
# no page-aligned padding between code and data segments: ~8 KiB smaller
KLDFLAGS ?= -Wl,--gc-sections -Wl,-z,noseparate-code
HOSTCFLAGS ?= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
HOSTDEFS := -D_GNU_SOURCE -DEG_NO_REBOOT
# SHA-256 and ECDSA come from BearSSL: built from Debian's source with klcc
# for the klibc binary (root, apt, cached: crypto/build-bearssl.sh), the
# system's libbearssl-dev for the host build.  Its headers pass our
# warnings; klcc refuses -isystem (-Wp,-isystem,DIR would do if ever needed).
BEARSSL := $(B)/bearssl
BEARSSL_LIB := $(BEARSSL)/libbearssl.a
KINC := -I$(BEARSSL)/inc
HOSTLIBS := -lbearssl

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2);
endif

.PHONY: all host images grub bearssl matrix check test unit bats lint bench demo deps install clean fuzz

all: $(B)/earlyguard

# ---- the shipped binary: klibc, static, stripped ----
KOBJS := $(SRCS:%.c=$(B)/klibc/%.o)
$(B)/klibc/%.o: src/%.c $(HDRS) | $(B)/klibc $(BEARSSL_LIB)
	$(call msg,KLCC,$@)
	$(Q)$(KLCC) $(CSTD) $(WARN) -Wno-shadow $(KCFLAGS) $(KINC) -c -o $@ $<
# --gc-sections keeps only the BearSSL functions earlyguard calls
$(B)/earlyguard: $(KOBJS) $(BEARSSL_LIB)
	$(call msg,LINK,$@)
	$(Q)$(KLCC) -static $(KLDFLAGS) -o $@.unstripped $(KOBJS) $(BEARSSL_LIB)
	$(Q)$(STRIP) -o $@ $@.unstripped

# ---- the host build for tests ----
HOBJS := $(SRCS:%.c=$(B)/host/%.o)
$(B)/host/%.o: src/%.c $(HDRS) | $(B)/host
	$(call msg,CC,$@)
	$(Q)$(HOSTCC) $(CSTD) $(HOSTDEFS) $(WARN) $(HOSTCFLAGS) -c -o $@ $<
$(B)/host/earlyguard: $(HOBJS)
	$(call msg,LINK,$@)
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -o $@ $(HOBJS) $(HOSTLIBS)
host: $(B)/host/earlyguard $(B)/host/unit

# unit tests link every object but main
UNIT_SRCS := $(wildcard test/unit/*.c)
$(B)/host/unit: $(UNIT_SRCS) $(filter-out $(B)/host/main.o,$(HOBJS)) test/unit/unit.h | $(B)/host
	$(call msg,LINK,$@)
	$(Q)$(HOSTCC) $(CSTD) $(HOSTDEFS) $(WARN) $(HOSTCFLAGS) -Isrc -o $@ $(UNIT_SRCS) \
		$(filter-out $(B)/host/main.o,$(HOBJS)) $(HOSTLIBS)

$(B)/klibc $(B)/host:
	$(Q)mkdir -p $@

# ---- images and tests ----
# disk.img is built with the patched GRUB (make grub: root, apt, cached)
images: $(B)/earlyguard grub
	$(Q)images/build.sh $(B)/images
	$(Q)images/build-initramfs-tools.sh $(B)/images
	$(Q)images/build-dracut.sh $(B)/images
	$(Q)images/build-disk.sh $(B)/images

grub:
	$(Q)grub/build-grub.sh $(B)/grub

# make bearssl always asks the cache (seconds); the binary's build runs
# the script only when build/bearssl is missing or the script changed.
bearssl:
	$(Q)KLCC="$(KLCC)" crypto/build-bearssl.sh $(BEARSSL)
$(BEARSSL_LIB): crypto/build-bearssl.sh mk/debsrc.sh
	$(Q)KLCC="$(KLCC)" crypto/build-bearssl.sh $(BEARSSL)
	$(Q)touch $@

unit: $(B)/host/unit
	$(Q)$(B)/host/unit

bats: $(B)/host/earlyguard
	$(Q)bats --tap test/bats

lint:
	$(Q)test/lint.sh

matrix: images
	$(Q)test/qemu/run-matrix.sh

check test: all host images
	$(Q)test/run-all.sh

bench: images
	$(Q)test/bench/run.sh

demo: all images
	$(Q)test/demo.sh

deps:
	$(Q)test/deps.sh

fuzz:
	$(Q)test/fuzz/run.sh

# ---- install ----
install: $(B)/earlyguard
	install -D -m 0755 $(B)/earlyguard $(DESTDIR)$(SBINDIR)/earlyguard
	install -D -m 0644 man/earlyguard.8 $(DESTDIR)$(MANDIR)/man8/earlyguard.8
	install -D -m 0644 man/earlyguard.conf.5 $(DESTDIR)$(MANDIR)/man5/earlyguard.conf.5
	install -D -m 0644 man/earlyguard-manifest.5 \
		$(DESTDIR)$(MANDIR)/man5/earlyguard-manifest.5
	install -D -m 0755 init/init $(DESTDIR)$(LIBDIR)/earlyguard/init
	install -D -m 0644 init/earlyguard.conf $(DESTDIR)$(SYSCONFDIR)/earlyguard.conf.example
	install -D -m 0644 boot/earlyguard.service $(DESTDIR)$(LIBDIR)/systemd/system/earlyguard.service
	install -D -m 0644 boot/earlyguard-shutdown.service \
		$(DESTDIR)$(LIBDIR)/systemd/system/earlyguard-shutdown.service
	install -D -m 0755 boot/systemd-shutdown/earlyguard \
		$(DESTDIR)$(LIBDIR)/systemd/system-shutdown/earlyguard
	install -D -m 0755 boot/init.d/earlyguard $(DESTDIR)$(SYSCONFDIR)/init.d/earlyguard
	install -D -m 0644 hooks/earlyguard-lib.sh $(DESTDIR)$(LIBDIR)/earlyguard/earlyguard-lib.sh
	install -D -m 0755 hooks/initramfs-tools/hooks/earlyguard \
		$(DESTDIR)$(PREFIX)/share/initramfs-tools/hooks/earlyguard
	install -D -m 0755 hooks/initramfs-tools/scripts/init-top/earlyguard \
		$(DESTDIR)$(PREFIX)/share/initramfs-tools/scripts/init-top/earlyguard
	install -D -m 0755 hooks/initramfs-tools/scripts/local-top/earlyguard \
		$(DESTDIR)$(PREFIX)/share/initramfs-tools/scripts/local-top/earlyguard
	install -D -m 0755 hooks/initramfs-tools/scripts/panic/earlyguard \
		$(DESTDIR)$(PREFIX)/share/initramfs-tools/scripts/panic/earlyguard
	install -D -m 0755 modules/90earlyguard/module-setup.sh \
		$(DESTDIR)$(LIBDIR)/dracut/modules.d/90earlyguard/module-setup.sh
	install -D -m 0755 modules/90earlyguard/earlyguard-arm.sh \
		$(DESTDIR)$(LIBDIR)/dracut/modules.d/90earlyguard/earlyguard-arm.sh
	install -D -m 0755 modules/90earlyguard/earlyguard-fetch.sh \
		$(DESTDIR)$(LIBDIR)/dracut/modules.d/90earlyguard/earlyguard-fetch.sh
	install -D -m 0755 modules/90earlyguard/earlyguard-emergency.sh \
		$(DESTDIR)$(LIBDIR)/dracut/modules.d/90earlyguard/earlyguard-emergency.sh
	install -D -m 0644 hooks/mkinitcpio/install/earlyguard \
		$(DESTDIR)$(LIBDIR)/initcpio/install/earlyguard
	install -D -m 0644 hooks/mkinitcpio/install/sd-earlyguard \
		$(DESTDIR)$(LIBDIR)/initcpio/install/sd-earlyguard
	install -D -m 0644 hooks/mkinitcpio/hooks/earlyguard \
		$(DESTDIR)$(LIBDIR)/initcpio/hooks/earlyguard
	install -D -m 0644 hooks/mkinitcpio/systemd/earlyguard-arm.service \
		$(DESTDIR)$(LIBDIR)/earlyguard/initrd/earlyguard-arm.service
	install -D -m 0644 hooks/mkinitcpio/systemd/earlyguard-rescue.conf \
		$(DESTDIR)$(LIBDIR)/earlyguard/initrd/earlyguard-rescue.conf
	install -D -m 0644 grub/earlyguard.cfg $(DESTDIR)$(LIBDIR)/earlyguard/grub/earlyguard.cfg
	install -D -m 0755 grub/10_earlyguard $(DESTDIR)$(SYSCONFDIR)/grub.d/10_earlyguard
	install -D -m 0644 grub/earlyguard-grub.example \
		$(DESTDIR)$(SYSCONFDIR)/default/earlyguard-grub.example

clean:
	rm -rf $(B)
