/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the sysctl.d files will set at boot (sysctl.d(5)), so a check can
 * tell before a reboot whether tunekit's persisted values will be in force.
 *
 * Two boot paths are modelled, side by side, because they differ:
 *
 *  - systemd-sysctl (systemd >= 245): reads the *.conf files of
 *    /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d
 *    (and /lib/sysctl.d unless /lib is a symlink to usr/lib); a file masks
 *    same-named files in later directories; survivors are read in lexical
 *    order of their names; the last assignment of a key wins; an explicit
 *    key always beats a glob (`net.ipv4.conf.*.rp_filter`), whatever the
 *    order; `-key` with no '=' excludes key from globs, and when it comes
 *    after an assignment of the same key it drops that assignment.
 *    /etc/sysctl.conf is not read (distributions link it in as
 *    /etc/sysctl.d/99-sysctl.conf).
 *  - procps-ng `sysctl --system` (>= 4.0, globs since 3.3.17): the same
 *    files in the same order, then /etc/sysctl.conf last; an explicit key
 *    also beats globs; a `-key` exclusion only keeps globs off the key.
 *
 * Keys are compared in the normalized slash form ("net/ipv4/conf/eth0.100/
 * rp_filter"): dot and slash forms are the same key. Glob patterns match
 * per component ('*' never crosses '/') in O(pattern x key) time.
 * All paths are read under tk_root(), symlinks resolved inside it.
 */
#ifndef TUNEKIT_SYSCTLD_H
#define TUNEKIT_SYSCTLD_H

#include <stddef.h>
#include <stdio.h>

#include "kvconf.h"

/* A sysctl.d file larger than this is an error (-EFBIG). */
#define SYSCTLD_FILE_MAX (16u << 20)

enum sysctld_model {
	SYSCTLD_SYSTEMD = 0, /* systemd-sysctl.service */
	SYSCTLD_PROCPS = 1,  /* sysctl --system (procps-ng) */
	SYSCTLD_NMODELS = 2,
};

/* The configuration directories, highest precedence first, NULL-terminated. */
extern const char *const sysctld_dirs[];

/* One assignment line, as sysctld_parse hands it to its callback. */
struct sysctld_line {
	const char *key;   /* normalized slash form; NUL-terminated */
	const char *value; /* trimmed; NULL for a "-key" exclusion (no '=') */
	unsigned line;     /* 1-based */
	int glob;          /* key holds '*', '?' or '[' */
	int ignore_errors; /* "-key = value" */
};

typedef int (*sysctld_line_fn)(const struct sysctld_line *l, void *ctx);

/*
 * Parse a sysctl.d buffer as systemd-sysctl and procps do: blank lines and
 * lines starting with '#' or ';' are skipped, so are malformed ones (no '='
 * and no leading '-', an empty key, a NUL byte). Calls fn for each
 * assignment in order; a negative return of fn stops and is returned.
 * Otherwise returns the number of malformed lines skipped. Linear time.
 */
int sysctld_parse(const char *buf, size_t len, sysctld_line_fn fn, void *ctx);

/*
 * Normalize a key of len bytes into out (room for len + 1 bytes): the
 * first separator decides ('.' swaps dots and slashes), repeated slashes
 * and "." components go, and so do leading and trailing slashes. Returns
 * the new length (0 for an empty key).
 */
size_t sysctld_normalize(const char *key, size_t len, char *out);

/* 1 if the glob pattern matches key (both normalized slash form), else 0.
 * '*', '?', '[...]' (with '!' or '^' negation, ranges) and '\' escapes;
 * wildcards stay inside one component, as glob(3) on /proc/sys. */
int sysctld_glob_match(const char *pattern, const char *key);

enum sysctld_status {
	SYSCTLD_OK,       /* our value is the one in force at boot */
	SYSCTLD_SHADOWED, /* a later assignment in another file wins */
	SYSCTLD_EXCLUDED, /* a later "-key" line drops our assignment (systemd) */
	SYSCTLD_MASKED,   /* our file is not read at boot */
	SYSCTLD_MISSING,  /* our file has no line for the key */
	SYSCTLD_STALE,    /* our file persists another value than wanted */
};

/* Words used in reports: "ok", "shadowed", ... */
const char *sysctld_status_name(enum sysctld_status s);
/* "systemd" or "procps". */
const char *sysctld_model_name(enum sysctld_model m);

/* The outcome for one key under one boot path. */
struct sysctld_verdict {
	enum sysctld_status status;
	char *value;   /* value in force at boot; NULL: none set (kernel default) */
	char *file;    /* file of the line that sets it (or excludes it), or NULL */
	unsigned line; /* its line number */
	char *pattern; /* the glob of that line when value comes from a glob */
};

struct sysctld_result {
	char *key;  /* canonical dot form, as wanted */
	char *want; /* the wanted value */
	char *ours; /* the value our file persists (its last line), NULL if none */
	unsigned our_line;
	struct sysctld_verdict model[SYSCTLD_NMODELS];
};

struct sysctld_report {
	char *our_path;        /* our file, as on the target system */
	char *masked_by;       /* file that masks ours (may be our_path itself), or NULL */
	const char *masked_how; /* "symlink to /dev/null", "empty file", ... */
	int our_exists;        /* our file is present (masked or not) */
	size_t files_read;     /* sysctl.d files read (not counting /etc/sysctl.conf) */
	size_t malformed;      /* lines skipped as malformed in all files */
	struct sysctld_result *v;
	size_t n;
};

/*
 * For every wanted key (canonical dot form, as kvconf gives them) say what
 * the two boot paths will set. our_path is the managed file as on the
 * target (TK_SYSCTL_CONF); it must lie in one of sysctld_dirs and end in
 * ".conf". Reads under tk_root(). rep is overwritten (free an earlier
 * report first) and needs sysctld_report_free after success. Returns 0,
 * -EINVAL for a bad our_path or key, or -errno of a directory or file that
 * exists but cannot be read (rep is then empty).
 */
int sysctld_lint(const char *our_path, const struct kv_list *want, struct sysctld_report *rep);
void sysctld_report_free(struct sysctld_report *rep);

/* s on out with every control character (and DEL) as '?': text from files
 * goes to terminals. */
void sysctld_put_text(FILE *out, const char *s);

/* What sysctld_format_finding adds to the line. */
enum {
	SYSCTLD_FMT_SECRET = 1,  /* values shown as "(secret)" (sysctl_key_secret keys) */
	SYSCTLD_FMT_AT_BOOT = 2, /* masked, missing: "; at boot: VALUE from FILE:LINE" */
	SYSCTLD_FMT_WANTED = 4,  /* stale: ", wanted VALUE" */
};

/*
 * One finding as a line, the form tunekit-bootlint and nettune-backup check
 * share: "KEY: shadowed by FILE:LINE (value V) via glob G", "KEY: excluded
 * by FILE:LINE", "KEY: masked by FILE (HOW)", "KEY: missing from OUR",
 * "KEY: stale: OUR:LINE persists V", "KEY: ok"; then " [systemd-sysctl
 * only]" or " [sysctl --system only]" when models (bits 1 << SYSCTLD_*)
 * names one boot path alone, and a newline. v is one of r->model[].
 */
void sysctld_format_finding(FILE *out, const struct sysctld_report *rep, const struct sysctld_result *r,
			    const struct sysctld_verdict *v, unsigned models, unsigned flags);

/* Open path (absolute, as on the target) under tk_root() with symlinks,
 * ".." and absolute links resolved inside the root (openat2
 * RESOLVE_IN_ROOT, plain open where the kernel lacks it). fd or -errno. */
int sysctld_root_open(const char *path, int flags);

#endif
