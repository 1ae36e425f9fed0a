/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transaction engine on a fake tree (TUNEKIT_PROC, TUNEKIT_ROOT), no
 * root needed: a write that fails at every position rolls back every key
 * written before it; a value the kernel reads back differently rolls back;
 * a coupled key the kernel moved is put back too; a second locker waits a
 * bounded time and changes nothing. Faults are injected by linking with
 * -Wl,--wrap=sysctl_write,--wrap=sysctl_read (mk/nettune-backup.am).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileutil.h"
#include "kvconf.h"
#include "paths.h"
#include "snapshot.h"
#include "sysctl.h"
#include "tap.h"
#include "txn.h"
#include "xalloc.h"

int __real_sysctl_write(const char *key, const char *value);
int __real_sysctl_read(const char *key, char **value);

/* fault injection: the Nth write (1-based) fails; reads of one key lie */
static int writes, fail_at, fail_errno = EIO;
static const char *lie_key, *lie_value;
static int emulate_cc; /* writing tcp_congestion_control extends the allowed list */

int __wrap_sysctl_write(const char *key, const char *value);
int __wrap_sysctl_write(const char *key, const char *value)
{
	writes++;
	if (fail_at && writes == fail_at)
		return -fail_errno;
	int rc = __real_sysctl_write(key, value);
	if (!rc && emulate_cc && !strcmp(key, "net.ipv4.tcp_congestion_control")) {
		char *allowed = NULL;
		__real_sysctl_read("net.ipv4.tcp_allowed_congestion_control", &allowed);
		if (allowed && !strstr(allowed, value)) {
			char *more = xasprintf("%s %s", allowed, value);
			__real_sysctl_write("net.ipv4.tcp_allowed_congestion_control", more);
			free(more);
		}
		free(allowed);
	}
	return rc;
}

int __wrap_sysctl_read(const char *key, char **value);
int __wrap_sysctl_read(const char *key, char **value)
{
	int rc = __real_sysctl_read(key, value);
	if (!rc && lie_key && !strcmp(key, lie_key) && writes > 0) {
		free(*value);
		*value = xstrdup(lie_value);
	}
	return rc;
}

static char *proc_dir;

static void put_key(const char *key, const char *value)
{
	char *rel = xstrdup(key);
	for (char *p = rel; *p; p++)
		if (*p == '.')
			*p = '/';
	char *path = xasprintf("%s/sys/%s", proc_dir, rel);
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir, 0755);
	FILE *f = fopen(path, "we");
	if (f) {
		fprintf(f, "%s\n", value);
		fclose(f);
	}
	free(dir);
	free(path);
	free(rel);
}

static char *live(const char *key)
{
	char *v = NULL;
	if (__real_sysctl_read(key, &v) < 0)
		return xstrdup("(unreadable)");
	return v;
}

static int live_is(const char *key, const char *want)
{
	char *v = live(key);
	int same = !strcmp(v, want);
	free(v);
	return same;
}

static size_t snapshot_count(void)
{
	struct snapshot_info *v;
	size_t n = 0;
	if (snapshot_list(&v, &n, 0, NULL) == 0)
		snapshot_info_free(v, n);
	return n;
}

static int persisted_exists(void)
{
	char *p = tk_path(TK_SYSCTL_CONF);
	int ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

#define NKEYS 5
static const char *const keys[NKEYS] = { "net.t.k0", "net.t.k1", "net.t.k2", "net.t.k3", "net.t.k4" };

static void reset_keys(void)
{
	for (int i = 0; i < NKEYS; i++)
		put_key(keys[i], "1");
	writes = fail_at = 0;
	lie_key = lie_value = NULL;
	emulate_cc = 0;
}

static void test_fail_every_position(void)
{
	struct kv_list changes = { 0 };
	for (int i = 0; i < NKEYS; i++)
		kv_list_set(&changes, keys[i], "2");
	for (int pos = 1; pos <= NKEYS; pos++) {
		reset_keys();
		size_t before = snapshot_count();
		struct txn_opts opts = { 0 };
		struct txn_error err;
		fail_at = pos;
		int rc = txn_apply(&changes, &opts, &err);
		fail_at = 0;
		is_int(rc, -EIO, "write %d of %d fails: the apply fails", pos, NKEYS);
		is_str(err.key, keys[pos - 1], "the failed key is named (position %d)", pos);
		is_int(err.rolled_back, pos > 1, "rolled_back says whether keys were written (position %d)", pos);
		int all_back = 1;
		for (int i = 0; i < NKEYS; i++)
			all_back &= live_is(keys[i], "1");
		ok(all_back, "every key is back to 1 after a failure at position %d", pos);
		ok(!persisted_exists(), "nothing persisted (position %d)", pos);
		is_int((long long)snapshot_count(), (long long)before + 1, "the snapshot taken first stays (position %d)", pos);
	}
	/* and without a fault it applies */
	reset_keys();
	struct txn_opts opts = { 0 };
	struct txn_error err;
	is_int(txn_apply(&changes, &opts, &err), 0, "no fault: applied");
	ok(live_is(keys[0], "2") && live_is(keys[NKEYS - 1], "2"), "values written");
	ok(persisted_exists(), "persisted");
	is_int(opts.changed, NKEYS, "changed counts every key");
	kv_list_free(&changes);
}

static void test_read_back_mismatch(void)
{
	reset_keys();
	struct kv_list changes = { 0 };
	for (int i = 0; i < NKEYS; i++)
		kv_list_set(&changes, keys[i], "5");
	lie_key = keys[2];
	lie_value = "4"; /* the kernel clamped it */
	struct txn_opts opts = { 0 };
	struct txn_error err;
	int rc = txn_apply(&changes, &opts, &err);
	lie_key = NULL;
	is_int(rc, -EIO, "read-back mismatch fails the apply");
	is_str(err.key, keys[2], "names the key read back different");
	ok(err.why && strstr(err.why, "read back"), "says why: %s", err.why ? err.why : "");
	ok(err.rolled_back, "rolled back");
	int all_back = 1;
	for (int i = 0; i < NKEYS; i++)
		all_back &= live_is(keys[i], "1");
	ok(all_back, "keys before and after the mismatch are back to 1");
	kv_list_free(&changes);
}

static void test_coupled(void)
{
	reset_keys();
	put_key("net.ipv4.tcp_congestion_control", "cubic");
	put_key("net.ipv4.tcp_allowed_congestion_control", "reno cubic");
	emulate_cc = 1;
	struct kv_list changes = { 0 };
	kv_list_set(&changes, "net.ipv4.tcp_congestion_control", "bbr");
	kv_list_set(&changes, keys[0], "9");
	fail_at = 2; /* after the congestion control moved the allowed list */
	struct txn_opts opts = { 0 };
	struct txn_error err;
	int rc = txn_apply(&changes, &opts, &err);
	fail_at = 0;
	emulate_cc = 0;
	is_int(rc, -EIO, "second write fails");
	ok(live_is("net.ipv4.tcp_congestion_control", "cubic"), "congestion control rolled back");
	char *allowed = live("net.ipv4.tcp_allowed_congestion_control");
	is_str(allowed, "reno cubic", "the coupled allowed list is put back too");
	free(allowed);
	kv_list_free(&changes);
}

static void test_concurrent_lockers(void)
{
	reset_keys();
	int go[2], held[2];
	if (pipe(go) < 0 || pipe(held) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		struct txn_error err = { 0 };
		int fd;
		char c;
		if (txn_lock_acquire(&fd, &err) == 0) {
			if (write(held[1], "h", 1) < 0)
				_exit(2);
			if (read(go[0], &c, 1) < 0)
				_exit(2);
			txn_lock_release(fd);
		}
		_exit(0);
	}
	char c;
	ok(read(held[0], &c, 1) == 1, "another process holds the lock");
	setenv("TUNEKIT_LOCK_TIMEOUT", "0", 1);
	struct kv_list changes = { 0 };
	kv_list_set(&changes, keys[1], "7");
	size_t before = snapshot_count();
	struct txn_opts opts = { 0 };
	struct txn_error err;
	is_int(txn_apply(&changes, &opts, &err), -ETIMEDOUT, "a second locker gives up after the bounded wait");
	ok(live_is(keys[1], "1"), "and changed nothing");
	is_int((long long)snapshot_count(), (long long)before, "no snapshot either");
	if (write(go[1], "g", 1) < 0)
		diag("pipe write failed");
	int st;
	waitpid(pid, &st, 0);
	setenv("TUNEKIT_LOCK_TIMEOUT", "5", 1);
	is_int(txn_apply(&changes, &opts, &err), 0, "after release the apply goes through");
	ok(live_is(keys[1], "7"), "value written");

	/* two writers at once: both succeed, one after the other, distinct seq */
	reset_keys();
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			struct kv_list one = { 0 };
			kv_list_set(&one, keys[k], k ? "30" : "20");
			struct txn_opts o = { 0 };
			struct txn_error e;
			_exit(txn_apply(&one, &o, &e) == 0 ? 0 : 1);
		}
	}
	int okk = 1;
	for (int k = 0; k < 2; k++) {
		waitpid(kids[k], &st, 0);
		okk &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	ok(okk, "two concurrent applies both succeed");
	ok(live_is(keys[0], "20") && live_is(keys[1], "30"), "both changes are live");
	struct snapshot_info *v;
	size_t n;
	is_int(snapshot_list(&v, &n, SNAPSHOT_LIST_VERIFY, NULL), 0, "list after concurrent applies");
	int seq_ok = n >= 2;
	for (size_t i = 1; i < n; i++)
		seq_ok &= v[i].seq == v[i - 1].seq + 1 || v[i].seq > v[i - 1].seq;
	int valid = 1;
	for (size_t i = 0; i < n; i++)
		valid &= v[i].valid == 1;
	ok(seq_ok, "sequence numbers strictly increase (%zu snapshots)", n);
	ok(valid, "every snapshot verifies");
	snapshot_info_free(v, n);
	kv_list_free(&changes);
}

static void test_skip_read_only(void)
{
	reset_keys();
	put_key("net.t.ro", "1");
	char *path = xasprintf("%s/sys/net/t/ro", proc_dir);
	chmod(path, 0444);
	ok(sysctl_key_read_only("net.t.ro"), "a key without write bits is read-only");
	ok(!sysctl_key_read_only(keys[0]), "a writable key is not");
	ok(!sysctl_key_read_only("net.t.absent"), "an absent key is not read-only");
	struct kv_list changes = { 0 };
	kv_list_set(&changes, "net.t.ro", "2");
	kv_list_set(&changes, keys[0], "3");
	struct txn_opts opts = { 0 };
	struct txn_error err;
	opts.skip_read_only = 1;
	is_int(txn_apply(&changes, &opts, &err), 0, "skip_read_only: the read-only key is skipped");
	ok(live_is(keys[0], "3"), "the writable key is applied");
	is_int(opts.skipped, 1, "skipped counts it");
	free(path);
	kv_list_free(&changes);
}

int main(void)
{
	char tmpl[] = "/tmp/tk-txn-XXXXXX";
	char *dir = mkdtemp(tmpl);
	ok(dir != NULL, "temp dir");
	proc_dir = xasprintf("%s/proc", dir);
	char *root = xasprintf("%s/root", dir);
	mkdir_p(root, 0755);
	mkdir_p(proc_dir, 0755);
	setenv("TUNEKIT_PROC", proc_dir, 1);
	setenv("TUNEKIT_LOCK_TIMEOUT", "5", 1);
	tk_set_root(root);

	test_fail_every_position();
	test_read_back_mismatch();
	test_coupled();
	test_concurrent_lockers();
	test_skip_read_only();

	remove_tree(dir);
	free(proc_dir);
	free(root);
	return done_testing();
}
