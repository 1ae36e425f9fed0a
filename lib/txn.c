/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "fileutil.h"
#include "json.h"
#include "monoclock.h"
#include "msg.h"
#include "nicval.h"
#include "paths.h"
#include "snapshot.h"
#include "sysctl.h"
#include "sysfsval.h"
#include "tkconf.h"
#include "txn.h"
#include "xalloc.h"

/* Keys the kernel changes as a side effect of writing another one. */
static const char *const coupled_keys[] = {
	/* writing tcp_congestion_control adds the algorithm to the allowed list */
	"net.ipv4.tcp_allowed_congestion_control",
	NULL,
};

static const char persist_header[] =
	"# Managed by tunekit: written by nettune-backup apply and the nettune-*\n"
	"# tools. Edits are merged on the next apply; to undo a change use\n"
	"# `nettune-backup restore`. One key a line, sorted.\n";
static const char persist_private_header[] =
	"# Managed by tunekit: the secret keys of " TK_SYSCTL_CONF ",\n"
	"# readable by root only (mode 0600). One key a line, sorted.\n";

/* Lock waits end after this many seconds (env TUNEKIT_LOCK_TIMEOUT). */
#define LOCK_TIMEOUT_DEFAULT 30

static void set_err(struct txn_error *err, unsigned line, const char *key, const char *why, int errnum)
{
	err->line = line;
	snprintf(err->key, sizeof(err->key), "%s", key ? key : "");
	err->why = why;
	err->errnum = errnum;
}

static size_t count_fields(const char *v)
{
	size_t n = 0;
	int in = 0;
	for (; *v; v++) {
		int blank = *v == ' ' || *v == '\t';
		if (!blank && !in)
			n++;
		in = !blank;
	}
	return n;
}

/* A key persisted in the udev rule file: a sysfs queue setting or an ethtool one. */
static int rule_key(const char *key)
{
	return sysfs_key_is(key) || nic_key_is(key);
}

/*
 * An ethtool key: the schema, the value, and the device's word on it (the
 * driver has the setting, the value is within its maximum), all before
 * anything changes.
 */
static int validate_nic(const struct kv_entry *e, const char *const *prefixes, struct txn_error *err)
{
	const char *why = NULL;
	if (nic_key_parse(e->key, NULL, &why) < 0) {
		set_err(err, e->line, e->key, why, 0);
		return -EINVAL;
	}
	if (!sysctl_key_allowed(e->key, prefixes)) {
		set_err(err, e->line, e->key, "key outside the allowed prefixes (see --allow-prefix)", 0);
		return -EINVAL;
	}
	int rc = nic_value_check(e->key, e->value, err->text, sizeof(err->text));
	if (rc) {
		/* unsupported, absent, above the maximum: all bad input here */
		set_err(err, e->line, e->key, err->text, 0);
		return -EINVAL;
	}
	return 0;
}

static int validate_entry(const struct kv_entry *e, const char *const *prefixes,
			  struct txn_error *err)
{
	unsigned mode;
	char *live;
	const char *why = NULL;

	if (nic_key_is(e->key))
		return validate_nic(e, prefixes, err);

	if (sysctl_key_parse(e->key, NULL, 0, NULL, 0, &why) < 0) {
		set_err(err, e->line, e->key, why, 0);
		return -EINVAL;
	}
	if (!sysctl_key_allowed(e->key, prefixes)) {
		set_err(err, e->line, e->key, "key outside the allowed prefixes (see --allow-prefix)", 0);
		return -EINVAL;
	}
	int rc = sysctl_mode(e->key, &mode);
	if (rc == -ENOENT || rc == -ENOTDIR) {
		set_err(err, e->line, e->key, "unknown key: no such sysctl on this system", 0);
		return -EINVAL;
	}
	if (rc < 0) {
		set_err(err, e->line, e->key, NULL, -rc);
		return -EINVAL;
	}
	if (S_ISDIR(mode)) {
		set_err(err, e->line, e->key, "is a directory of keys, not a key", 0);
		return -EINVAL;
	}
	if (!(mode & 0222)) {
		set_err(err, e->line, e->key, "read-only key", 0);
		return -EINVAL;
	}
	rc = sysctl_read(e->key, &live);
	if (rc < 0) {
		set_err(err, e->line, e->key, "cannot be read back, refusing to write it", -rc);
		return -EINVAL;
	}
	if (sysfs_key_is(e->key)) {
		/* a CPU mask or a number, whatever the live spelling */
		char *norm = NULL;
		if (sysctl_key_value_normalize(e->key, e->value, &norm, &why) < 0) {
			set_err(err, e->line, e->key, why, 0);
			rc = -EINVAL;
		}
		free(norm);
	} else if (sysctl_value_is_numeric(live)) {
		size_t want = count_fields(live), got = count_fields(e->value);
		if (!sysctl_value_is_numeric(e->value)) {
			set_err(err, e->line, e->key, "non-numeric value for a numeric key", 0);
			rc = -EINVAL;
		} else if (want != got) {
			set_err(err, e->line, e->key,
				want == 3 ? "expects three numbers (min default max)" : "wrong number of values", 0);
			rc = -EINVAL;
		}
	}
	free(live);
	return rc;
}

int txn_validate(const struct kv_list *changes, const struct txn_opts *opts, struct txn_error *err)
{
	const char *const *prefixes = opts ? opts->allow_prefixes : NULL;
	for (size_t i = 0; i < changes->n; i++) {
		int rc = validate_entry(&changes->v[i], prefixes, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- privileges and lock ------------------------------------------------ */

static int check_privileges(const struct kv_list *changes, int need_files, struct txn_error *err)
{
	if (geteuid() == 0)
		return 0;
	for (size_t i = 0; i < changes->n; i++) {
		char *path = sysctl_key_path(changes->v[i].key);
		int ok = path && access(path, W_OK) == 0;
		free(path);
		if (!ok) {
			set_err(err, 0, changes->v[i].key, "needs root or CAP_NET_ADMIN", EACCES);
			return -EPERM;
		}
	}
	if (need_files) {
		char *state = tk_path(TK_STATE_DIR);
		char *probe = xstrdup(state);
		/* the nearest existing ancestor decides whether we may create it */
		while (access(probe, F_OK) != 0 && strrchr(probe, '/') && strrchr(probe, '/') != probe)
			*strrchr(probe, '/') = '\0';
		int ok = access(probe, W_OK) == 0;
		free(probe);
		free(state);
		if (!ok) {
			set_err(err, 0, NULL, "needs root (cannot write the snapshot store)", EACCES);
			return -EPERM;
		}
	}
	return 0;
}

static long lock_timeout(void)
{
	const char *env = getenv("TUNEKIT_LOCK_TIMEOUT");
	char *end;
	if (!env || !*env)
		return LOCK_TIMEOUT_DEFAULT;
	errno = 0;
	long t = strtol(env, &end, 10);
	if (errno || *end || t < 0 || t > 86400) {
		msg_warn("TUNEKIT_LOCK_TIMEOUT='%s': not a number of seconds (0-86400); using %d", env,
			 LOCK_TIMEOUT_DEFAULT);
		return LOCK_TIMEOUT_DEFAULT;
	}
	return t;
}

/*
 * The PID holding a flock on the file of fd: /proc/locks (the kernel's
 * word, whoever the holder is), else the PID a tunekit holder wrote into
 * the file. 0 if unknown.
 */
static long lock_holder(int fd)
{
	struct stat st;
	long pid = 0;
	if (fstat(fd, &st) < 0)
		return 0;
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	while (f && !pid && fgets(line, sizeof(line), f)) {
		char type[16], access[16];
		long p;
		unsigned maj, min;
		unsigned long ino;
		if (strstr(line, "->")) /* a waiter, not the holder */
			continue;
		if (sscanf(line, "%*d: %15s %*s %15s %ld %x:%x:%lu", type, access, &p, &maj, &min, &ino) == 6 &&
		    !strcmp(type, "FLOCK") && ino == (unsigned long)st.st_ino && maj == major(st.st_dev) &&
		    min == minor(st.st_dev))
			pid = p;
	}
	if (f)
		fclose(f);
	if (!pid) {
		char buf[32] = "";
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0)
			pid = strtol(buf, NULL, 10);
	}
	return pid > 0 ? pid : 0;
}

int txn_lock_acquire(int *fdp, struct txn_error *err)
{
	char *dir = tk_path(TK_RUN_DIR), *path = tk_path(TK_LOCK_FILE);
	const char *why = NULL;
	int rc = tk_dir_ensure(dir, 0700, &why);
	int fd = -1;
	*fdp = -1;
	if (rc) {
		/* someone else's directory could hold a lock we would wait for forever */
		snprintf(err->text, sizeof(err->text), "lock directory %s %s; remove it or make it root's, mode 0700",
			 dir, why ? why : strerror(-rc));
		set_err(err, 0, NULL, err->text, why ? 0 : -rc);
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err->text, sizeof(err->text), "cannot open the lock %s", path);
		set_err(err, 0, NULL, err->text, -rc);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || !tk_stat_trusted(&st)) {
		rc = -EPERM;
		snprintf(err->text, sizeof(err->text), "the lock %s is not a regular file of root's", path);
		set_err(err, 0, NULL, err->text, 0);
		goto out;
	}
	long timeout = lock_timeout();
	uint64_t start = mono_ns();
	int said = 0;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			rc = -errno;
			snprintf(err->text, sizeof(err->text), "cannot take the lock %s", path);
			set_err(err, 0, NULL, err->text, -rc);
			goto out;
		}
		double waited = (double)(mono_ns() - start) / 1e9;
		long holder = lock_holder(fd);
		if (waited >= (double)timeout) {
			rc = -ETIMEDOUT;
			if (holder)
				snprintf(err->text, sizeof(err->text),
					 "the lock %s is held by PID %ld; gave up after %ld s (TUNEKIT_LOCK_TIMEOUT)",
					 path, holder, timeout);
			else
				snprintf(err->text, sizeof(err->text),
					 "the lock %s is held by another process; gave up after %ld s (TUNEKIT_LOCK_TIMEOUT)",
					 path, timeout);
			set_err(err, 0, NULL, err->text, 0);
			goto out;
		}
		if (!said++)
			msg_verbose("waiting for the lock %s (held by PID %ld), at most %ld s", path, holder, timeout);
		struct timespec nap = { 0, 50 * 1000 * 1000 };
		nanosleep(&nap, NULL);
	}
	/* for lock_holder() of whoever waits next, where /proc/locks is not ours */
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0)
		msg_verbose("%s: cannot record our PID: %s", path, strerror(errno));
	*fdp = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	free(path);
	return rc;
}

void txn_lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int txn_lock(int *fdp, struct txn_error *err)
{
	return txn_lock_acquire(fdp, err);
}

static void txn_unlock(int fd)
{
	txn_lock_release(fd);
}

/* ---- the transaction ---------------------------------------------------- */

struct written {
	char *key;
	char *old;
	char *new;
};

static void rollback(struct written *w, size_t n, const struct snapshot *snap)
{
	for (size_t i = n; i-- > 0;)
		sysctl_write(w[i].key, w[i].old);
	for (const char *const *k = coupled_keys; *k; k++) {
		long j = kv_list_find(&snap->keys, *k);
		char *live;
		if (j < 0 || sysctl_read(*k, &live) < 0)
			continue;
		if (!sysctl_key_value_equal(*k, live, snap->keys.v[j].value))
			sysctl_write(*k, snap->keys.v[j].value);
		free(live);
	}
}

/* Read a persisted file into list (appending); a missing file is empty. */
static int persisted_read(const char *abs, struct kv_list *list, struct txn_error *err)
{
	char *path = tk_path(abs), *old = NULL;
	size_t len;
	int rc = read_file(path, 4u << 20, &old, &len);
	if (rc == 0) {
		struct kv_error kerr;
		if (kvconf_parse_buffer(old, len, list, &kerr) < 0) {
			snprintf(err->text, sizeof(err->text), "the persisted file %s is malformed; fix or remove it", abs);
			set_err(err, kerr.line, NULL, err->text, 0);
			rc = -EINVAL;
		}
	} else if (rc == -ENOENT) {
		rc = 0;
	} else {
		snprintf(err->text, sizeof(err->text), "cannot read %s", abs);
		set_err(err, 0, NULL, err->text, -rc);
	}
	free(old);
	free(path);
	return rc;
}

/*
 * Read the udev rule file of the queue settings into list (appending); a
 * missing file is empty. Anything but a regular file is refused: it is
 * never replaced.
 */
static int udev_read(struct kv_list *list, struct txn_error *err)
{
	char *path = tk_path(TK_UDEV_RULES), *old = NULL;
	size_t len;
	struct stat st;
	int rc = 0;
	if (lstat(path, &st) < 0) {
		rc = errno == ENOENT ? 0 : -errno;
		if (rc) {
			snprintf(err->text, sizeof(err->text), "cannot read %s", TK_UDEV_RULES);
			set_err(err, 0, NULL, err->text, -rc);
		}
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err->text, sizeof(err->text), "%s is not a regular file; refusing to replace it",
			 TK_UDEV_RULES);
		set_err(err, 0, NULL, err->text, 0);
		rc = -EINVAL;
		goto out;
	}
	rc = read_file(path, 4u << 20, &old, &len);
	if (rc == 0) {
		struct kv_error kerr;
		if (sysfs_udev_parse(old, len, list, &kerr) < 0) {
			snprintf(err->text, sizeof(err->text), "the persisted file %s is malformed (%s); fix or remove it",
				 TK_UDEV_RULES, kerr.why ? kerr.why : "bad line");
			set_err(err, kerr.line, NULL, err->text, 0);
			rc = -EINVAL;
		}
	} else {
		snprintf(err->text, sizeof(err->text), "cannot read %s", TK_UDEV_RULES);
		set_err(err, 0, NULL, err->text, -rc);
	}
out:
	free(old);
	free(path);
	return rc;
}

/*
 * The persisted files must parse before anything changes: both sysctl.d
 * files, and the udev rule file when changes hold queue settings.
 * 0 or -EINVAL/-errno, err filled.
 */
static int persisted_check(const struct kv_list *changes, struct txn_error *err)
{
	struct kv_list a = { 0 }, b = { 0 }, u = { 0 };
	int queues = 0;
	for (size_t i = 0; i < changes->n && !queues; i++)
		queues = rule_key(changes->v[i].key);
	int rc = persisted_read(TK_SYSCTL_CONF, &a, err);
	if (!rc && queues)
		rc = udev_read(&u, err);
	kv_list_free(&u);
	if (!rc)
		rc = persisted_read(TK_SYSCTL_PRIVATE_CONF, &b, err);
	/* root's private file is unreadable to others: privileges are checked later */
	if (rc == -EACCES || rc == -EPERM) {
		memset(err, 0, sizeof(*err));
		rc = 0;
	}
	kv_list_free(&a);
	kv_list_free(&b);
	return rc;
}

/*
 * Merge changes into the persisted files: secret keys (sysctl_key_secret)
 * into TK_SYSCTL_PRIVATE_CONF (0600), the rest into TK_SYSCTL_CONF (0644).
 * A secret an older tunekit left in the public file moves to the private one.
 */
/* 1 if the file at path holds exactly text (and is a regular file of mode). */
static int file_holds(const char *path, const char *text, mode_t mode)
{
	struct stat st;
	char *cur = NULL;
	size_t len;
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != mode)
		return 0;
	int same = read_file(path, 16u << 20, &cur, &len) == 0 && len == strlen(text) &&
		   memcmp(cur, text, len) == 0;
	free(cur);
	return same;
}

/* Persisted files written by persist(): bits of *wrote. */
enum { WROTE_PUBLIC = 1, WROTE_PRIVATE = 2, WROTE_UDEV = 4 };

/* The sysfs and ethtool keys of changes merged into the udev rule file (TK_UDEV_RULES, 0644). */
static int persist_udev(const struct kv_list *changes, int *wrote, struct txn_error *err)
{
	char *path = tk_path(TK_UDEV_RULES), *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	struct kv_list rules = { 0 };
	int rc = mkdir_p(dir, 0755);
	if (rc) {
		set_err(err, 0, NULL, "cannot create the udev rules directory", -rc);
		goto out;
	}
	if ((rc = udev_read(&rules, err)))
		goto out;
	for (size_t i = 0; i < changes->n; i++)
		kv_list_set(&rules, changes->v[i].key, changes->v[i].value);
	char *text = sysfs_udev_format(&rules);
	if (!file_holds(path, text, 0644)) {
		rc = atomic_write_file(path, text, strlen(text), 0644);
		*wrote |= rc ? 0 : WROTE_UDEV;
		if (rc)
			set_err(err, 0, NULL, "cannot write " TK_UDEV_RULES, -rc);
	}
	free(text);
out:
	kv_list_free(&rules);
	free(dir);
	free(path);
	return rc;
}

static int persist_sysctl(const struct kv_list *changes, int *wrote, struct txn_error *err);

/* Sysctls to sysctl.d, queue settings to the udev rule file (the udev file first). */
static int persist(const struct kv_list *changes, int *wrote, struct txn_error *err)
{
	struct kv_list sys = { 0 }, dev = { 0 };
	for (size_t i = 0; i < changes->n; i++)
		kv_list_set(rule_key(changes->v[i].key) ? &dev : &sys, changes->v[i].key, changes->v[i].value);
	int rc = dev.n ? persist_udev(&dev, wrote, err) : 0;
	/* a change of queue settings alone leaves sysctl.d as it is */
	if (!rc && (sys.n || !dev.n))
		rc = persist_sysctl(&sys, wrote, err);
	kv_list_free(&sys);
	kv_list_free(&dev);
	return rc;
}

static int persist_sysctl(const struct kv_list *changes, int *wrote, struct txn_error *err)
{
	char *path = tk_path(TK_SYSCTL_CONF), *priv_path = tk_path(TK_SYSCTL_PRIVATE_CONF);
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	struct kv_list old_pub = { 0 }, pub = { 0 }, priv = { 0 };
	struct stat st;
	int rc = mkdir_p(dir, 0755);
	if (rc) {
		set_err(err, 0, NULL, "cannot create the sysctl.d directory", -rc);
		goto out;
	}
	if ((rc = persisted_read(TK_SYSCTL_CONF, &old_pub, err)) ||
	    (rc = persisted_read(TK_SYSCTL_PRIVATE_CONF, &priv, err)))
		goto out;
	for (size_t i = 0; i < old_pub.n; i++)
		kv_list_set(sysctl_key_secret(old_pub.v[i].key) ? &priv : &pub, old_pub.v[i].key,
			    old_pub.v[i].value);
	for (size_t i = 0; i < changes->n; i++)
		kv_list_set(sysctl_key_secret(changes->v[i].key) ? &priv : &pub, changes->v[i].key,
			    changes->v[i].value);
	/* the private file first: a crash in between leaves a secret in no world-readable file */
	if (priv.n || lstat(priv_path, &st) == 0) {
		kv_list_sort(&priv);
		char *text = kvconf_format(&priv, persist_private_header);
		/* an identical file is left alone: an apply that changes nothing writes nothing */
		if (!file_holds(priv_path, text, 0600)) {
			rc = atomic_write_file(priv_path, text, strlen(text), 0600);
			*wrote |= rc ? 0 : WROTE_PRIVATE;
		}
		free(text);
		if (rc) {
			set_err(err, 0, NULL, "cannot write " TK_SYSCTL_PRIVATE_CONF, -rc);
			goto out;
		}
	}
	kv_list_sort(&pub);
	char *text = kvconf_format(&pub, persist_header);
	if (!file_holds(path, text, 0644)) {
		rc = atomic_write_file(path, text, strlen(text), 0644);
		*wrote |= rc ? 0 : WROTE_PUBLIC;
	}
	free(text);
	if (rc)
		set_err(err, 0, NULL, "cannot write " TK_SYSCTL_CONF, -rc);
out:
	kv_list_free(&old_pub);
	kv_list_free(&pub);
	kv_list_free(&priv);
	free(dir);
	free(path);
	free(priv_path);
	return rc;
}

/* What a report shows for a value: secrets never reach a terminal or a log. */
static const char *shown(const char *key, const char *value)
{
	return sysctl_key_secret(key) ? "(secret)" : value;
}

/* What a managed file was before, for a change record: absent, a file, a symlink. */
static const char *file_state_word(const struct snapshot *snap, const char *path)
{
	for (size_t i = 0; snap && i < snap->nfiles; i++)
		if (!strcmp(snap->files[i].path, path))
			return snap->files[i].type == SF_ABSENT ? NULL :
			       snap->files[i].type == SF_SYMLINK ? "symlink" : "file";
	return "file";
}

static void log_file(struct txn_changes *log, const char *path, const struct snapshot *snap, const char *now)
{
	char *key = xasprintf("file:%s", path);
	txn_changes_add(log, key, file_state_word(snap, path), now);
	free(key);
}

/*
 * The core: keys (already validated), optional files to restore, with the
 * snapshot snap already taken. Writes, reads back, runs the hook, persists
 * or restores files; rolls back everything on failure.
 */
static int run(const struct kv_list *changes, const struct snapshot_file *files, size_t nfiles,
	       const struct snapshot *snap, int do_persist, struct txn_opts *opts,
	       struct txn_error *err)
{
	struct written *w = xcalloc(changes->n + 1, sizeof(*w));
	char *restored = xcalloc(nfiles + 1, 1);
	size_t nw = 0;
	int files_restored = 0;
	int rc = 0;

	for (size_t i = 0; i < changes->n && !rc; i++) {
		const struct kv_entry *e = &changes->v[i];
		char *old = NULL, *back = NULL;
		long j = kv_list_find(&snap->keys, e->key);
		if (j >= 0)
			old = xstrdup(snap->keys.v[j].value);
		else if ((rc = sysctl_read(e->key, &old)) < 0) {
			set_err(err, e->line, e->key, "cannot read the current value", -rc);
			break;
		}
		if (sysctl_key_value_equal(e->key, old, e->value)) {
			free(old);
			continue;
		}
		rc = sysctl_write(e->key, e->value);
		if (rc < 0) {
			err->refused = rc == -EPERM || rc == -EINVAL;
			set_err(err, e->line, e->key, err->refused ? "the kernel refused the value" : "write failed",
				-rc);
			free(old);
			break;
		}
		w[nw].key = xstrdup(e->key);
		w[nw].old = old;
		w[nw].new = xstrdup(e->value);
		nw++;
		rc = sysctl_read(e->key, &back);
		if (rc < 0) {
			set_err(err, e->line, e->key, "read back failed", -rc);
		} else if (!sysctl_key_value_equal(e->key, back, e->value)) {
			set_err(err, e->line, e->key, "read back a different value than written (the kernel adjusted it)", 0);
			rc = -EIO;
		}
		free(back);
	}
	int hook_done = 0;
	if (!rc && opts->after_write) {
		rc = opts->after_write(opts->after_write_ctx, err);
		hook_done = rc == 0;
	}
	for (size_t i = 0; !rc && i < nfiles; i++) {
		if (snapshot_file_matches(&files[i]))
			continue;
		rc = snapshot_file_restore(&files[i]);
		if (rc)
			set_err(err, 0, files[i].path, "cannot write the file", -rc);
		else
			restored[i] = 1, files_restored = 1;
	}
	int wrote = 0;
	if (!rc && do_persist)
		rc = persist(changes, &wrote, err);

	if (rc) {
		if (hook_done && opts->undo_after_write)
			opts->undo_after_write(opts->after_write_ctx);
		rollback(w, nw, snap);
		/* a persisted rule file written before a later failure goes back too */
		for (size_t k = 0; (wrote & WROTE_UDEV) && k < snap->nfiles; k++)
			if (!strcmp(snap->files[k].path, TK_UDEV_RULES))
				snapshot_file_restore(&snap->files[k]);
		/* files written so far go back to what the snapshot saw */
		for (size_t i = 0; i < nfiles; i++)
			for (size_t k = 0; restored[i] && k < snap->nfiles; k++)
				if (!strcmp(snap->files[k].path, files[i].path))
					snapshot_file_restore(&snap->files[k]);
		err->rolled_back = nw > 0 || files_restored;
	} else {
		opts->changed = (unsigned)nw;
		for (size_t i = 0; opts->report && i < nw; i++)
			fprintf(opts->report, "%s: %s -> %s\n", w[i].key, shown(w[i].key, w[i].old),
				shown(w[i].key, w[i].new));
		for (size_t i = 0; opts->report && i < nfiles; i++)
			if (restored[i])
				fprintf(opts->report, "%s: %s\n", files[i].path,
					files[i].type == SF_ABSENT ? "removed" : "written");
		for (size_t i = 0; opts->log && i < nw; i++)
			txn_changes_add(opts->log, w[i].key, shown(w[i].key, w[i].old), shown(w[i].key, w[i].new));
		for (size_t i = 0; opts->log && i < nfiles; i++)
			if (restored[i])
				log_file(opts->log, files[i].path, snap, files[i].type == SF_ABSENT ? NULL : "file");
		if (opts->log && (wrote & WROTE_PUBLIC))
			log_file(opts->log, TK_SYSCTL_CONF, snap, "file");
		if (opts->log && (wrote & WROTE_PRIVATE))
			log_file(opts->log, TK_SYSCTL_PRIVATE_CONF, snap, "file");
		if (opts->log && (wrote & WROTE_UDEV))
			log_file(opts->log, TK_UDEV_RULES, snap, "file");
	}
	free(restored);
	for (size_t i = 0; i < nw; i++) {
		free(w[i].key);
		free(w[i].old);
		free(w[i].new);
	}
	free(w);
	return rc;
}

/*
 * 1 when applying changes would change nothing: every live value already
 * matches and (when persisting) the persisted file already holds each key
 * with its value. Then no snapshot is taken, so `restore` keeps undoing the
 * last real change.
 */
static int nothing_to_do_persisted(const struct kv_list *changes);

static int nothing_to_do(const struct kv_list *changes, int persist)
{
	for (size_t i = 0; i < changes->n; i++) {
		char *live = NULL;
		int same = sysctl_read(changes->v[i].key, &live) == 0 &&
			   sysctl_key_value_equal(changes->v[i].key, live, changes->v[i].value);
		free(live);
		if (!same)
			return 0;
	}
	return !persist || nothing_to_do_persisted(changes);
}

/* 1 when the persisted files already hold every key of changes with its value. */
static int nothing_to_do_persisted(const struct kv_list *changes)
{
	struct kv_list pub = { 0 }, priv = { 0 }, rules = { 0 };
	struct txn_error ignored = { 0 };
	int same = persisted_read(TK_SYSCTL_CONF, &pub, &ignored) == 0 &&
		   persisted_read(TK_SYSCTL_PRIVATE_CONF, &priv, &ignored) == 0 &&
		   udev_read(&rules, &ignored) == 0;
	for (size_t i = 0; same && i < pub.n; i++)
		same = !sysctl_key_secret(pub.v[i].key); /* a secret to move out */
	for (size_t i = 0; same && i < changes->n; i++) {
		const char *key = changes->v[i].key;
		const struct kv_list *cur = rule_key(key) ? &rules : sysctl_key_secret(key) ? &priv : &pub;
		long j = kv_list_find(cur, changes->v[i].key);
		same = j >= 0 && sysctl_key_value_equal(changes->v[i].key, cur->v[j].value, changes->v[i].value);
	}
	kv_list_free(&pub);
	kv_list_free(&priv);
	kv_list_free(&rules);
	return same;
}

static int take_snapshot(struct snapshot *snap, const char *note, const struct kv_list *extra,
			 struct txn_opts *opts, struct txn_error *err)
{
	int rc = snapshot_capture(snap, note, extra);
	if (rc) {
		set_err(err, 0, NULL, "cannot read the current state for the snapshot", -rc);
		return rc;
	}
	struct snapshot_problem p = { "", NULL };
	rc = snapshot_store(snap, &p);
	if (rc) {
		if (p.why) {
			snprintf(err->text, sizeof(err->text), "cannot save the snapshot, nothing changed: %s %s",
				 p.what, p.why);
			set_err(err, 0, NULL, err->text, 0);
		} else {
			set_err(err, 0, NULL, "cannot save the snapshot, nothing changed", -rc);
		}
		snapshot_free(snap);
		return rc;
	}
	snprintf(opts->snapshot_id, sizeof(opts->snapshot_id), "%s", snap->id);
	return 0;
}

/*
 * The pruning policy: SNAPSHOT_KEEP_DEFAULT, or keep / keep_days from
 * TK_CONFIG_FILE. A file that does not parse leaves the default (the
 * change itself is not refused for it; tunekit-config reports it).
 */
void txn_prune_policy(struct snapshot_prune_policy *pol)
{
	snapshot_prune_policy_default(pol);
	char *path = tk_path(TK_CONFIG_FILE), *buf = NULL;
	size_t len;
	struct kv_list conf = { 0 };
	struct kv_error kerr;
	if (read_file(path, 1 << 20, &buf, &len) == 0 && tkconf_parse(TKCONF_LOCAL, buf, len, &conf, &kerr) == 0) {
		long k = kv_list_find(&conf, "keep"), d = kv_list_find(&conf, "keep_days");
		if (k >= 0)
			pol->keep = strtol(conf.v[k].value, NULL, 10);
		if (d >= 0)
			pol->keep_days = strtol(conf.v[d].value, NULL, 10);
	}
	kv_list_free(&conf);
	free(buf);
	free(path);
}

/* After a snapshot is stored, under the lock: the store stays bounded. */
static void auto_prune(void)
{
	struct snapshot_prune_policy pol;
	char **gone;
	size_t ngone;
	txn_prune_policy(&pol);
	if (snapshot_prune(&pol, &gone, &ngone, NULL) < 0)
		msg_warn("cannot prune the snapshot store (%s%s)", tk_root(), TK_SNAPSHOT_DIR);
	for (size_t i = 0; i < ngone; i++)
		free(gone[i]);
	free(gone);
}

static void dry_run_report(const struct kv_list *changes, struct txn_opts *opts)
{
	opts->changed = 0;
	for (size_t i = 0; i < changes->n; i++) {
		char *live = NULL;
		const char *key = changes->v[i].key;
		if (sysctl_read(key, &live) < 0)
			continue;
		if (!sysctl_key_value_equal(changes->v[i].key, live, changes->v[i].value)) {
			opts->changed++;
			if (opts->report)
				fprintf(opts->report, "%s: %s -> %s\n", key, shown(key, live),
					shown(key, changes->v[i].value));
			if (opts->log)
				txn_changes_add(opts->log, key, shown(key, live), shown(key, changes->v[i].value));
		}
		free(live);
	}
}

/* Dry run of persist(): the persisted file would change (it lacks a key or holds another value). */
static void dry_run_persist(const struct kv_list *changes, struct txn_opts *opts)
{
	if (!opts->log || opts->no_persist || !changes->n || nothing_to_do_persisted(changes))
		return;
	struct kv_list sys = { 0 }, dev = { 0 };
	for (size_t i = 0; i < changes->n; i++)
		kv_list_set(rule_key(changes->v[i].key) ? &dev : &sys, changes->v[i].key, changes->v[i].value);
	struct stat st;
	if (sys.n && !nothing_to_do_persisted(&sys)) {
		char *path = tk_path(TK_SYSCTL_CONF);
		txn_changes_add(opts->log, "file:" TK_SYSCTL_CONF, lstat(path, &st) == 0 ? "file" : NULL, "file");
		free(path);
	}
	if (dev.n && !nothing_to_do_persisted(&dev)) {
		char *path = tk_path(TK_UDEV_RULES);
		txn_changes_add(opts->log, "file:" TK_UDEV_RULES, lstat(path, &st) == 0 ? "file" : NULL, "file");
		free(path);
	}
	kv_list_free(&sys);
	kv_list_free(&dev);
}

static int apply_filtered(const struct kv_list *changes, struct txn_opts *opts, struct txn_error *err);
static int apply_canonical(const struct kv_list *changes, struct txn_opts *opts, struct txn_error *err);

/* Under the lock: the snapshot (extra: keys to capture besides net.*), the run, the prune. */
static int snapshot_and_run(const struct kv_list *changes, const struct snapshot_file *files, size_t nfiles,
			    const struct kv_list *extra, int do_persist, struct txn_opts *opts, struct txn_error *err)
{
	struct snapshot snap;
	int rc = take_snapshot(&snap, opts->note ? opts->note : "before apply", extra, opts, err);
	if (rc)
		return rc;
	rc = run(changes, files, nfiles, &snap, do_persist, opts, err);
	snapshot_free(&snap);
	/* rolled back, but a snapshot was stored: not "nothing changed" (exit 2) */
	if (rc == -EINVAL)
		rc = -EIO;
	auto_prune();
	return rc;
}

int txn_apply(const struct kv_list *changes, struct txn_opts *opts, struct txn_error *err)
{
	opts->skipped = 0;
	int any = 0;
	for (size_t i = 0; i < changes->n && !any; i++)
		any = (opts->skip_read_only || changes->v[i].ignore_errors) && sysctl_key_read_only(changes->v[i].key);
	if (!any)
		return apply_filtered(changes, opts, err);
	/* the read-only keys left out, the rest applied as one transaction */
	struct kv_list kept = { 0 };
	for (size_t i = 0; i < changes->n; i++) {
		const struct kv_entry *e = &changes->v[i];
		struct kv_list *to = &kept;
		if ((opts->skip_read_only || e->ignore_errors) && sysctl_key_read_only(e->key)) {
			opts->skipped++;
			to = opts->skipped_keys;
		}
		if (to) {
			kv_list_set(to, e->key, e->value);
			to->v[kv_list_find(to, e->key)].line = e->line;
		}
	}
	int rc = 0;
	if (kept.n || opts->after_write) {
		rc = apply_filtered(&kept, opts, err);
	} else { /* everything was read-only: nothing to do, not a bare snapshot */
		memset(err, 0, sizeof(*err));
		opts->snapshot_id[0] = '\0';
		opts->changed = 0;
	}
	kv_list_free(&kept);
	return rc;
}

static int apply_filtered(const struct kv_list *changes, struct txn_opts *opts, struct txn_error *err)
{
	memset(err, 0, sizeof(*err));
	opts->snapshot_id[0] = '\0';
	opts->changed = 0;
	int rc = txn_validate(changes, opts, err);
	if (rc)
		return rc;
	if (!opts->no_persist && (rc = persisted_check(changes, err)))
		return rc;
	/* sysfs values in their canonical spelling: what is written, logged and persisted */
	struct kv_list canon = { 0 };
	for (size_t i = 0; i < changes->n; i++) {
		const struct kv_entry *e = &changes->v[i];
		char *v = NULL;
		if (sysctl_key_value_normalize(e->key, e->value, &v, NULL) < 0)
			v = xstrdup(e->value); /* validated above: cannot happen */
		kv_list_set(&canon, e->key, v);
		long j = kv_list_find(&canon, e->key);
		canon.v[j].line = e->line;
		canon.v[j].ignore_errors = e->ignore_errors;
		free(v);
	}
	rc = apply_canonical(&canon, opts, err);
	kv_list_free(&canon);
	return rc;
}

static int apply_canonical(const struct kv_list *changes, struct txn_opts *opts, struct txn_error *err)
{
	int rc;
	if (opts->dry_run) {
		dry_run_report(changes, opts);
		dry_run_persist(changes, opts);
		return 0;
	}
	if ((rc = check_privileges(changes, 1, err)))
		return rc;
	int lock = -1;
	if ((rc = txn_lock(&lock, err)))
		return rc;
	/* decided under the lock: another apply may have changed things meanwhile */
	if (changes->n && !opts->after_write && nothing_to_do(changes, !opts->no_persist)) {
		txn_unlock(lock);
		return 0;
	}
	rc = snapshot_and_run(changes, NULL, 0, changes, !opts->no_persist, opts, err);
	txn_unlock(lock);
	return rc;
}

int txn_apply_file(const char *abs_path, const void *data, size_t len, mode_t mode,
		   struct txn_opts *opts, struct txn_error *err)
{
	struct kv_list none = { 0 };
	struct snapshot_file f = { (char *)abs_path, data ? SF_FILE : SF_ABSENT, mode, (char *)data, len };
	memset(err, 0, sizeof(*err));
	opts->snapshot_id[0] = '\0';
	opts->changed = 0;
	if (opts->dry_run) {
		if (opts->log && !snapshot_file_matches(&f)) {
			struct snapshot_file live;
			const char *was = "file";
			if (snapshot_file_capture(abs_path, &live) == 0) {
				was = live.type == SF_ABSENT ? NULL : live.type == SF_SYMLINK ? "symlink" : "file";
				free(live.path);
				free(live.data);
			}
			char *key = xasprintf("file:%s", abs_path);
			txn_changes_add(opts->log, key, was, data ? "file" : NULL);
			free(key);
		}
		return 0;
	}
	int rc = check_privileges(&none, 1, err);
	if (rc)
		return rc;
	int lock = -1;
	if ((rc = txn_lock(&lock, err)))
		return rc;
	/* the same bytes and mode already there: no snapshot, no write */
	if (snapshot_file_matches(&f)) {
		txn_unlock(lock);
		return 0;
	}
	rc = snapshot_and_run(&none, &f, 1, NULL, 0, opts, err);
	txn_unlock(lock);
	return rc;
}

/*
 * A persisted sysctl.d file in a snapshot holds keys root applies at boot:
 * the same key policy as apply, and no secret in the world-readable one.
 */
static int check_persisted_file(const struct snapshot_file *f, const char *const *prefixes,
				struct txn_error *err)
{
	int private = !strcmp(f->path, TK_SYSCTL_PRIVATE_CONF);
	int udev = !strcmp(f->path, TK_UDEV_RULES);
	if (f->type != SF_FILE || (!private && !udev && strcmp(f->path, TK_SYSCTL_CONF)))
		return 0;
	struct kv_list keys = { 0 };
	struct kv_error kerr;
	int rc = 0;
	/* udev runs what a rule says as root: only lines of our own format come back */
	if (udev && sysfs_udev_parse(f->data, f->len, &keys, &kerr) < 0) {
		set_err(err, kerr.line, f->path,
			"not a tunekit queue rule file (only ATTR lines and tunekit-nicset RUN lines of the schema)", 0);
		rc = -EINVAL;
	} else if (!udev && kvconf_parse_buffer(f->data, f->len, &keys, &kerr) < 0) {
		set_err(err, kerr.line, f->path, "malformed sysctl.d contents", 0);
		rc = -EINVAL;
	}
	for (size_t i = 0; !rc && i < keys.n; i++) {
		if (!sysctl_key_allowed(keys.v[i].key, prefixes)) {
			snprintf(err->text, sizeof(err->text), "%s: key outside the allowed prefixes (see --allow-prefix)",
				 keys.v[i].key);
			set_err(err, keys.v[i].line, f->path, err->text, 0);
			rc = -EINVAL;
		} else if (!private && sysctl_key_secret(keys.v[i].key)) {
			snprintf(err->text, sizeof(err->text), "%s: a secret key in a world-readable file",
				 keys.v[i].key);
			set_err(err, keys.v[i].line, f->path, err->text, 0);
			rc = -EINVAL;
		}
	}
	kv_list_free(&keys);
	return rc;
}

/*
 * The whole snapshot within apply's rules before anything is touched: every
 * key allowed (whether or not it exists here), every file managed and no
 * more permissive than it may be, persisted files holding allowed keys.
 */
static int check_snapshot(const struct snapshot *target, const char *const *prefixes, struct txn_error *err)
{
	for (size_t i = 0; i < target->keys.n; i++) {
		const struct kv_entry *e = &target->keys.v[i];
		const char *why = NULL;
		if (sysctl_key_parse(e->key, NULL, 0, NULL, 0, &why) < 0) {
			set_err(err, e->line, e->key, why, 0);
			return -EINVAL;
		}
		if (!sysctl_key_allowed(e->key, prefixes)) {
			set_err(err, e->line, e->key, "key outside the allowed prefixes (see --allow-prefix)", 0);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < target->nfiles; i++) {
		const char *why = NULL;
		if (!snapshot_file_allowed(&target->files[i], &why)) {
			set_err(err, 0, target->files[i].path, why, 0);
			return -EINVAL;
		}
		int rc = check_persisted_file(&target->files[i], prefixes, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* One thing restore could not bring back: named now, counted for the end. */
static void restore_failed(struct txn_error *err, unsigned *nfailed, const char *what, const char *why, int errnum)
{
	if (errnum)
		msg_warn("%s: not restored: %s: %s", what, why, strerror(errnum));
	else
		msg_warn("%s: not restored: %s", what, why);
	if (!*nfailed)
		snprintf(err->key, sizeof(err->key), "%s", what);
	size_t n = strlen(err->text);
	if (n + strlen(what) + 8 < sizeof(err->text))
		snprintf(err->text + n, sizeof(err->text) - n, "%s%s", n ? ", " : "", what);
	else if (n + 5 < sizeof(err->text) && !strstr(err->text, "..."))
		snprintf(err->text + n, sizeof(err->text) - n, ", ...");
	(*nfailed)++;
}

/*
 * Restore writes every key and file that differs, verifies each key after
 * writing with the comparison apply uses, and carries on past a failure:
 * the "before restore" snapshot is the way back. Returns 0 or -EIO.
 */
static int restore_run(const struct kv_list *changes, const struct kv_list *stuck, const struct snapshot *target,
		       struct txn_opts *opts, struct txn_error *err)
{
	unsigned nfailed = 0, nchanged = 0;
	char *ok = xcalloc(changes->n + 1, 1);
	err->text[0] = '\0';
	for (size_t i = 0; i < changes->n; i++) {
		const struct kv_entry *e = &changes->v[i];
		char *old = NULL, *back = NULL;
		sysctl_read(e->key, &old);
		int rc = sysctl_write(e->key, e->value);
		if (rc < 0) {
			restore_failed(err, &nfailed, e->key,
				       rc == -EPERM || rc == -EINVAL ? "the kernel refused the value" : "write failed", -rc);
		} else if ((rc = sysctl_read(e->key, &back)) < 0) {
			restore_failed(err, &nfailed, e->key, "read back failed", -rc);
		} else if (!sysctl_key_value_equal(e->key, back, e->value)) {
			restore_failed(err, &nfailed, e->key, "read back a different value than written", 0);
		} else {
			ok[i] = 1;
			if (opts->report)
				fprintf(opts->report, "%s: %s -> %s\n", e->key, shown(e->key, old ? old : "?"),
					shown(e->key, e->value));
		}
		free(old);
		free(back);
	}
	/* a later write can move an earlier key (tcp_congestion_control and its allowed list) */
	for (size_t i = 0; i < changes->n; i++) {
		char *live = NULL;
		if (!ok[i])
			continue;
		if (sysctl_read(changes->v[i].key, &live) < 0 || !sysctl_key_value_equal(changes->v[i].key, live, changes->v[i].value))
			restore_failed(err, &nfailed, changes->v[i].key, "changed again by a later write", 0), ok[i] = 0;
		else
			nchanged++;
		free(live);
	}
	for (size_t i = 0; i < stuck->n; i++)
		restore_failed(err, &nfailed, stuck->v[i].key, "read-only here", 0);
	for (size_t i = 0; i < target->nfiles; i++) {
		const struct snapshot_file *f = &target->files[i];
		if (snapshot_file_matches(f))
			continue;
		int rc = snapshot_file_restore(f);
		if (rc)
			restore_failed(err, &nfailed, f->path, "cannot write the file", -rc);
		else if (opts->report)
			fprintf(opts->report, "%s: %s\n", f->path, f->type == SF_ABSENT ? "removed" : "written");
	}
	free(ok);
	opts->changed = nchanged;
	if (!nfailed)
		return 0;
	char list[sizeof(err->text)];
	snprintf(list, sizeof(list), "%s", err->text);
	snprintf(err->text, sizeof(err->text), "could not bring back %u key%s or file%s: %.400s (everything else was restored)",
		 nfailed, nfailed == 1 ? "" : "s", nfailed == 1 ? "" : "s", list);
	err->why = err->text;
	err->key[0] = '\0';
	err->errnum = 0;
	return -EIO;
}

int txn_restore(const struct snapshot *target, struct txn_opts *opts, struct txn_error *err)
{
	struct kv_list changes = { 0 }, stuck = { 0 };
	memset(err, 0, sizeof(*err));
	opts->snapshot_id[0] = '\0';
	opts->skipped = 0;
	opts->changed = 0;

	int rc = check_snapshot(target, opts->allow_prefixes, err);
	if (rc)
		goto out;
	/* keys that are gone here are skipped; read-only ones that differ cannot come back */
	for (size_t i = 0; i < target->keys.n; i++) {
		const struct kv_entry *e = &target->keys.v[i];
		unsigned mode;
		char *live;
		if (sysctl_mode(e->key, &mode) < 0 || !S_ISREG(mode) || sysctl_read(e->key, &live) < 0) {
			opts->skipped++;
			continue;
		}
		if (!sysctl_key_value_equal(e->key, live, e->value))
			kv_list_set(mode & 0222 ? &changes : &stuck, e->key, e->value);
		else if (!(mode & 0222))
			opts->skipped++;
		free(live);
	}
	rc = txn_validate(&changes, opts, err);
	if (rc)
		goto out;
	if (opts->dry_run) {
		dry_run_report(&changes, opts);
		for (size_t i = 0; opts->report && i < stuck.n; i++)
			fprintf(opts->report, "%s: read-only here, would not come back\n", stuck.v[i].key);
		for (size_t i = 0; opts->report && i < target->nfiles; i++)
			if (!snapshot_file_matches(&target->files[i]))
				fprintf(opts->report, "%s: would be restored\n", target->files[i].path);
		goto out;
	}
	if ((rc = check_privileges(&changes, 1, err)))
		goto out;
	int lock = -1;
	if ((rc = txn_lock(&lock, err)))
		goto out;
	struct snapshot before;
	char *note = xasprintf("before restore of %s", target->id);
	rc = take_snapshot(&before, note, &target->keys, opts, err);
	free(note);
	if (!rc) {
		rc = restore_run(&changes, &stuck, target, opts, err);
		snapshot_free(&before);
		auto_prune();
	}
	txn_unlock(lock);
out:
	kv_list_free(&changes);
	kv_list_free(&stuck);
	return rc;
}

void txn_error_print(const struct txn_error *err, const char *input)
{
	char where[512] = "";
	size_t n = 0;
	if (err->line && input)
		n += (size_t)snprintf(where + n, sizeof(where) - n, "%s:%u: ", input, err->line);
	if (err->key[0] && n < sizeof(where))
		snprintf(where + n, sizeof(where) - n, "%s: ", err->key);
	const char *tail = err->rolled_back ? " (every key written so far was restored)" : "";
	if (err->why && err->errnum)
		msg_warn("%s%s: %s%s", where, err->why, strerror(err->errnum), tail);
	else if (err->why)
		msg_warn("%s%s%s", where, err->why, tail);
	else
		msg_warn("%s%s%s", where, strerror(err->errnum ? err->errnum : EIO), tail);
}

int txn_exit_status(int rc)
{
	if (rc == 0)
		return TK_EXIT_OK;
	if (rc == -EINVAL)
		return TK_EXIT_USAGE;
	return TK_EXIT_FAILURE;
}

void txn_changes_add(struct txn_changes *c, const char *key, const char *old, const char *new)
{
	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n].key = xstrdup(key);
	c->v[c->n].old = old ? xstrdup(old) : NULL;
	c->v[c->n].new = new ? xstrdup(new) : NULL;
	c->n++;
}

void txn_changes_free(struct txn_changes *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].old);
		free(c->v[i].new);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

void txn_json_report(FILE *out, const struct txn_opts *opts)
{
	struct json j;
	size_t n = opts->log ? opts->log->n : 0;
	json_init(&j, out);
	json_object_begin(&j, NULL);
	json_u64(&j, "changed", n);
	json_string(&j, "snapshot", opts->snapshot_id[0] ? opts->snapshot_id : NULL);
	json_bool(&j, "dry_run", opts->dry_run);
	json_array_begin(&j, "changes");
	for (size_t i = 0; i < n; i++) {
		const struct txn_change *c = &opts->log->v[i];
		json_object_begin(&j, NULL);
		json_string(&j, "key", c->key);
		json_string(&j, "old", c->old);
		json_string(&j, "new", c->new);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
}
