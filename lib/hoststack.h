/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Other tuners on the host that set the same sysctls as tunekit:
 *
 *  - TuneD: the active profile(s) named in /etc/tuned/active_profile, each
 *    profile's tuned.conf looked up as TuneD does (first found of
 *    /etc/tuned/profiles/NAME, /etc/tuned/NAME, /usr/lib/tuned/profiles/NAME,
 *    /usr/lib/tuned/NAME), its `include=` chain followed first (a file
 *    already read is skipped, as TuneD does, which ends loops; depth
 *    bounded), and the keys of its sysctl sections (a [sysctl] section or
 *    one with type=sysctl) merged with later profiles winning.
 *  - bpftune: a running process named bpftune retunes a known set of
 *    sysctls at run time (its tuners' tunables, as of bpftune 0.4).
 *
 * Files are read under tk_root(), processes found under tk_proc().
 */
#ifndef TUNEKIT_HOSTSTACK_H
#define TUNEKIT_HOSTSTACK_H

#include <stddef.h>
#include <sys/types.h>

#define TUNED_ACTIVE_PROFILE "/etc/tuned/active_profile"
#define TUNED_INCLUDE_DEPTH 16
#define TUNED_MAX_PROFILES 64
#define TUNED_CONF_MAX (1u << 20)

/* Pids of processes whose comm is exactly name (at most 15 bytes), in
 * ascending order. 0 (with *n 0 when none) or -errno if the proc dir cannot
 * be read. */
int proc_find_comm(const char *name, pid_t **pids, size_t *n);

struct tuned_setting {
	char *key;     /* normalized slash form ("net/core/rmem_max") */
	char *value;
	char *profile; /* profile name whose file sets it */
	char *file;    /* that tuned.conf, as on the target */
	unsigned line;
};

/* One parsed tuned.conf. */
struct tuned_conf {
	char **includes; /* [main] include=, split on blanks and commas */
	size_t nincludes;
	struct tuned_setting *sysctl; /* keys of sysctl sections, file order */
	size_t nsysctl;
};

/*
 * Parse a tuned.conf buffer (INI as Python's configparser reads it:
 * '#'/';' comment lines, " #" inline comments, '=' delimiter). profile and
 * file label the settings. Lines that are not options are skipped. Never
 * fails; linear time.
 */
void tuned_conf_parse(const char *buf, size_t len, const char *profile, const char *file,
		      struct tuned_conf *out);
void tuned_conf_free(struct tuned_conf *c);

struct tuned_state {
	char *active;                 /* the active profile line, NULL if none */
	struct tuned_setting *v;      /* merged sysctl settings, one per key */
	size_t n;
	char **files;                 /* tuned.conf files read, in load order */
	size_t nfiles;
	char **unresolved;            /* profile names not found or not plain names */
	size_t nunresolved;
	int include_loop;             /* an include named a file already read */
	int too_deep;                 /* includes nested deeper than TUNED_INCLUDE_DEPTH */
	pid_t pid;                    /* a running tuned, 0 if none */
};

/* Load the active TuneD profile(s). 0 (no active profile is not an error)
 * or -errno when a file exists but cannot be read. */
int tuned_load(struct tuned_state *ts);
void tuned_state_free(struct tuned_state *ts);

/* The bpftune tuner that retunes the sysctl key (canonical dot form), or NULL. */
const char *bpftune_tuner_for(const char *key);

#endif
