/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Queue settings under sysfs (lib/sysfsval.c) through the engine, on a fake
 * tree (TUNEKIT_SYS, TUNEKIT_ROOT), no root needed: the key schema and its
 * hostile spellings, mask and number normalisation, read and write, the
 * resolved path kept under the root, apply with a fault at every position
 * rolled back (-Wl,--wrap=sysctl_write, as test-txn), the udev rule file
 * written, parsed back and refused when it holds anything else, restore.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "kvconf.h"
#include "paths.h"
#include "snapshot.h"
#include "sysctl.h"
#include "sysfsval.h"
#include "tap.h"
#include "txn.h"
#include "xalloc.h"

int __real_sysctl_write(const char *key, const char *value);
static int writes, fail_at;

int __wrap_sysctl_write(const char *key, const char *value);
int __wrap_sysctl_write(const char *key, const char *value)
{
	writes++;
	if (fail_at && writes == fail_at)
		return -EINVAL; /* the kernel refused a mask */
	return __real_sysctl_write(key, value);
}

static char *sys_dir, *root_dir;

static void put(const char *rel, const char *value)
{
	char *path = xasprintf("%s/devices/virtual/net/%s", sys_dir, rel);
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
}

/* A device as the kernel shows it: class/net/DEV links into devices/. */
static void make_dev(const char *dev)
{
	char *rel = xasprintf("%s/tx_queue_len", dev);
	put(rel, "1000");
	free(rel);
	rel = xasprintf("%s/queues/rx-0/rps_cpus", dev);
	put(rel, "00000000");
	free(rel);
	rel = xasprintf("%s/queues/rx-0/rps_flow_cnt", dev);
	put(rel, "0");
	free(rel);
	rel = xasprintf("%s/queues/tx-0/xps_cpus", dev);
	put(rel, "00000000");
	free(rel);
	char *cls = xasprintf("%s/class/net", sys_dir);
	mkdir_p(cls, 0755);
	char *link = xasprintf("%s/%s", cls, dev), *target = xasprintf("../../devices/virtual/net/%s", dev);
	unlink(link);
	if (symlink(target, link) < 0)
		perror("symlink");
	free(cls);
	free(link);
	free(target);
}

static char *raw(const char *rel)
{
	char *path = xasprintf("%s/devices/virtual/net/%s", sys_dir, rel), *v = NULL;
	size_t len;
	if (read_file(path, 4096, &v, &len) < 0)
		v = xstrdup("(unreadable)");
	free(path);
	return v;
}

static int raw_is(const char *rel, const char *want)
{
	char *v = raw(rel);
	int same = !strcmp(v, want);
	if (!same) {
		char *m = xasprintf("%s: have '%s', want '%s'", rel, v, want);
		diag(m);
		free(m);
	}
	free(v);
	return same;
}

/* The live value as the engine reads it (canonical). */
static int live_is(const char *key, const char *want)
{
	char *v = NULL;
	int same = sysctl_read(key, &v) == 0 && !strcmp(v, want);
	free(v);
	return same;
}

static char *rules_text(void)
{
	char *path = tk_path(TK_UDEV_RULES), *v = NULL;
	size_t len;
	if (read_file(path, 1 << 20, &v, &len) < 0)
		v = NULL;
	free(path);
	return v;
}

static void put_rules(const char *text)
{
	char *path = tk_path(TK_UDEV_RULES), *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir, 0755);
	FILE *f = fopen(path, "we");
	fputs(text, f);
	fclose(f);
	free(dir);
	free(path);
}

static void rm_rules(void)
{
	char *path = tk_path(TK_UDEV_RULES);
	unlink(path);
	free(path);
}

#define K_TXQ "sysfs:net/va/tx_queue_len"
#define K_RPS "sysfs:net/va/queues/rx-0/rps_cpus"
#define K_FLOW "sysfs:net/va/queues/rx-0/rps_flow_cnt"
#define K_XPS "sysfs:net/va/queues/tx-0/xps_cpus"

static void test_schema(void)
{
	static const char *const good[] = { K_TXQ, K_RPS, K_FLOW, K_XPS, "sysfs:net/eth0.100/queues/rx-15/rps_cpus",
					     "sysfs:net/0123456789abcde/tx_queue_len" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char dot[SYSCTL_KEY_MAX + 1] = "";
		const char *why = NULL;
		is_int(sysctl_key_parse(good[i], dot, sizeof(dot), NULL, 0, &why), 0, "valid: %s", good[i]);
		is_str(dot, good[i], "canonical form is the key itself: %s", good[i]);
	}
	static const char *const bad[] = {
		"sysfs:net/../tx_queue_len",                     /* .. as the device */
		"sysfs:net/./tx_queue_len",
		"sysfs:net/a..b/tx_queue_len",                    /* no .. anywhere */
		"sysfs:net/va/queues/rx-0/../../tx_queue_len",    /* .. inside */
		"sysfs:net/va/../../../etc/shadow",
		"sysfs:net/a/b/tx_queue_len",                     /* slash in the name */
		"sysfs:net/0123456789abcdef/tx_queue_len",        /* 16 bytes */
		"sysfs:net/eth 0/tx_queue_len",
		"sysfs:net/eth:0/tx_queue_len",
		"sysfs:net/eth*/tx_queue_len",                    /* a udev glob */
		"sysfs:net/eth\"0/tx_queue_len",                  /* udev quoting */
		"sysfs:net//tx_queue_len",
		"sysfs:net/va/address",                           /* outside the schema */
		"sysfs:net/va/queues/rx-0/rps_cpus/",
		"sysfs:net/va/queues/rx-01/rps_cpus",             /* leading zero */
		"sysfs:net/va/queues/rx-65536/rps_cpus",
		"sysfs:net/va/queues/rx-/rps_cpus",
		"sysfs:net/va/queues/rx-0/xps_cpus",              /* xps is per tx queue */
		"sysfs:net/va/queues/tx-0/rps_cpus",
		"sysfs:block/sda/queue/scheduler",
		"sysfs:/net/va/tx_queue_len",
		"sysfs:net/va/tx\001_queue_len",
		"sysfs:",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		is_int(sysctl_key_parse(bad[i], NULL, 0, NULL, 0, &why), -EINVAL, "refused: '%s' (%s)", bad[i],
		       why ? why : "no reason");
		char *line = xasprintf("%s = 1", bad[i]);
		struct kv_entry e;
		ok(kvconf_parse_line(line, strlen(line), &e, &why) < 0, "refused in a sysctl.d line: '%s'", bad[i]);
		free(line);
		char *path = sysctl_key_path(bad[i]);
		ok(path == NULL, "no path for '%s'", bad[i]);
		free(path);
	}
	ok(!sysctl_key_secret(K_RPS), "a queue setting is no secret");
	ok(sysctl_key_allowed(K_RPS, NULL), "allowed by the default policy (net.)");
	static const char *const ipv4_only[] = { "net.ipv4", NULL };
	ok(!sysctl_key_allowed(K_RPS, ipv4_only), "not allowed where only net.ipv4 is");
}

static void norm_is(const char *key, const char *in, const char *want)
{
	char *out = NULL;
	const char *why = NULL;
	int rc = sysctl_key_value_normalize(key, in, &out, &why);
	if (want) {
		ok(rc == 0 && out && !strcmp(out, want), "%s: '%s' -> '%s' (got '%s')", strrchr(key, '/') + 1, in, want,
		   out ? out : why);
	} else {
		is_int(rc, -EINVAL, "%s: '%s' refused (%s)", strrchr(key, '/') + 1, in, why ? why : "");
	}
	free(out);
}

static void test_normalize(void)
{
	norm_is(K_RPS, "00000003", "3");
	norm_is(K_RPS, "3", "3");
	norm_is(K_RPS, "0", "0");
	norm_is(K_RPS, "00000000", "0");
	norm_is(K_RPS, "F", "f");
	norm_is(K_RPS, "00000000,00000003", "3");
	norm_is(K_RPS, "1,00000003", "1,00000003");
	norm_is(K_RPS, "1,3", "1,00000003"); /* the kernel reads a short group as 32 bits */
	norm_is(K_XPS, "ffffffff,ffffffff", "ffffffff,ffffffff");
	norm_is(K_RPS, " 3\n", "3");
	norm_is(K_RPS, "100000003", NULL); /* 9 digits in a group: the kernel refuses it */
	norm_is(K_RPS, "", NULL);
	norm_is(K_RPS, ",3", NULL);
	norm_is(K_RPS, "3,", NULL);
	norm_is(K_RPS, "0x3", NULL);
	norm_is(K_RPS, "g", NULL);
	norm_is(K_RPS, "3 4", NULL);
	norm_is(K_TXQ, "0010", "10");
	norm_is(K_TXQ, "4294967295", "4294967295");
	norm_is(K_TXQ, "4294967296", NULL);
	norm_is(K_TXQ, "-1", NULL);
	norm_is(K_FLOW, "f", NULL);
	ok(sysctl_key_value_equal(K_RPS, "00000003", "3"), "masks compare by value");
	ok(!sysctl_key_value_equal(K_RPS, "00000003", "2"), "different masks differ");
	ok(sysctl_key_value_equal("net.core.x", "1  2", "1 2"), "sysctls compare as before");
}

static void test_read_write(void)
{
	make_dev("va");
	char *v = NULL;
	is_int(sysctl_read(K_RPS, &v), 0, "read the rps mask");
	is_str(v ? v : "", "0", "read back canonical (00000000 -> 0)");
	free(v);
	is_int(sysctl_write(K_RPS, "00000003"), 0, "write a mask");
	ok(raw_is("va/queues/rx-0/rps_cpus", "3\n"), "written canonical, one line");
	is_int(sysctl_write(K_RPS, "zz"), -EINVAL, "a malformed mask is not written");
	ok(raw_is("va/queues/rx-0/rps_cpus", "3\n"), "the file is unchanged");
	ok(sysctl_exists(K_TXQ), "tx_queue_len exists");
	ok(!sysctl_exists("sysfs:net/nosuch/tx_queue_len"), "an absent device has no keys");

	/* a device link out of the root is refused, read and write */
	char *evil_dir = xasprintf("%s/../outside", sys_dir);
	mkdir_p(evil_dir, 0755);
	char *evil_file = xasprintf("%s/tx_queue_len", evil_dir);
	FILE *f = fopen(evil_file, "we");
	fputs("5\n", f);
	fclose(f);
	char *link = xasprintf("%s/class/net/evil", sys_dir);
	if (symlink(evil_dir, link) < 0)
		perror("symlink");
	v = NULL;
	is_int(sysctl_read("sysfs:net/evil/tx_queue_len", &v), -EXDEV, "a device linked out of the root: read refused");
	free(v);
	is_int(sysctl_write("sysfs:net/evil/tx_queue_len", "7"), -EXDEV, "and write refused");
	char *data = NULL;
	size_t len;
	ok(read_file(evil_file, 64, &data, &len) == 0 && !strcmp(data, "5\n"), "the file outside is untouched");
	free(data);
	/* an attribute that is a symlink is not followed */
	char *attr = xasprintf("%s/devices/virtual/net/va/queues/rx-0/rps_flow_cnt", sys_dir);
	unlink(attr);
	if (symlink(evil_file, attr) < 0)
		perror("symlink");
	is_int(sysctl_write(K_FLOW, "9"), -EPERM, "an attribute that is a symlink: refused");
	ok(read_file(evil_file, 64, &data, &len) == 0 && !strcmp(data, "5\n"), "its target is untouched");
	free(data);
	unlink(attr);
	put("va/queues/rx-0/rps_flow_cnt", "0");
	free(attr);
	free(link);
	free(evil_file);
	free(evil_dir);
}

static void reset_dev(void)
{
	make_dev("va");
	rm_rules();
	writes = fail_at = 0;
}

static void test_apply_rollback(void)
{
	struct kv_list changes = { 0 };
	kv_list_set(&changes, K_TXQ, "2000");
	kv_list_set(&changes, K_RPS, "00000003");
	kv_list_set(&changes, K_FLOW, "4096");
	kv_list_set(&changes, K_XPS, "2");
	for (int pos = 1; pos <= 4; pos++) {
		reset_dev();
		struct txn_opts opts = { 0 };
		struct txn_error err;
		fail_at = pos;
		int rc = txn_apply(&changes, &opts, &err);
		fail_at = 0;
		is_int(rc, -EIO, "write %d of 4 refused: the apply fails", pos);
		is_str(err.key, changes.v[pos - 1].key, "names the key (position %d)", pos);
		ok(live_is(K_TXQ, "1000") && live_is(K_RPS, "0") && live_is(K_FLOW, "0") && live_is(K_XPS, "0"),
		   "every queue setting is back (position %d)", pos);
		char *r = rules_text();
		ok(r == NULL, "no udev rule file (position %d)", pos);
		free(r);
	}
	reset_dev();
	struct txn_opts opts = { 0 };
	struct txn_error err;
	struct txn_changes log = { 0 };
	opts.log = &log;
	is_int(txn_apply(&changes, &opts, &err), 0, "no fault: applied");
	ok(raw_is("va/tx_queue_len", "2000\n") && raw_is("va/queues/rx-0/rps_cpus", "3\n") &&
	   raw_is("va/queues/rx-0/rps_flow_cnt", "4096\n") && raw_is("va/queues/tx-0/xps_cpus", "2\n"),
	   "every value written");
	char *r = rules_text();
	is_str(r ? strstr(r, "ACTION") : "(none)",
	       "ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"va\", ATTR{queues/rx-0/rps_cpus}=\"3\"\n"
	       "ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"va\", ATTR{queues/rx-0/rps_flow_cnt}=\"4096\"\n"
	       "ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"va\", ATTR{queues/tx-0/xps_cpus}=\"2\"\n"
	       "ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"va\", ATTR{tx_queue_len}=\"2000\"\n",
	       "the udev rule file holds one sorted line per attribute");
	free(r);
	char *sysctld = tk_path(TK_SYSCTL_CONF);
	ok(access(sysctld, F_OK) < 0, "queue settings alone leave sysctl.d alone");
	free(sysctld);
	int logged_rps = 0, logged_file = 0;
	for (size_t i = 0; i < log.n; i++) {
		logged_rps |= !strcmp(log.v[i].key, K_RPS) && !strcmp(log.v[i].old, "0") && !strcmp(log.v[i].new, "3");
		logged_file |= !strcmp(log.v[i].key, "file:" TK_UDEV_RULES);
	}
	ok(logged_rps, "the change is logged canonical: 0 -> 3");
	ok(logged_file, "the rule file is logged");
	txn_changes_free(&log);
	char id[SNAPSHOT_ID_MAX];
	snprintf(id, sizeof(id), "%s", opts.snapshot_id);

	/* the same again: nothing to do, no snapshot */
	struct txn_opts again = { 0 };
	is_int(txn_apply(&changes, &again, &err), 0, "the same apply again");
	is_str(again.snapshot_id, "", "changes nothing, takes no snapshot");

	/* restore puts values and the rule file back */
	struct snapshot snap;
	is_int(snapshot_load(id, &snap, NULL), 0, "the snapshot loads");
	ok(kv_list_find(&snap.keys, K_RPS) >= 0, "it holds the previous rps mask");
	struct txn_opts ropts = { 0 };
	is_int(txn_restore(&snap, &ropts, &err), 0, "restore");
	ok(raw_is("va/tx_queue_len", "1000\n") && raw_is("va/queues/rx-0/rps_cpus", "0\n") &&
	   raw_is("va/queues/rx-0/rps_flow_cnt", "0\n") && raw_is("va/queues/tx-0/xps_cpus", "0\n"),
	   "every queue setting is back");
	r = rules_text();
	ok(r == NULL, "the rule file is gone again");
	free(r);
	snapshot_free(&snap);
	kv_list_free(&changes);
}

static void test_hostile_rules(void)
{
	reset_dev();
	static const char *const hostile[] = {
		"ACTION==\"add\", RUN+=\"/bin/sh -c 'id > /tmp/pwned'\"\n",
		"ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"va\", ATTR{../../../../etc/x}=\"3\"\n",
		"ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"va\", ATTR{queues/rx-0/rps_cpus}=\"3\", RUN+=\"/x\"\n",
		"ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"v*\", ATTR{tx_queue_len}=\"3\"\n",
		"ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"va\", ATTR{tx_queue_len}=\"3$(x)\"\n",
	};
	struct kv_list changes = { 0 };
	kv_list_set(&changes, K_RPS, "3");
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		struct kv_list got = { 0 };
		struct kv_error kerr;
		is_int(sysfs_udev_parse(hostile[i], strlen(hostile[i]), &got, &kerr), -EINVAL,
		       "a foreign rule line is refused (%zu)", i);
		kv_list_free(&got);
		put_rules(hostile[i]);
		struct txn_opts opts = { 0 };
		struct txn_error err;
		is_int(txn_apply(&changes, &opts, &err), -EINVAL, "apply refuses to merge into it (%zu)", i);
		ok(raw_is("va/queues/rx-0/rps_cpus", "00000000\n"), "nothing changed (%zu)", i);
		/* a snapshot carrying it is refused whole by restore */
		struct snapshot s = { 0 };
		struct snapshot_file f = { (char *)TK_UDEV_RULES, SF_FILE, 0644, (char *)hostile[i], strlen(hostile[i]) };
		s.files = &f;
		s.nfiles = 1;
		snprintf(s.id, sizeof(s.id), "crafted");
		rm_rules();
		is_int(txn_restore(&s, &opts, &err), -EINVAL, "restore refuses a snapshot with it (%zu)", i);
		char *r = rules_text();
		ok(r == NULL, "and writes no rule file (%zu)", i);
		free(r);
	}
	/* a non-regular rule file is never replaced */
	rm_rules();
	char *path = tk_path(TK_UDEV_RULES);
	if (symlink("/etc/passwd", path) < 0)
		perror("symlink");
	struct txn_opts opts = { 0 };
	struct txn_error err;
	is_int(txn_apply(&changes, &opts, &err), -EINVAL, "a symlinked rule file: apply refused");
	struct stat st;
	ok(lstat(path, &st) == 0 && S_ISLNK(st.st_mode), "the symlink is left as it was");
	ok(raw_is("va/queues/rx-0/rps_cpus", "00000000\n"), "nothing changed");
	unlink(path);
	free(path);
	/* a sysctl-only apply is not held up by a rule file it does not touch */
	put_rules(hostile[0]);
	char *kdir = xasprintf("%s/../proc/sys/net/t", sys_dir), *kfile = xasprintf("%s/k", kdir);
	mkdir_p(kdir, 0755);
	FILE *kf = fopen(kfile, "we");
	fputs("1\n", kf);
	fclose(kf);
	struct kv_list sysonly = { 0 };
	kv_list_set(&sysonly, "net.t.k", "2");
	struct txn_opts sopts = { 0 };
	is_int(txn_apply(&sysonly, &sopts, &err), 0, "a sysctl apply beside a foreign rule file works");
	char *r = rules_text();
	ok(r && !strcmp(r, hostile[0]), "and leaves the rule file as it was");
	free(r);
	rm_rules();
	kv_list_free(&sysonly);
	free(kdir);
	free(kfile);
	kv_list_free(&changes);
}

static void test_round_trip(void)
{
	struct kv_list in = { 0 }, out = { 0 };
	kv_list_set(&in, "sysfs:net/eth0.100/queues/rx-3/rps_cpus", "1,00000003");
	kv_list_set(&in, "sysfs:net/a@b+c_d-e/tx_queue_len", "5");
	kv_list_set(&in, "net.core.rmem_max", "1"); /* not a queue setting: left out */
	char *text = sysfs_udev_format(&in);
	struct kv_error kerr;
	is_int(sysfs_udev_parse(text, strlen(text), &out, &kerr), 0, "the generated file parses back");
	is_int((long long)out.n, 2, "both queue settings, not the sysctl");
	long j = kv_list_find(&out, "sysfs:net/eth0.100/queues/rx-3/rps_cpus");
	ok(j >= 0 && !strcmp(out.v[j].value, "1,00000003"), "a wide mask survives");
	free(text);
	kv_list_free(&in);
	kv_list_free(&out);
}

int main(void)
{
	char tmpl[] = "/tmp/tk-sysfs-XXXXXX";
	char *dir = mkdtemp(tmpl);
	ok(dir != NULL, "temp dir");
	sys_dir = xasprintf("%s/sys", dir);
	root_dir = xasprintf("%s/root", dir);
	char *proc = xasprintf("%s/proc/sys/net", dir);
	mkdir_p(sys_dir, 0755);
	mkdir_p(root_dir, 0755);
	mkdir_p(proc, 0755);
	free(proc);
	proc = xasprintf("%s/proc", dir);
	setenv("TUNEKIT_SYS", sys_dir, 1);
	setenv("TUNEKIT_PROC", proc, 1);
	setenv("TUNEKIT_LOCK_TIMEOUT", "5", 1);
	tk_set_root(root_dir);

	test_schema();
	test_normalize();
	test_read_write();
	test_apply_rollback();
	test_hostile_rules();
	test_round_trip();

	remove_tree(dir);
	free(proc);
	free(sys_dir);
	free(root_dir);
	return done_testing();
}
