/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's safety rules on a fake tree (TUNEKIT_ROOT, TUNEKIT_PROC):
 * key policy, secret keys, what a restore may write, the snapshot index
 * ordered by sequence rather than time, the store's owner and mode, and the
 * bounded lock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "paths.h"
#include "snapshot.h"
#include "sysctl.h"
#include "tap.h"
#include "txn.h"
#include "xalloc.h"

static void put(const char *dir, const char *rel, const char *data, mode_t mode)
{
	char *p = xasprintf("%s/%s", dir, rel);
	char *d = xstrdup(p);
	*strrchr(d, '/') = '\0';
	mkdir_p(d, 0755);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, data, strlen(data)) < 0)
			diag("write failed");
		fchmod(fd, mode);
		close(fd);
	}
	free(d);
	free(p);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static int store_at(time_t t, const char *note, char *id)
{
	struct snapshot s;
	int rc = snapshot_capture(&s, note, NULL);
	if (rc)
		return rc;
	s.time = t;
	rc = snapshot_store(&s, NULL);
	snprintf(id, SNAPSHOT_ID_MAX, "%s", s.id);
	snapshot_free(&s);
	return rc;
}

static void test_policy(void)
{
	static const char *const vm[] = { "net.", "vm", NULL };
	static const char *const all[] = { "", NULL };
	ok(sysctl_key_allowed("net.core.somaxconn", NULL), "default policy: net. allowed");
	ok(!sysctl_key_allowed("kernel.core_pattern", NULL), "default policy: kernel. refused");
	ok(!sysctl_key_allowed("vm.swappiness", NULL), "default policy: vm. refused");
	ok(!sysctl_key_allowed("network.x", NULL), "net does not match network");
	ok(sysctl_key_allowed("vm.swappiness", vm), "--allow-prefix vm admits vm.");
	ok(!sysctl_key_allowed("fs.protected_regular", vm), "--allow-prefix vm does not admit fs.");
	ok(sysctl_key_allowed("kernel.core_pattern", all), "\"\" admits every key");

	struct snapshot_file f = { (char *)TK_SYSCTL_CONF, SF_FILE, 0644, (char *)"", 0 };
	const char *why = NULL;
	ok(snapshot_file_allowed(&f, &why), "managed file 0644 allowed");
	f.mode = 04755;
	ok(!snapshot_file_allowed(&f, &why) && strstr(why, "set-uid"), "4755 refused: %s", why);
	f.mode = 0664;
	ok(!snapshot_file_allowed(&f, &why) && strstr(why, "write"), "0664 refused: %s", why);
	f.mode = 0640;
	ok(snapshot_file_allowed(&f, NULL), "0640 (below 0644) allowed");
	f.path = (char *)TK_SYSCTL_PRIVATE_CONF;
	f.mode = 0644;
	ok(!snapshot_file_allowed(&f, &why) && strstr(why, "0600"), "private file 0644 refused: %s", why);
	f.mode = 0600;
	ok(snapshot_file_allowed(&f, NULL), "private file 0600 allowed");
	f.path = (char *)"/usr/local/bin/evil";
	ok(!snapshot_file_allowed(&f, &why) && strstr(why, "manage"), "unmanaged path refused");
	f.path = (char *)"/etc/sysctl.d/../passwd";
	ok(!snapshot_file_allowed(&f, NULL), "../ path refused");
	f.path = (char *)"/etc/passwd";
	f.type = SF_ABSENT;
	ok(!snapshot_file_allowed(&f, NULL), "unlink of an unmanaged file refused");
	f.path = (char *)TK_SYSCTL_CONF;
	f.type = SF_SYMLINK;
	f.data = (char *)"/tmp/x";
	f.len = 6;
	ok(!snapshot_file_allowed(&f, NULL), "symlink for the sysctl file refused");
	f.path = (char *)TK_RESOLV_CONF;
	ok(snapshot_file_allowed(&f, NULL), "symlink for resolv.conf allowed");
	f.type = SF_FILE;
	f.mode = 04644;
	ok(snapshot_file_restore(&f) == -EPERM, "snapshot_file_restore refuses what is not allowed");
}

static void test_secret(const char *proc)
{
	put(proc, "sys/net/ipv4/tcp_fastopen_key", "1-2-3-4\n", 0644);
	put(proc, "sys/net/ipv4/hidden", "7\n", 0600);
	put(proc, "sys/net/core/somaxconn", "4096\n", 0644);
	ok(sysctl_key_secret("net.ipv4.tcp_fastopen_key"), "tcp_fastopen_key is secret by name");
	ok(sysctl_key_secret("net/ipv4/tcp_fastopen_key"), "also in path form");
	ok(sysctl_key_secret("net.ipv4.hidden"), "a key not world-readable is secret");
	ok(!sysctl_key_secret("net.core.somaxconn"), "somaxconn is not secret");
}

static void test_store(const char *root)
{
	char a[SNAPSHOT_ID_MAX], b[SNAPSHOT_ID_MAX], c[SNAPSHOT_ID_MAX];
	is_int(store_at(1906977600, "first", a), 0, "store at 2030");     /* 2030-06-07 */
	is_int(store_at(1577836800, "second", b), 0, "store at 2020");    /* clock stepped back */
	is_int(store_at(1735689600, "third", c), 0, "store at 2025");
	char *store = tk_path(TK_SNAPSHOT_DIR);
	is_int(mode_of(store), 0700, "store is 0700");
	char *member = xasprintf("%s/%s", store, a);
	is_int(mode_of(member), 0600, "a snapshot is one file, 0600");
	char *idx = xasprintf("%s/index", store);
	is_int(mode_of(idx), 0600, "index is 0600");

	struct snapshot_info *v;
	size_t n;
	is_int(snapshot_list(&v, &n, 0, NULL), 0, "list");
	ok(n == 3 && !strcmp(v[0].id, a) && !strcmp(v[1].id, b) && !strcmp(v[2].id, c),
	   "list in sequence order, not time order");
	ok(n == 3 && v[0].seq == 1 && v[2].seq == 3 && v[2].valid == -1, "sequence numbers 1..3, not read by list");
	snapshot_info_free(v, n);
	is_int(snapshot_list(&v, &n, SNAPSHOT_LIST_VERIFY, NULL), 0, "list --verify");
	ok(n == 3 && v[0].valid == 1 && v[2].valid == 1, "verified valid");
	snapshot_info_free(v, n);
	char latest[SNAPSHOT_ID_MAX];
	is_int(snapshot_latest(latest, sizeof(latest)), 0, "latest");
	is_str(latest, c, "latest is the last stored, not the newest time");

	/* the index lost: rebuilt from the snapshots' seq */
	unlink(idx);
	is_int(snapshot_list(&v, &n, 0, NULL), 0, "list without index");
	ok(n == 3 && !strcmp(v[0].id, a) && !strcmp(v[2].id, c), "rebuilt index keeps the sequence");
	snapshot_info_free(v, n);
	ok(access(idx, F_OK) == 0, "index written back once");

	/* a snapshot dir that appeared without an index line (crash) is found */
	char *text = NULL;
	size_t len;
	read_file(idx, 1 << 20, &text, &len);
	char *cut = text ? strstr(text, "3 ") : NULL;
	if (cut)
		*cut = '\0';
	put(store, "index", text ? text : "", 0600);
	free(text);
	is_int(snapshot_latest(latest, sizeof(latest)), 0, "latest with a stale index");
	is_str(latest, c, "unlisted snapshot found by its meta seq");

	struct snapshot s;
	struct snapshot_problem p = { "", NULL };
	is_int(snapshot_load(a, &s, &p), 0, "load a trusted snapshot");
	snapshot_free(&s);

	chmod(member, 0666);
	is_int(snapshot_load(a, &s, &p), -EPERM, "world-writable snapshot refused");
	ok(p.why && strstr(p.what, a), "problem names it: %s %s", p.what, p.why);
	chmod(member, 0600);

	chmod(store, 0777);
	is_int(snapshot_load(a, &s, &p), -EPERM, "world-writable store refused");
	is_int(snapshot_list(&v, &n, 0, &p), -EPERM, "list refuses it too");
	struct snapshot s2;
	is_int(snapshot_capture(&s2, "x", NULL), 0, "capture");
	is_int(snapshot_store(&s2, &p), -EPERM, "store into it refused");
	snapshot_free(&s2);
	chmod(store, 0700);

	is_int(snapshot_remove(b), 0, "remove");
	is_int(snapshot_list(&v, &n, 0, NULL), 0, "list after remove");
	ok(n == 2 && !strcmp(v[0].id, a) && !strcmp(v[1].id, c), "index without the removed one");
	snapshot_info_free(v, n);
	(void)root;
	free(idx);
	free(member);
	free(store);
}

static void test_lock(void)
{
	struct txn_error err;
	int fd;
	memset(&err, 0, sizeof(err));
	is_int(txn_lock_acquire(&fd, &err), 0, "lock taken");
	char *dir = tk_path(TK_RUN_DIR);
	is_int(mode_of(dir), 0700, "lock directory created 0700");
	/* a second open file description conflicts even within this process */
	setenv("TUNEKIT_LOCK_TIMEOUT", "0", 1);
	int fd2;
	struct txn_error err2;
	memset(&err2, 0, sizeof(err2));
	is_int(txn_lock_acquire(&fd2, &err2), -ETIMEDOUT, "held lock: bounded wait fails");
	char want[64];
	snprintf(want, sizeof(want), "held by PID %ld", (long)getpid());
	ok(err2.why && strstr(err2.why, want), "message names the holder: %s", err2.why ? err2.why : "");
	txn_lock_release(fd);
	is_int(txn_lock_acquire(&fd2, &err2), 0, "free again after release");
	txn_lock_release(fd2);
	chmod(dir, 0777);
	memset(&err2, 0, sizeof(err2));
	is_int(txn_lock_acquire(&fd2, &err2), -EPERM, "world-writable lock directory refused");
	ok(err2.why && strstr(err2.why, "writable by group or others"), "says why: %s", err2.why ? err2.why : "");
	chmod(dir, 0700);
	free(dir);
}

int main(void)
{
	char tmpl[] = "/tmp/tk-snapshot-XXXXXX";
	char *dir = mkdtemp(tmpl);
	ok(dir != NULL, "temp dir");
	char *proc = xasprintf("%s/proc", dir), *root = xasprintf("%s/root", dir);
	mkdir_p(root, 0755);
	setenv("TUNEKIT_PROC", proc, 1);
	tk_set_root(root);

	test_policy();
	test_secret(proc);
	test_store(root);
	test_lock();

	remove_tree(dir);
	free(proc);
	free(root);
	return done_testing();
}
