#!/usr/bin/env bash
# Run a Gradescope autograder zip the way Gradescope does, in a Debian root file system:
#
#   scripts/gradescope_container.sh BUNDLE.zip OUT_DIR SUBMISSION.ipynb [SUBMISSION.ipynb ...]
#
# 1. debootstrap a minimal Debian (cached: $GS_CACHE/<suite>-minbase, built once);
# 2. "build the image": copy it, unpack the zip into /autograder/source and run setup.sh
#    there as root (cached by the sha256 of setup.sh and the zip's requirements.lock, as
#    Gradescope keeps an image until the autograder is uploaded again; GS_FRESH=1 rebuilds);
# 3. for each submission: empty /autograder/{submission,results}, copy the notebook in, run
#    /autograder/run_autograder from /autograder, and copy results.json to
#    OUT_DIR/<notebook stem>.json (and its stdout to <stem>.log).
#
# Every step inside runs like a default Docker container: own mount and PID namespaces,
# a minimal /dev, read-only /sys, root with only Docker's default capability set (setpriv
# drops the rest from the bounding set, so no CAP_SYS_ADMIN), the host's network (setup.sh
# needs Debian's mirror and PyPI), a shell as PID 1 that starts run_autograder as its child
# (as Gradescope's harness does). Not reproduced: Docker's seccomp profile and cgroups.
#
# Behind a TLS-intercepting proxy, pip inside needs the proxy's CA: GS_PIP_CERT names a
# CA bundle to hand it (default: $PIP_CERT, if set).
#
# Exit status: 0 done; 77 this machine cannot do it (not root, no debootstrap, no mirror,
# no namespaces), with the reason on stderr; anything else a failure.
set -euo pipefail

SUITE="${GS_SUITE:-bookworm}"
MIRROR="${GS_MIRROR:-http://deb.debian.org/debian}"
CACHE="${GS_CACHE:-/var/cache/autograder-gradescope}"
# Docker's default capabilities (moby's oci/caps/defaults.go).
DOCKER_CAPS="chown,dac_override,fsetid,fowner,mknod,net_raw,setgid,setuid,setfcap,setpcap"
DOCKER_CAPS="$DOCKER_CAPS,net_bind_service,sys_chroot,kill,audit_write"

PIP_CERT_FILE="${GS_PIP_CERT-${PIP_CERT:-}}"

cannot() { echo "gradescope_container: cannot run here: $*" >&2; exit 77; }
say() { echo "gradescope_container: $*" >&2; }

[ $# -ge 3 ] || { sed -n '2,4p' "$0" >&2; exit 2; }
BUNDLE="$(realpath "$1")"; OUT="$2"; shift 2
[ -f "$BUNDLE" ] || { echo "no such bundle: $BUNDLE" >&2; exit 2; }
[ "$(id -u)" = 0 ] || cannot "needs root (debootstrap, chroot, mounts)"
for tool in debootstrap unshare setpriv chroot unzip sha256sum; do
    command -v "$tool" >/dev/null || cannot "$tool is not installed"
done
unshare --mount --pid --fork true 2>/dev/null || cannot "unshare of mount/PID namespaces refused"

# Run "$@" in root file system $ROOTFS as a default Docker container would.
in_container() {
    local rootfs="$1"; shift
    cp -L /etc/resolv.conf "$rootfs/etc/resolv.conf"
    local pip_env=()
    if [ -n "$PIP_CERT_FILE" ] && [ -f "$PIP_CERT_FILE" ]; then
        cp -L "$PIP_CERT_FILE" "$rootfs/etc/host-proxy-ca.crt"
        pip_env=(PIP_CERT=/etc/host-proxy-ca.crt)
    fi
    unshare --mount --pid --fork --propagation private -- /bin/bash -euc '
        r="$1"; caps="$2"; shift 2
        mount -t proc proc "$r/proc"
        mount -t tmpfs -o mode=755,nosuid tmpfs "$r/dev"
        for node in null zero full random urandom tty; do
            touch "$r/dev/$node"; mount --bind "/dev/$node" "$r/dev/$node"
        done
        mkdir -p "$r/dev/shm" "$r/dev/pts"
        mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$r/dev/shm"
        ln -s /proc/self/fd "$r/dev/fd"
        mount -t sysfs -o ro sysfs "$r/sys"
        exec setpriv --bounding-set "-all,+${caps//,/,+}" --inh-caps "-all,+${caps//,/,+}" \
            chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
    ' bash "$rootfs" "$DOCKER_CAPS" "${pip_env[@]}" "$@"
}

# 1. the base system, once
BASE="$CACHE/$SUITE-minbase"
mkdir -p "$CACHE"
if [ ! -x "$BASE/bin/bash" ]; then
    say "debootstrap $SUITE from $MIRROR into $BASE (minutes, once)"
    rm -rf "$BASE.tmp"
    if ! debootstrap --variant=minbase "$SUITE" "$BASE.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
        rm -rf "$BASE.tmp"
        cannot "debootstrap of $SUITE from $MIRROR failed (see $CACHE/debootstrap.log)"
    fi
    mv "$BASE.tmp" "$BASE"
fi

# 2. the image: base + setup.sh, cached by what setup.sh installs
KEY="$(unzip -p "$BUNDLE" setup.sh requirements.lock | sha256sum | cut -c1-16)"
IMAGE="$CACHE/images/$SUITE-$KEY"
unpack_source() {  # the zip into <image>/autograder/source, keeping its permission bits
    rm -rf "$1/autograder/source"
    mkdir -p "$1/autograder/source"
    unzip -q "$BUNDLE" -d "$1/autograder/source"
}
if [ "${GS_FRESH:-0}" = 1 ] || [ ! -x "$IMAGE/autograder/venv/bin/python" ]; then
    say "building the image $IMAGE: setup.sh (apt-get, pip; minutes)"
    rm -rf "$IMAGE.tmp" "$IMAGE"
    mkdir -p "$CACHE/images"
    cp -a "$BASE" "$IMAGE.tmp"
    unpack_source "$IMAGE.tmp"
    began=$(date +%s)
    if ! in_container "$IMAGE.tmp" /bin/bash -c \
            'cd /autograder/source && bash ./setup.sh' >"$CACHE/setup-$KEY.log" 2>&1; then
        tail -n 30 "$CACHE/setup-$KEY.log" >&2
        rm -rf "$IMAGE.tmp"
        echo "setup.sh failed (log: $CACHE/setup-$KEY.log)" >&2
        exit 1
    fi
    say "setup.sh took $(( $(date +%s) - began )) s; venv $(du -sh "$IMAGE.tmp/autograder/venv" | cut -f1)"
    mv "$IMAGE.tmp" "$IMAGE"
else
    say "reusing the image $IMAGE (setup.sh and requirements.lock unchanged)"
fi
unpack_source "$IMAGE"  # the code may have changed even where the dependencies did not
cp "$IMAGE/autograder/source/run_autograder" "$IMAGE/autograder/run_autograder"

# 3. one run per submission
mkdir -p "$OUT"
for notebook in "$@"; do
    stem="$(basename "$notebook" .ipynb)"
    rm -rf "$IMAGE/autograder/submission" "$IMAGE/autograder/results"
    mkdir -p "$IMAGE/autograder/submission" "$IMAGE/autograder/results"
    cp "$notebook" "$IMAGE/autograder/submission/"
    began=$(date +%s)
    status=0
    # Gradescope's harness, not run_autograder, is the container's PID 1: the shell stays
    # (the "; exit" keeps bash from exec'ing) so run_autograder runs as its child
    in_container "$IMAGE" /bin/bash -c 'cd /autograder && ./run_autograder; exit $?' \
        >"$OUT/$stem.log" 2>&1 || status=$?
    say "$stem: run_autograder exit $status in $(( $(date +%s) - began )) s"
    if [ -f "$IMAGE/autograder/results/results.json" ]; then
        cp "$IMAGE/autograder/results/results.json" "$OUT/$stem.json"
    fi
done
