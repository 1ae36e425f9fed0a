/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The two seams of doc/design.md: --root DIR (env TUNEKIT_ROOT) prefixes every
 * file tunekit reads or manages; TUNEKIT_PROC replaces /proc.
 */
#ifndef TUNEKIT_PATHS_H
#define TUNEKIT_PATHS_H

#include <sys/types.h>

#define TK_SYSCTL_CONF      "/etc/sysctl.d/90-tunekit.conf"
/* secret keys (sysctl_key_secret) are persisted here, mode 0600, never in TK_SYSCTL_CONF */
#define TK_SYSCTL_PRIVATE_CONF "/etc/sysctl.d/90-tunekit-private.conf"
#define TK_RESOLVED_DROPIN  "/etc/systemd/resolved.conf.d/60-tunekit.conf"
#define TK_RESOLV_CONF      "/etc/resolv.conf"
/* nettune-dns apply where NetworkManager owns resolv.conf: its global DNS */
#define TK_NM_DROPIN        "/etc/NetworkManager/conf.d/90-tunekit-dns.conf"
#define TK_CONFIG_FILE      "/etc/tunekit/tunekit.conf"
#define TK_STATE_DIR        "/var/lib/tunekit"
#define TK_SNAPSHOT_DIR     "/var/lib/tunekit/snapshots"
/* the profile `nettune optimize` applied last (one word); snapshots capture it */
#define TK_PROFILE_FILE     "/var/lib/tunekit/profile"
/* root-owned 0700: a lock in a world-writable directory could be taken by anyone */
#define TK_RUN_DIR          "/run/tunekit"
#define TK_LOCK_FILE        "/run/tunekit/lock"

/* Set the root (from --root); NULL or "" means "/". Overrides TUNEKIT_ROOT. */
void tk_set_root(const char *dir);
/* The root prefix without trailing slash: "" for the real system. */
const char *tk_root(void);
/* Newly allocated root + abs (abs starts with '/'). */
char *tk_path(const char *abs);

/* The proc mount: $TUNEKIT_PROC or "/proc", without trailing slash. */
const char *tk_proc(void);
/* Newly allocated proc + "/" + rel, e.g. tk_proc_path("net/softnet_stat"). */
char *tk_proc_path(const char *rel);

/*
 * 0 if path is a directory (not a symlink) owned by root or the effective
 * user and not writable by group or others; -ENOENT, -ENOTDIR (not a
 * directory, or a symlink), -EPERM (wrong owner or mode), or -errno.
 * *why (if not NULL) says which rule failed.
 */
int tk_dir_trusted(const char *path, const char **why);
/* 1 if st describes something owned by root or the effective user and not
 * writable by group or others. */
struct stat;
int tk_stat_trusted(const struct stat *st);
/*
 * Create the directory path with mode (its parents 0755) unless it exists,
 * then tk_dir_trusted(). A directory we create gets exactly mode.
 */
int tk_dir_ensure(const char *path, mode_t mode, const char **why);

#endif
