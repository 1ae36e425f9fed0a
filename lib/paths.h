/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The two seams of DESIGN.md: --root DIR (env TUNEKIT_ROOT) prefixes every
 * file tunekit reads or manages; TUNEKIT_PROC replaces /proc.
 */
#ifndef TUNEKIT_PATHS_H
#define TUNEKIT_PATHS_H

#define TK_SYSCTL_CONF      "/etc/sysctl.d/90-tunekit.conf"
#define TK_RESOLVED_DROPIN  "/etc/systemd/resolved.conf.d/60-tunekit.conf"
#define TK_RESOLV_CONF      "/etc/resolv.conf"
#define TK_CONFIG_FILE      "/etc/tunekit/tunekit.conf"
#define TK_STATE_DIR        "/var/lib/tunekit"
#define TK_SNAPSHOT_DIR     "/var/lib/tunekit/snapshots"
#define TK_LOCK_FILE        "/run/lock/tunekit.lock"

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

#endif
