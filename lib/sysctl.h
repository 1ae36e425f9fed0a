/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One sysctl key under the sysctl root ($TUNEKIT_PROC/sys or /proc/sys).
 * Queue settings under sysfs ("sysfs:net/DEV/...", sysfsval.h) and the
 * rings and coalescing of ethtool ("ethtool:DEV/...", nicval.h) are keys
 * too: every function here hands them to sysfsval.c or nicval.c (an
 * ethtool key has no path: sysctl_key_path gives NULL).
 * Keys come in both sysctl(8) forms: "net.ipv4.conf.eth0/100.rp_filter"
 * (dots separate, '/' stands for a literal dot) and
 * "net/ipv4/conf/eth0.100/rp_filter" (the first separator decides).
 */
#ifndef TUNEKIT_SYSCTL_H
#define TUNEKIT_SYSCTL_H

#include <stddef.h>

#define SYSCTL_KEY_MAX 256

/*
 * Validate key and write its canonical dot form (may be NULL) and its path
 * relative to the sysctl root (may be NULL). Rejects empty keys, "." or ".."
 * or empty components, a leading separator, whitespace and control
 * characters, '*' globs, and keys longer than SYSCTL_KEY_MAX.
 * Returns 0 or -EINVAL; *why (if not NULL) says what is wrong.
 */
int sysctl_key_parse(const char *key, char *dot, size_t dotlen,
		     char *rel, size_t rellen, const char **why);

/* Absolute path of the key's file (allocated), or NULL on a bad key. */
char *sysctl_key_path(const char *key);

/* Read the key's value, trailing newline removed, tabs turned into spaces.
 * 0 or -errno (-EINVAL bad key). */
int sysctl_read(const char *key, char **value);

/* Write value to the key. 0 or -errno. */
int sysctl_write(const char *key, const char *value);

/* 1 if the key exists under the root, 0 if not. */
int sysctl_exists(const char *key);

/* 1 if the key's file is writable by us (access W_OK and mode has a w bit). */
int sysctl_writable(const char *key);

/* The mode bits of the key's file (S_IFREG etc.). 0 or -errno. */
int sysctl_mode(const char *key, unsigned *mode);

/*
 * 1 if the key exists as a regular file with no write bit at all: nobody can
 * change it here (rmem_max in a network namespace, a container). The one
 * "is this key read-only" decision: mode bits, not access(2), so an
 * unprivileged caller is told "needs root" rather than "read-only".
 */
int sysctl_key_read_only(const char *key);

/* Collapse runs of blanks to one space and trim: "4096\t87380" -> "4096 87380". */
void sysctl_value_normalize(const char *in, char *out, size_t outlen);

/* 1 if the two values are equal after normalization. */
int sysctl_value_equal(const char *a, const char *b);

/*
 * 1 if a and b are the same value of key: sysctl_value_equal, or for a
 * sysfs key (sysfsval.h) the same CPU mask or number in any spelling.
 */
int sysctl_key_value_equal(const char *key, const char *a, const char *b);

/*
 * The canonical spelling of value for key into *out (allocated): the value
 * itself for a sysctl, the normalised mask or number for a sysfs key.
 * 0 or -EINVAL (*why says what is wrong, nothing allocated).
 */
int sysctl_key_value_normalize(const char *key, const char *value, char **out, const char **why);

/* 1 if value is one or more unsigned/signed integers separated by blanks. */
int sysctl_value_is_numeric(const char *value);

/*
 * Call fn for every key (dot form) under prefix ("net", "net.ipv4"), in
 * sorted order. Stops and returns fn's value when it is non-zero.
 */
int sysctl_walk(const char *prefix, int (*fn)(const char *key, void *ctx), void *ctx);

/*
 * The key policy of every change, apply and restore alike: prefixes NULL
 * means sysctl_default_prefixes ("net." only); otherwise the list (NULL-
 * ended) decides, "net" and "net." both meaning the net subtree and ""
 * every key. Tools widen it only where an operator asks (--allow-prefix).
 * 1 if key (dot form) is allowed.
 */
extern const char *const sysctl_default_prefixes[];
int sysctl_key_allowed(const char *key, const char *const *prefixes);

/*
 * 1 if the key holds a secret: a known secret key (tcp_fastopen_key) or
 * one whose file under the sysctl root is not world-readable. Secrets are
 * stored only in files readable by root alone.
 */
int sysctl_key_secret(const char *key);

#endif
