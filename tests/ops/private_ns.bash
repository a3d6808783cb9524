# Sourced first by the operations tests that mount through mount(8) or install for real: re-runs
# the calling script (from the repository root) in a private mount namespace (unshare -m,
# propagation private), where what it mounts, and the directories it covers with a tmpfs
# (/usr/local/sbin, /usr/local), are seen by no one else and vanish with it. Exits 77, loudly,
# when that cannot be done (not root, no unshare). Not a test itself: run.sh runs only *.sh.
if [ -z "${VIASFS_OPS_PRIVATE_NS:-}" ]; then
    if ! command -v unshare >/dev/null 2>&1 || ! unshare -m --propagation private true 2>/dev/null; then
        echo "##########################################################################" >&2
        echo "# SKIPPING $0: cannot make a private mount namespace (unshare -m): NOT RUN" >&2
        echo "##########################################################################" >&2
        echo "# SKIP: no private mount namespace (unshare -m needs root), $0 was not run"
        exit 77
    fi
    VIASFS_OPS_PRIVATE_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

# cover_dir DIR: an empty tmpfs over DIR, in this namespace only. Returns non-zero if DIR is
# missing or the mount fails.
cover_dir() { [ -d "$1" ] && mount -t tmpfs -o mode=0755 viasfs-test "$1"; }

# hide_root_config: mount(8) clears HOME, so viasfs run by mount.fuse3 as root reads root's
# default config file; a real one on this machine must not take part.
hide_root_config() {
    local home
    home=$(getent passwd 0 | cut -d: -f6)
    if [ -n "$home" ] && [ -d "$home/.config/viasfs" ]; then cover_dir "$home/.config/viasfs"; fi
}
