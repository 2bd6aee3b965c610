#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# images/build.sh [OUTDIR] - build the QEMU test images (default OUTDIR:
# build/images):
#   vmlinuz             the installed Debian kernel, copied
#   initramfs.img       gzip -9 newc cpio: /init, earlyguard, busybox, modules
#   rootfs.img          64 MiB ext4 (label egroot): busybox init with the
#                       inittab of boot/inittab.example, earlyguard, dropbear
#   test-overlay.cpio   uncompressed newc with the fault-injection hook and
#                       the fetch key's public half (/etc/earlyguard/fetch.pub.pem)
#   test_ssh_key{,.pub} the client key the rootfs' users accept (ed25519)
#   fetch-key/          the key pair that signs the matrix's known-good
#                       bundles (images/make-bundle.sh --new-key)
#   ssh_host_ed25519_key.pub  the rootfs' dropbear host key, public part
#
# No root, loop devices or network: the cpio archives come from our own
# mkcpio, the ext4 image from mkfs.ext4 -d, ownership fixed with debugfs.
# The SSH keys are made once and kept (never committed: build/ only).
#
# Environment overrides:
#   EARLYGUARD_BIN  earlyguard binary        (default build/earlyguard)
#   INIT_SRC        initramfs /init           (default init/init)
#   KVER            kernel version            (default: newest /lib/modules/*
#                                               with a /boot/vmlinuz-*)
#   BUSYBOX         static busybox            (default /bin/busybox)
#   DROPBEAR        dropbear server for the rootfs, with its shared
#                   libraries from ldd       (default /usr/sbin/dropbear)
#   HOSTCC          compiler for build/tools/mkcpio (default cc)
prog=images/build.sh
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
images=$root/images

earlyguard_bin=$(abspath "${EARLYGUARD_BIN:-$root/build/earlyguard}")
init_src=$(abspath "${INIT_SRC:-$root/init/init}")
busybox=${BUSYBOX:-/bin/busybox}
dropbear=$(abspath "${DROPBEAR:-/usr/sbin/dropbear}")
hostcc=${HOSTCC:-cc}
conf=$images/initramfs.conf
fault_hook=$images/fault-hook
mkcpio=$root/build/tools/mkcpio
inittab_example=$root/boot/inittab.example
# The rootfs' files from images/: "SOURCE TARGET MODE".
rootfs_files=(
	"rootfs-rcS etc/init.d/rcS 0755"
	"rootfs-eg-daemon etc/init.d/eg-daemon 0755"
	"rootfs-rc-late etc/init.d/rc.late 0755"
	"rootfs-test-shutdown etc/init.d/test-shutdown 0755"
	"rootfs-earlyguard.conf etc/earlyguard.conf 0644"
	"rootfs-eg-gadget usr/sbin/eg-gadget 0755"
	"rootfs-eg-carrier usr/sbin/eg-carrier 0755"
)
rootfs_conf=$images/rootfs-earlyguard.conf

# Always in the initramfs: the software watchdog is the fallback when the
# configured driver finds no hardware.
always_modules=(softdog)
# In the rootfs: the watchdog drivers again (a real root has every module;
# the daemon may look for its driver), the network card, which rcS
# loads when QEMU has one, and the USB gadget stack of eg-gadget: the
# emulated UDC (dummy_hcd) and configfs' mass-storage function, whose
# backing file the daemon's usb guard looks at.
rootfs_modules=(softdog virtio_net dummy_hcd libcomposite usb_f_mass_storage)

rootfs_size=64M
rootfs_label=egroot

need_tool() {
	command -v "$1" >/dev/null || die "$1 not found (install $2)"
}

need_file() {
	[[ -f $1 && -r $1 ]] || die "$1: ${2:-missing or unreadable}"
}

# The initramfs has no shared libraries: a dynamically linked program there
# fails as "not found" at boot, far from the cause.
need_static() {
	local out
	command -v readelf >/dev/null || return 0
	out=$(readelf -lW "$1" 2>/dev/null) || return 0 # not ELF (a script)
	if grep -q 'Requesting program interpreter' <<<"$out"; then
		die "$1 is dynamically linked; the images need a static binary"
	fi
}

# mkcpio splits spec lines on blanks.
spec_path() {
	[[ $1 != *[[:space:]]* ]] || die "path with blanks cannot go in a cpio spec: $1"
}

# Module names compare with '-' and '_' as the same character.  Sets $REPLY
# (no command substitution: this runs once per line of modules.dep).
modname() {
	REPLY=${1##*/}
	REPLY=${REPLY%%.ko*}
	REPLY=${REPLY//-/_}
}

# --- inputs ---------------------------------------------------------------

need_tool gzip gzip
need_tool depmod kmod
need_tool mkfs.ext4 e2fsprogs
need_tool debugfs e2fsprogs
need_tool ldd libc-bin
need_tool dropbearkey dropbear-bin
need_tool ssh-keygen openssh-client

[[ -f $earlyguard_bin ]] ||
	die "$earlyguard_bin not found: run 'make' first (or set EARLYGUARD_BIN)"
[[ -f $init_src ]] ||
	die "$init_src not found: run 'make' first (or set INIT_SRC)"
need_file "$earlyguard_bin"
need_file "$init_src"
need_file "$busybox" "missing (install busybox-static)"
need_file "$conf"
need_file "$fault_hook"
need_file "$inittab_example"
need_file "$dropbear" "missing (install dropbear-bin)"
for f in "${rootfs_files[@]}"; do
	need_file "$images/${f%% *}"
done
need_static "$busybox"
need_static "$earlyguard_bin"
for f in "$earlyguard_bin" "$init_src" "$busybox" "$conf" "$fault_hook" "$outdir"; do
	spec_path "$f"
done

kver=$(img_kver)
moddir=/lib/modules/$kver
vmlinuz=/boot/vmlinuz-$kver
need_file "$vmlinuz" "missing or unreadable (KVER=$kver)"
need_file "$moddir/modules.dep" "missing or unreadable (KVER=$kver)"

# initramfs.conf is KEY=value; the builder only needs driver= and modules=
# ("none" in either: nothing to load, e.g. a built-in driver).
driver='' conf_modules=''
while IFS= read -r line || [[ -n $line ]]; do
	case $line in
	driver=*) driver=${line#driver=} ;;
	modules=*) conf_modules=${line#modules=} ;;
	esac
done <"$conf"
[[ -n $driver ]] || die "$conf: no driver= line"
IFS=, read -r -a listed <<<"$conf_modules"
wanted=("${always_modules[@]}")
for m in "$driver" "${listed[@]}"; do
	[[ $m != none ]] || continue
	[[ $m =~ ^[A-Za-z0-9_-]+$ ]] || die "$conf: bad module name '$m'"
	wanted+=("$m")
done
rootfs_driver=$(sed -n 's/^driver=//p' "$rootfs_conf" | tail -n 1)
IFS=, read -r -a listed <<<"$rootfs_driver"
for m in "${listed[@]}"; do
	[[ $m != none ]] || continue
	[[ $m =~ ^[A-Za-z0-9_-]+$ ]] || die "$rootfs_conf: bad module name '$m'"
	rootfs_modules+=("$m")
done

# --- mkcpio ------------------------------------------------------------------

if [[ ! -x $mkcpio || $images/mkcpio.c -nt $mkcpio ]]; then
	need_tool "$hostcc" gcc
	mkdir -p "${mkcpio%/*}"
	# A private temporary name: parallel builds may race here.
	if ! "$hostcc" -std=c11 -O2 -Wall -Wextra -Werror -o "$mkcpio.tmp.$$" "$images/mkcpio.c" ||
		! mv -f "$mkcpio.tmp.$$" "$mkcpio"; then
		rm -f "$mkcpio.tmp.$$"
		die "unable to compile $images/mkcpio.c"
	fi
fi

# --- work area ---------------------------------------------------------------

start=$SECONDS
mkdir -p "$outdir"
tmp=$(mktemp -d "$outdir/.build.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- modules: resolve modules.dep transitively, then depmod the subset --------

declare -A mod_path=() mod_deps=() builtin=()
while IFS= read -r line; do
	path=${line%%:*}
	modname "$path"
	mod_path[$REPLY]=$path
	mod_deps[$REPLY]=${line#*:}
done <"$moddir/modules.dep"
if [[ -r $moddir/modules.builtin ]]; then
	while IFS= read -r line; do
		modname "$line"
		builtin[$REPLY]=1
	done <"$moddir/modules.builtin"
fi

# stage_modules DIR MODULE...: copy MODULE... and everything they depend on
# into DIR/lib/modules/$kver and run depmod there.  Sets $staged to the
# number of modules copied.
stage_modules() {
	local dir=$1 m dep rel
	shift
	local -A picked=()
	local -a queue=()
	for m in "$@"; do
		m=${m//-/_}
		if [[ -z ${mod_path[$m]-} ]]; then
			[[ -n ${builtin[$m]-} ]] && continue # built into the kernel: nothing to load
			die "module $m not found in $moddir/modules.dep"
		fi
		queue+=("$m")
	done
	while ((${#queue[@]})); do
		m=${queue[0]}
		queue=("${queue[@]:1}")
		[[ -z ${picked[$m]-} ]] || continue
		picked[$m]=1
		for dep in ${mod_deps[$m]}; do
			modname "$dep"
			dep=$REPLY
			[[ -n ${mod_path[$dep]-} ]] || die "$moddir/modules.dep: $m needs $dep, which has no entry"
			queue+=("$dep")
		done
	done

	mkdir -p "$dir/lib/modules/$kver"
	for m in "${!picked[@]}"; do
		rel=${mod_path[$m]}
		# The loaders in the images (finit_module, busybox modprobe)
		# get plain .ko files; a compressed module would fail there,
		# not here.
		[[ $rel == *.ko ]] || die "$moddir/$rel is compressed; the images need uncompressed .ko"
		mkdir -p "$dir/lib/modules/$kver/${rel%/*}"
		cp "$moddir/$rel" "$dir/lib/modules/$kver/$rel"
	done
	# depmod -b wants the builtin lists (so modprobe knows what needs no
	# loading) and modules.order (load order among aliases), cut to our
	# subset.
	for m in modules.builtin modules.builtin.modinfo; do
		[[ ! -f $moddir/$m ]] || cp "$moddir/$m" "$dir/lib/modules/$kver/$m"
	done
	if [[ -f $moddir/modules.order ]]; then
		for m in "${!picked[@]}"; do
			printf '%s\n' "${mod_path[$m]}"
		done >"$tmp/picked.list"
		grep -Fx -f "$tmp/picked.list" "$moddir/modules.order" >"$dir/lib/modules/$kver/modules.order" || true
	fi
	depmod -b "$dir" "$kver" || die "depmod -b $dir $kver failed"
	staged=${#picked[@]}
}

modstage=$tmp/modules
staged=0
stage_modules "$modstage" "${wanted[@]}"
initramfs_modules=$staged

# --- initramfs.img -------------------------------------------------------------

mapfile -t applets < <("$busybox" --list)
((${#applets[@]} > 100)) || die "$busybox --list gave ${#applets[@]} applets; is it busybox?"

{
	printf 'dir bin 0755\n'
	printf 'file bin/busybox %s 0755\n' "$busybox"
	for a in "${applets[@]}"; do
		[[ $a == busybox ]] || printf 'slink bin/%s busybox 0777\n' "$a"
	done
	printf 'dir dev 0755\n'
	printf 'nod dev/console 0600 c 5 1\n'
	printf 'nod dev/null 0666 c 1 3\n'
	printf 'dir etc 0755\n'
	printf 'file etc/earlyguard.conf %s 0644\n' "$conf"
	printf 'dir etc/earlyguard 0755\n'
	printf 'dir etc/earlyguard/hooks.d 0755\n'
	printf 'file init %s 0755\n' "$init_src"
	printf 'dir lib 0755\n'
	# Sorted by path, a directory always comes before its contents.
	while IFS=' ' read -r type path; do
		case $type in
		d) printf 'dir %s 0755\n' "$path" ;;
		f) printf 'file %s %s 0644\n' "$path" "$modstage/$path" ;;
		*) die "unexpected file type '$type' in module staging: $path" ;;
		esac
	done < <(cd "$modstage" && find lib/modules -printf '%y %p\n' | sort -k2)
	printf 'dir proc 0555\n'
	printf 'dir root 0700\n'
	printf 'dir run 0755\n'
	printf 'dir sbin 0755\n'
	printf 'file sbin/earlyguard %s 0755\n' "$earlyguard_bin"
	printf 'dir sys 0555\n'
	printf 'dir tmp 1777\n'
} >"$tmp/initramfs.spec"

"$mkcpio" <"$tmp/initramfs.spec" | gzip -9 -n >"$tmp/initramfs.img"
# The kernel takes a cpio archive appended to this one (test-overlay.cpio)
# only at a 4-byte aligned offset, and skips NUL bytes between archives;
# gzip ignores trailing NULs too.
pad=$(((4 - $(stat -c %s "$tmp/initramfs.img") % 4) % 4))
head -c "$pad" /dev/zero >>"$tmp/initramfs.img"

# --- the fetch key: made once, kept in OUTDIR -----------------------------------

# The matrix's known-good bundles are signed with it (test/qemu/fetch.sh);
# its public half is the initramfs' fetch_key.  Test-only, like the SSH keys.
fetch_key=$outdir/fetch-key
if [[ ! -s $fetch_key/earlyguard-bundle.key.pem || ! -s $fetch_key/earlyguard-bundle.pub.pem ]]; then
	mkdir -p "$tmp/fetch-key"
	"$images/make-bundle.sh" --new-key "$tmp/fetch-key" >"$tmp/fetch-key.log" 2>&1 ||
		die "make-bundle.sh --new-key failed: $(head -n 3 "$tmp/fetch-key.log")"
	rm -rf "$fetch_key"
	mv -f "$tmp/fetch-key" "$fetch_key"
fi

# --- test-overlay.cpio -----------------------------------------------------------

{
	printf 'dir etc 0755\n'
	printf 'dir etc/earlyguard 0755\n'
	printf 'dir etc/earlyguard/hooks.d 0755\n'
	printf 'file etc/earlyguard/hooks.d/50-fault %s 0755\n' "$fault_hook"
	printf 'file etc/earlyguard/fetch.pub.pem %s 0644\n' "$fetch_key/earlyguard-bundle.pub.pem"
} >"$tmp/test-overlay.spec"
"$mkcpio" <"$tmp/test-overlay.spec" >"$tmp/test-overlay.cpio"

# --- SSH keys: made once, kept in OUTDIR ---------------------------------------

# The client key pair the tests log in with, accepted for root and op, and
# dropbear's host key.  Kept across builds (a rebuilt image keeps its host
# key); delete them to get new ones.
test_key=$outdir/test_ssh_key
host_key=$outdir/dropbear_ed25519_host_key
if [[ ! -s $test_key || ! -s $test_key.pub ]]; then
	ssh-keygen -q -t ed25519 -N '' -C earlyguard-test -f "$tmp/test_ssh_key" ||
		die "ssh-keygen failed to make the test client key"
	mv -f "$tmp/test_ssh_key.pub" "$test_key.pub"
	mv -f "$tmp/test_ssh_key" "$test_key"
fi
if [[ ! -s $host_key ]]; then
	dropbearkey -t ed25519 -f "$tmp/host_key" >"$tmp/dropbearkey.log" 2>&1 ||
		die "dropbearkey failed: $(head -n 3 "$tmp/dropbearkey.log")"
	chmod 0600 "$tmp/host_key"
	mv -f "$tmp/host_key" "$host_key"
fi
# The public half, for a test that wants to check the host key.
dropbearkey -y -f "$host_key" 2>/dev/null | grep '^ssh-ed25519 ' >"$tmp/host_key.pub" ||
	die "dropbearkey -y -f $host_key gave no ssh-ed25519 public key"
grep -q '^ssh-ed25519 ' "$test_key.pub" || die "$test_key.pub: not an ssh-ed25519 public key"

# --- rootfs.img --------------------------------------------------------------------

rootstage=$tmp/rootfs
mkdir -p "$rootstage"
(
	cd "$rootstage" &&
		mkdir -p bin sbin usr/bin usr/sbin lib lib64 proc sys dev run tmp \
			etc/init.d etc/dropbear root/.ssh home/op/.ssh var/lib/earlyguard \
			var/log &&
		: >var/log/lastlog &&
		chmod 0555 proc sys &&
		chmod 1777 tmp &&
		chmod 0700 root root/.ssh home/op/.ssh var/lib/earlyguard &&
		ln -s ../run var/run
) || die "unable to lay out $rootstage"

# busybox, with every applet where a real system has it (/sbin/init,
# /sbin/reboot, /usr/bin/id, ...).  /sbin/init is busybox init: it reads
# /etc/inittab.
mapfile -t applet_paths < <("$busybox" --list-full 2>/dev/null)
((${#applet_paths[@]} > 100)) ||
	die "$busybox --list-full gave ${#applet_paths[@]} applets; it must list full paths"
cp "$busybox" "$rootstage/bin/busybox"
for a in "${applet_paths[@]}"; do
	case $a in
	bin/busybox | */*/*/* | /* | *..*) continue ;;
	*/*) ;;
	*) continue ;; # linuxrc: a top-level name, not needed
	esac
	case $a in
	bin/*) ln -s busybox "$rootstage/$a" ;;
	*/*/*) ln -s ../../bin/busybox "$rootstage/$a" ;;
	*) ln -s ../bin/busybox "$rootstage/$a" ;;
	esac
done
[[ -L $rootstage/sbin/init && -L $rootstage/sbin/reboot ]] ||
	die "$busybox has no init or reboot applet"
cp "$earlyguard_bin" "$rootstage/sbin/earlyguard"
chmod 0755 "$rootstage/bin/busybox" "$rootstage/sbin/earlyguard"

for f in "${rootfs_files[@]}"; do
	read -r src dst mode <<<"$f"
	cp "$images/$src" "$rootstage/$dst"
	chmod "$mode" "$rootstage/$dst"
done

# /etc/inittab: boot/inittab.example, with the test's lines where the
# example leaves room for them.  The daemon line goes through a wrapper
# (for eg_fault=no-daemon and kill-guard), dropbear starts after the
# daemon, and a test hook runs between the first and the last shutdown
# action.  Any other change to those lines in the example must be made
# here as well: the build fails rather than test an inittab that is not
# the example's.
awk -v src="$inittab_example" '
	BEGIN {
		print "# /etc/inittab of the QEMU test rootfs, made by images/build.sh"
		print "# from " substr(src, match(src, /boot\/inittab.example$/)) " (test lines marked TEST)."
		print ""
	}
	$0 == "::sysinit:/etc/init.d/rcS" { rcs++ }
	$0 == "::once:/sbin/earlyguard daemon" {
		daemon++
		print "# TEST: the daemon through a wrapper (eg_fault=no-daemon, kill-guard), then dropbear."
		print "::once:/etc/init.d/eg-daemon"
		print "::once:/etc/init.d/rc.late"
		next
	}
	/^::shutdown:/ && !nshut++ && $0 != "::shutdown:/sbin/earlyguard shutdown begin" { badfirst = 1 }
	$0 == "::shutdown:/sbin/earlyguard shutdown done" {
		done++
		print "# TEST: a shutdown step that can hang (eg_fault=shutdown-hang)."
		print "::shutdown:/etc/init.d/test-shutdown"
	}
	/^::shutdown:/ { last = $0 }
	{ print }
	END {
		if (rcs != 1 || daemon != 1 || done != 1 || badfirst ||
		    last != "::shutdown:/sbin/earlyguard shutdown done") {
			print "inittab.example: expected one ::sysinit:/etc/init.d/rcS, one ::once:/sbin/earlyguard daemon, and shutdown lines from \"earlyguard shutdown begin\" to \"earlyguard shutdown done\"" > "/dev/stderr"
			exit 1
		}
	}' "$inittab_example" >"$rootstage/etc/inittab" ||
	die "unable to make /etc/inittab from $inittab_example"
chmod 0644 "$rootstage/etc/inittab"

# Users: root and op (uid 1000), neither with a password ("*" in shadow:
# no password matches, the account is not locked), both with the test key.
cat >"$rootstage/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
op:x:1000:1000:op:/home/op:/bin/sh
PASSWD
cat >"$rootstage/etc/shadow" <<'SHADOW'
root:*:19000:0:99999:7:::
op:*:19000:0:99999:7:::
SHADOW
cat >"$rootstage/etc/group" <<'GROUP'
root:x:0:
tty:x:5:
op:x:1000:
GROUP
printf '/bin/sh\n' >"$rootstage/etc/shells"
# glibc (dropbear) reads the files; nothing else is there to ask.
printf 'passwd: files\ngroup: files\nshadow: files\n' >"$rootstage/etc/nsswitch.conf"
chmod 0600 "$rootstage/etc/shadow"
# systemd's switch-root (a dracut systemd initrd, M54) refuses a new root
# without os-release: "does not seem to be an OS tree".
printf 'ID=earlyguard-test\nNAME="earlyguard test rootfs"\n' >"$rootstage/etc/os-release"
for d in root home/op; do
	cp "$test_key.pub" "$rootstage/$d/.ssh/authorized_keys"
	chmod 0600 "$rootstage/$d/.ssh/authorized_keys"
done

# dropbear with the shared libraries ldd lists, each at the path the
# dynamic loader looks for it (the loader itself at its absolute path).
cp "$dropbear" "$rootstage/usr/sbin/dropbear"
chmod 0755 "$rootstage/usr/sbin/dropbear"
cp "$host_key" "$rootstage/etc/dropbear/dropbear_ed25519_host_key"
chmod 0600 "$rootstage/etc/dropbear/dropbear_ed25519_host_key"
ldd "$dropbear" >"$tmp/ldd.out" 2>&1 || die "ldd $dropbear failed: $(head -n 3 "$tmp/ldd.out")"
! grep -q 'not found' "$tmp/ldd.out" || die "ldd $dropbear: $(grep 'not found' "$tmp/ldd.out" | head -n 3)"
mapfile -t libs < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' "$tmp/ldd.out")
# ldd lists the loader too; make sure it is the one the ELF asks for.
if command -v readelf >/dev/null; then
	interp=$(readelf -lW "$dropbear" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
	[[ -n $interp ]] || die "$dropbear: no program interpreter (not a dynamic ELF?)"
	printf '%s\n' "${libs[@]}" | grep -qFx -- "$interp" || libs+=("$interp")
fi
for lib in "${libs[@]}"; do
	mkdir -p "$rootstage${lib%/*}"
	cp -L "$lib" "$rootstage$lib"
done

# Kernel modules for the rootfs: the watchdog drivers, virtio_net.
stage_modules "$rootstage" "${rootfs_modules[@]}"

truncate -s "$rootfs_size" "$tmp/rootfs.img"
mkfs.ext4 -q -F -L "$rootfs_label" -E root_owner=0:0 -d "$rootstage" "$tmp/rootfs.img" ||
	die "mkfs.ext4 -d $rootstage failed"
# mkfs.ext4 -d copies the owner of each staged file, which is the user
# running this script; the rootfs must be root's.
# op's home is op's (dropbear refuses keys in a directory others own).
(cd "$rootstage" && find . -mindepth 1 -printf '%P\n') | sort |
	while IFS= read -r p; do
		id=0
		case $p in home/op | home/op/*) id=1000 ;; esac
		printf 'sif "/%s" uid %d\nsif "/%s" gid %d\n' "$p" "$id" "$p" "$id"
	done >"$tmp/chown.debugfs"
debugfs -w -f "$tmp/chown.debugfs" "$tmp/rootfs.img" >"$tmp/debugfs.log" 2>&1 ||
	die "debugfs failed to set owners: $(head -n 5 "$tmp/debugfs.log")"
# debugfs -f exits 0 even when a command fails: anything besides its banner
# and the echoed commands is an error.
if grep -v -e '^debugfs [0-9]' -e '^debugfs: sif ' "$tmp/debugfs.log" >"$tmp/debugfs.err"; then
	die "debugfs failed to set owners: $(head -n 5 "$tmp/debugfs.err")"
fi

# --- vmlinuz and publish -----------------------------------------------------------

cp "$vmlinuz" "$tmp/vmlinuz"
mv -f "$tmp/host_key.pub" "$outdir/ssh_host_ed25519_key.pub"
for f in vmlinuz initramfs.img rootfs.img test-overlay.cpio; do
	mv -f "$tmp/$f" "$outdir/$f"
done
for f in vmlinuz initramfs.img rootfs.img test-overlay.cpio test_ssh_key.pub; do
	printf '%s/%-18s %10d bytes\n' "$outdir" "$f" "$(stat -c %s "$outdir/$f")"
done
printf '%s: kernel %s, %d modules in the initramfs, %d s\n' "$prog" "$kver" "$initramfs_modules" "$((SECONDS - start))"
