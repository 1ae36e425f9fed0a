/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/sysctld.c and lib/hoststack.c on fake trees: sysctl.d precedence and
 * masking, lexical order across directories, /etc/sysctl.conf, globs, key
 * forms, exclusions, our file masked; TuneD include chains; bpftune in a
 * fake /proc.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "c.h"
#include "fileutil.h"
#include "hoststack.h"
#include "kvconf.h"
#include "paths.h"
#include "sysctld.h"
#include "tap.h"
#include "xalloc.h"

#define OURS "/etc/sysctl.d/90-tunekit.conf"
#define SD SYSCTLD_SYSTEMD
#define PP SYSCTLD_PROCPS

static char *base;
static char *tree;
static int ntree;

/* A fresh empty root for the next case. */
static void new_tree(void)
{
	free(tree);
	tree = xasprintf("%s/t%d", base, ntree++);
	if (mkdir_p(tree, 0755) < 0)
		abort();
	tk_set_root(tree);
}

static void put(const char *path, const char *content)
{
	char *full = xasprintf("%s%s", tree, path);
	char *dir = xstrdup(full);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755) < 0)
		abort();
	FILE *f = fopen(full, "w");
	if (!f || fputs(content, f) < 0 || fclose(f) != 0)
		abort();
	free(dir);
	free(full);
}

static void rm(const char *path)
{
	char *full = xasprintf("%s%s", tree, path);
	if (unlink(full) < 0)
		abort();
	free(full);
}

static void link_to(const char *path, const char *target)
{
	char *full = xasprintf("%s%s", tree, path);
	char *dir = xstrdup(full);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755) < 0 || symlink(target, full) < 0)
		abort();
	free(dir);
	free(full);
}

/* Lint with our file's own lines as the wanted values. */
static struct sysctld_report rep;

static int lint_path(const char *our)
{
	sysctld_report_free(&rep);
	struct kv_list want = { 0 };
	char *full = xasprintf("%s%s", tree, our);
	char *buf;
	size_t len;
	if (read_file(full, 1 << 20, &buf, &len) == 0) {
		struct kv_error err;
		if (kvconf_parse_buffer(buf, len, &want, &err) < 0)
			abort();
		free(buf);
	}
	free(full);
	int rc = sysctld_lint(our, &want, &rep);
	kv_list_free(&want);
	return rc;
}

static int lint(void)
{
	return lint_path(OURS);
}

/* Lint with an explicit wanted "key=value" (our file may lack it). */
static int lint_want(const char *key, const char *value)
{
	sysctld_report_free(&rep);
	struct kv_list want = { 0 };
	kv_list_set(&want, key, value);
	int rc = sysctld_lint(OURS, &want, &rep);
	kv_list_free(&want);
	return rc;
}

static const struct sysctld_verdict *verdict(const char *key, int model)
{
	for (size_t i = 0; i < rep.n; i++)
		if (strcmp(rep.v[i].key, key) == 0)
			return &rep.v[i].model[model];
	return NULL;
}

/* "status file:line value [glob]" for one key and model, for is_str. */
static char *say(const char *key, int model)
{
	static char buf[1024];
	const struct sysctld_verdict *v = verdict(key, model);
	if (!v)
		return "(no key)";
	snprintf(buf, sizeof(buf), "%s %s:%u %s%s%s", sysctld_status_name(v->status),
		 v->file ? v->file : "-", v->line, v->value ? v->value : "(unset)",
		 v->pattern ? " via " : "", v->pattern ? v->pattern : "");
	return buf;
}

static void test_precedence(void)
{
	diag("precedence across the four directories");
	new_tree();
	put(OURS, "net.core.rmem_max = 1000\n");
	put("/run/sysctl.d/99-a.conf", "net.core.rmem_max = 2000\n");
	put("/usr/local/lib/sysctl.d/99-a.conf", "net.core.rmem_max = 3000\n");
	put("/usr/lib/sysctl.d/99-a.conf", "net.core.rmem_max = 4000\n");
	is_int(lint(), 0, "lint runs");
	is_str(say("net.core.rmem_max", SD), "shadowed /run/sysctl.d/99-a.conf:1 2000",
	       "/run masks /usr/local/lib and /usr/lib (systemd)");
	is_str(say("net.core.rmem_max", PP), "shadowed /run/sysctl.d/99-a.conf:1 2000",
	       "/run masks /usr/local/lib and /usr/lib (procps)");

	put("/etc/sysctl.d/99-a.conf", "# the admin's copy, same value as tunekit\nnet.core.rmem_max = 1000\n");
	lint();
	is_str(say("net.core.rmem_max", SD), "ok " OURS ":1 1000",
	       "/etc masks /run: ours stays (systemd keeps an entry a same value repeats)");
	is_str(say("net.core.rmem_max", PP), "ok /etc/sysctl.d/99-a.conf:2 1000",
	       "/etc masks /run: procps writes the same value again");

	new_tree();
	put(OURS, "net.core.wmem_max = 1000\n");
	put("/usr/local/lib/sysctl.d/99-b.conf", "net.core.wmem_max = 3000\n");
	put("/usr/lib/sysctl.d/99-b.conf", "net.core.wmem_max = 4000\n");
	lint();
	is_str(say("net.core.wmem_max", SD), "shadowed /usr/local/lib/sysctl.d/99-b.conf:1 3000",
	       "/usr/local/lib masks /usr/lib");
	put("/lib/sysctl.d/99-c.conf", "net.core.wmem_max = 5000\n");
	lint();
	is_str(say("net.core.wmem_max", PP), "shadowed /lib/sysctl.d/99-c.conf:1 5000",
	       "/lib/sysctl.d is read when /lib is a directory");
	is_int((long long)rep.files_read, 3, "three names read (99-b once)");
}

static void test_masking(void)
{
	diag("masking by a /dev/null symlink and by an empty file");
	new_tree();
	put(OURS, "net.core.rmem_max = 1000\n");
	put("/usr/lib/sysctl.d/99-vendor.conf", "net.core.rmem_max = 4000\n");
	put("/usr/lib/sysctl.d/98-vendor.conf", "net.core.rmem_max = 5000\n");
	link_to("/etc/sysctl.d/99-vendor.conf", "/dev/null");
	put("/run/sysctl.d/98-vendor.conf", "");
	lint();
	is_str(say("net.core.rmem_max", SD), "ok " OURS ":1 1000", "both vendor files masked (systemd)");
	is_str(say("net.core.rmem_max", PP), "ok " OURS ":1 1000", "both vendor files masked (procps)");

	put("/usr/lib/sysctl.d/50-vendor.conf", "net.core.rmem_max = 5000\n");
	lint();
	is_str(say("net.core.rmem_max", SD), "ok " OURS ":1 1000", "50-vendor sorts before ours: harmless");
	rm("/run/sysctl.d/98-vendor.conf");
	lint();
	is_str(say("net.core.rmem_max", SD), "shadowed /usr/lib/sysctl.d/98-vendor.conf:1 5000",
	       "without the empty mask 98-vendor shadows ours");
	put("/usr/lib/sysctl.d/98-vendor.conf", "");
	put("/usr/lib/sysctl.d/99-vendor.conf", "");
	link_to("/run/sysctl.d/99-vendor.conf", "../../usr/lib/sysctl.d/99-vendor.conf");
	put("/usr/lib/sysctl.d/99-vendor.conf", "net.core.rmem_max = 4000\n");
	rm("/etc/sysctl.d/99-vendor.conf");
	lint();
	is_str(say("net.core.rmem_max", SD), "shadowed /run/sysctl.d/99-vendor.conf:1 4000",
	       "a symlink elsewhere is no mask: its target is read");
}

static void test_lexical(void)
{
	diag("lexical order of names across directories");
	new_tree();
	put(OURS, "net.ipv4.tcp_rmem = 4096 131072 6291456\n");
	put("/run/sysctl.d/10-early.conf", "net.ipv4.tcp_rmem = 1 2 3\n");
	put("/usr/lib/sysctl.d/95-late.conf", "net.ipv4.tcp_rmem = 4096 87380 6291456\n");
	lint();
	is_str(say("net.ipv4.tcp_rmem", SD), "shadowed /usr/lib/sysctl.d/95-late.conf:1 4096 87380 6291456",
	       "/usr/lib/sysctl.d/95-late.conf is read after /etc/sysctl.d/90-tunekit.conf");
	put("/usr/lib/sysctl.d/95-late.conf", "net.ipv4.tcp_rmem = 4096\t131072   6291456\n");
	lint();
	is_int(verdict("net.ipv4.tcp_rmem", SD)->status, SYSCTLD_OK,
	       "the same value spelt with other blanks is no shadowing");
	put("/usr/lib/sysctl.d/90-tunekit.confX", "net.ipv4.tcp_rmem = 9 9 9\n");
	put("/etc/sysctl.d/.99-hidden.conf", "net.ipv4.tcp_rmem = 9 9 9\n");
	put("/etc/sysctl.d/99-x.conf.dpkg-old", "net.ipv4.tcp_rmem = 9 9 9\n");
	char *dir = xasprintf("%s/etc/sysctl.d/99-dir.conf", tree);
	if (mkdir_p(dir, 0755) < 0)
		abort();
	free(dir);
	is_int(lint(), 0, "a directory named *.conf is skipped");
	is_int(verdict("net.ipv4.tcp_rmem", SD)->status, SYSCTLD_OK,
	       "hidden files and names not ending in .conf are not read");
	is_int((long long)rep.files_read, 3, "only 10-early, ours and 95-late are read");
}

static void test_sysctl_conf(void)
{
	diag("/etc/sysctl.conf: procps reads it last, systemd does not");
	new_tree();
	put(OURS, "net.core.somaxconn = 4096\n");
	put("/etc/sysctl.conf", "net.core.somaxconn = 128\n");
	put("/usr/lib/sysctl.d/99-zz.conf", "# nothing\n");
	lint();
	is_str(say("net.core.somaxconn", SD), "ok " OURS ":1 4096", "systemd-sysctl does not read /etc/sysctl.conf");
	is_str(say("net.core.somaxconn", PP), "shadowed /etc/sysctl.conf:1 128",
	       "sysctl --system reads /etc/sysctl.conf after every directory");
	link_to("/etc/sysctl.d/99-sysctl.conf", "../sysctl.conf");
	lint();
	is_str(say("net.core.somaxconn", SD), "shadowed /etc/sysctl.d/99-sysctl.conf:1 128",
	       "linked in as 99-sysctl.conf, systemd reads it too");
}

static void test_globs(void)
{
	diag("globs");
	new_tree();
	put(OURS, "net.ipv4.conf.all.rp_filter = 1\n");
	put("/etc/sysctl.d/95-rp.conf", "net.ipv4.conf.*.rp_filter = 2\n");
	lint();
	is_str(say("net.ipv4.conf.all.rp_filter", SD), "ok " OURS ":1 1",
	       "an explicit key beats a later glob (systemd)");
	is_str(say("net.ipv4.conf.all.rp_filter", PP), "ok " OURS ":1 1",
	       "an explicit key beats a later glob (procps)");

	lint_want("net.ipv4.conf.eth0.rp_filter", "1");
	is_str(say("net.ipv4.conf.eth0.rp_filter", SD),
	       "missing /etc/sysctl.d/95-rp.conf:1 2 via net/ipv4/conf/*/rp_filter",
	       "a key we do not persist: the glob sets it at boot");

	put("/etc/sysctl.d/96-rp.conf", "net.ipv4.conf.e*.rp_filter = 0\n");
	put("/etc/sysctl.d/97-rp.conf", "net.ipv4.conf.*.rp_filter = 2\n");
	lint_want("net.ipv4.conf.eth0.rp_filter", "1");
	is_str(say("net.ipv4.conf.eth0.rp_filter", SD),
	       "missing /etc/sysctl.d/96-rp.conf:1 0 via net/ipv4/conf/e*/rp_filter",
	       "systemd: an unchanged re-assignment keeps the glob's first place");
	is_str(say("net.ipv4.conf.eth0.rp_filter", PP),
	       "missing /etc/sysctl.d/97-rp.conf:1 2 via net/ipv4/conf/*/rp_filter",
	       "procps: globs apply in line order, the last one wins");

	put("/etc/sysctl.d/98-rp.conf", "-net.ipv4.conf.e*.rp_filter\n");
	lint_want("net.ipv4.conf.eth0.rp_filter", "1");
	is_str(say("net.ipv4.conf.eth0.rp_filter", PP), "missing -:0 (unset)",
	       "procps: a glob exclusion keeps every glob off the key");
	is_str(say("net.ipv4.conf.eth0.rp_filter", SD),
	       "missing /etc/sysctl.d/95-rp.conf:1 2 via net/ipv4/conf/*/rp_filter",
	       "systemd: a glob exclusion only drops that pattern's own assignment");

	put("/etc/sysctl.d/99-ex.conf", "-net.ipv4.conf.eth0.rp_filter\n");
	lint_want("net.ipv4.conf.eth0.rp_filter", "1");
	is_str(say("net.ipv4.conf.eth0.rp_filter", SD), "missing /etc/sysctl.d/99-ex.conf:1 (unset)",
	       "systemd: an exact exclusion keeps globs off the key");

	new_tree();
	put(OURS, "net.core.rmem_max = 1\n");
	put("/etc/sysctl.d/95-rp.conf", "net.ipv4.conf.[!a]*.rp_filter = 2\nnet.ipv4.conf.a??.rp_filter = 0\n"
					"net.*.rp_filter = 7\n");
	put("/etc/sysctl.d/00-pathological.conf",
	    "net.ipv4.conf.*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b.rp_filter = 9\n");
	lint_want("net.ipv4.conf.all.rp_filter", "1");
	is_str(say("net.ipv4.conf.all.rp_filter", SD),
	       "missing /etc/sysctl.d/95-rp.conf:2 0 via net/ipv4/conf/a?\?/rp_filter",
	       "classes and '?' per component; '*' does not cross a separator");
}

static void test_glob_match(void)
{
	diag("the glob matcher");
	ok(sysctld_glob_match("net/ipv4/conf/*/rp_filter", "net/ipv4/conf/eth0.100/rp_filter"),
	   "'*' matches a component with a literal dot");
	ok(!sysctld_glob_match("net/*/rp_filter", "net/ipv4/conf/all/rp_filter"), "'*' stays in its component");
	ok(!sysctld_glob_match("net/ipv4/conf/?/x", "net/ipv4/conf/ab/x"), "'?' is one character");
	ok(sysctld_glob_match("a/[a-c][!x]z", "a/bqz"), "range and negation");
	ok(sysctld_glob_match("a/[]]", "a/]"), "']' first in a class is literal");
	ok(sysctld_glob_match("a/[x", "a/[x"), "an unterminated '[' is literal");
	ok(sysctld_glob_match("a/\\*", "a/*") && !sysctld_glob_match("a/\\*", "a/b"), "backslash escapes");
	ok(!sysctld_glob_match("a/b", "a/b/c") && !sysctld_glob_match("a/b/c", "a/b"),
	   "component counts must agree");

	char *pat = xmalloc(20001), *key = xmalloc(257);
	for (int i = 0; i < 20000; i += 2)
		memcpy(pat + i, "*a", 2);
	strcpy(pat + 19998, "b");
	memset(key, 'a', 256);
	key[256] = '\0';
	clock_t t0 = clock();
	ok(!sysctld_glob_match(pat, key), "10000 stars against 256 a's: no match");
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0, "and no exponential backtracking");
	free(pat);
	free(key);
}

static int count_lines(const struct sysctld_line *l, void *ctx)
{
	(void)l;
	(*(int *)ctx)++;
	return 0;
}

static void test_forms(void)
{
	diag("key forms, '-' prefix, comments, a key set twice");
	char out[64];
	sysctld_normalize("net.ipv4.conf.eth0/100.rp_filter", 32, out);
	is_str(out, "net/ipv4/conf/eth0.100/rp_filter", "dot form: dots and slashes swap");
	sysctld_normalize("net/ipv4/conf/eth0.100/rp_filter", 32, out);
	is_str(out, "net/ipv4/conf/eth0.100/rp_filter", "slash form stays");
	sysctld_normalize("/net//core/./rmem_max/", 22, out);
	is_str(out, "net/core/rmem_max", "leading, repeated, trailing slashes and '.' go");

	int n = 0;
	const char *text = "# c\n; c\n  # c\nnet.a=1\n-net.b = 2\n-net.c\nbad\n=1\n-\n \t\nnet.d\t=\t4\n";
	is_int(sysctld_parse(text, strlen(text), count_lines, &n), 3, "three malformed lines skipped");
	is_int(n, 4, "four assignments");

	new_tree();
	put(OURS, "net.core.rmem_max = 1000\nnet.ipv4.conf.eth0/100.rp_filter = 1\n");
	put("/etc/sysctl.d/95-slash.conf", "net/core/rmem_max = 5000\n");
	put("/etc/sysctl.d/96-slash.conf", "net/ipv4/conf/eth0.100/rp_filter = 2\n");
	lint();
	is_str(say("net.core.rmem_max", SD), "shadowed /etc/sysctl.d/95-slash.conf:1 5000",
	       "slash form shadows the dot form");
	is_str(say("net.ipv4.conf.eth0/100.rp_filter", PP), "shadowed /etc/sysctl.d/96-slash.conf:1 2",
	       "eth0/100 in dot form is eth0.100 in slash form");

	new_tree();
	put(OURS, "net.core.rmem_max = 1000\nnet.core.wmem_max = 1000\n");
	put("/etc/sysctl.d/95-dash.conf", "-net.core.rmem_max = 5000\n-net.core.wmem_max\n");
	lint();
	is_str(say("net.core.rmem_max", SD), "shadowed /etc/sysctl.d/95-dash.conf:1 5000",
	       "'-key = value' still assigns");
	is_str(say("net.core.wmem_max", SD), "excluded /etc/sysctl.d/95-dash.conf:2 (unset)",
	       "systemd: a later '-key' drops our assignment");
	is_str(say("net.core.wmem_max", PP), "ok " OURS ":2 1000", "procps: '-key' only keeps globs off");

	new_tree();
	put(OURS, "net.core.rmem_max = 1000\n");
	put("/etc/sysctl.d/95-comments.conf",
	    "# net.core.rmem_max = 5000\n; net.core.rmem_max = 5000\n   #net.core.rmem_max=5000\n");
	lint();
	is_int(verdict("net.core.rmem_max", SD)->status, SYSCTLD_OK, "commented-out lines set nothing");

	new_tree();
	put(OURS, "net.core.rmem_max = 1\nnet.core.rmem_max = 1000\nnet.core.wmem_max = 1000\n");
	put("/etc/sysctl.d/95-twice.conf",
	    "net.core.rmem_max = 1000\nnet.core.rmem_max = 5000\nnet.core.wmem_max = 5000\nnet.core.wmem_max = 1000\n");
	lint();
	is_str(say("net.core.rmem_max", SD), "shadowed /etc/sysctl.d/95-twice.conf:2 5000",
	       "set twice in a later file: the second line wins (systemd)");
	is_str(say("net.core.rmem_max", PP), "shadowed /etc/sysctl.d/95-twice.conf:2 5000",
	       "set twice in a later file: the second line wins (procps)");
	is_int(verdict("net.core.wmem_max", SD)->status, SYSCTLD_OK, "set back to our value on its second line");
	is_int((long long)rep.v[0].our_line, 2, "our own file's last line for the key counts");
}

static void test_our_file_masked(void)
{
	diag("our file masked");
	new_tree();
	put("/run/sysctl.d/90-tunekit.conf", "net.core.rmem_max = 1000\n");
	link_to(OURS, "/dev/null");
	put("/usr/lib/sysctl.d/50-vendor.conf", "net.core.rmem_max = 212992\n");
	is_int(lint_path("/run/sysctl.d/90-tunekit.conf"), 0, "lint of /run/sysctl.d/90-tunekit.conf");
	is_str(rep.masked_by, OURS, "masked by the /etc one");
	is_str(say("net.core.rmem_max", SD), "masked /usr/lib/sysctl.d/50-vendor.conf:1 212992",
	       "masked: the vendor value is in force at boot");

	new_tree();
	link_to(OURS, "/dev/null");
	lint_want("net.core.rmem_max", "1000");
	is_str(rep.masked_how, "symlink to /dev/null", "our own path a /dev/null symlink");
	is_str(say("net.core.rmem_max", PP), "masked -:0 (unset)", "nothing sets it at boot");
	new_tree();
	put(OURS, "");
	lint_want("net.core.rmem_max", "1000");
	is_str(rep.masked_how, "empty file", "our own file empty");

	new_tree();
	put(OURS, "net.core.rmem_max = 1000\n");
	lint_want("net.core.rmem_max", "2000");
	is_int(verdict("net.core.rmem_max", SD)->status, SYSCTLD_STALE, "persisting another value is stale");
	sysctld_report_free(&rep);
	is_int(sysctld_lint("/etc/sysctl.d/90-tunekit.txt", &(struct kv_list){ 0 }, &rep), -EINVAL,
	       "our file must end in .conf");
	is_int(sysctld_lint("/etc/90-tunekit.conf", &(struct kv_list){ 0 }, &rep), -EINVAL,
	       "our file must lie in a sysctl.d directory");
}

static void test_root_escape(void)
{
	diag("symlinks resolve inside the root");
	new_tree();
	put(OURS, "net.core.rmem_max = 1000\n");
	put("/etc/other/abs.conf", "net.core.rmem_max = 7000\n");
	link_to("/etc/sysctl.d/95-abs.conf", "/etc/other/abs.conf");
	put("/etc/other/up.conf", "net.core.rmem_max = 8000\n");
	link_to("/etc/sysctl.d/96-up.conf", "../../../../../../../../etc/other/up.conf");
	lint();
	is_str(say("net.core.rmem_max", SD), "shadowed /etc/sysctl.d/96-up.conf:1 8000",
	       "absolute and '..' links read the tree's file, not the host's");
	is_int((long long)rep.files_read, 3, "three files read");
}

static void test_tuned(void)
{
	diag("TuneD profiles");
	struct tuned_state ts;
	new_tree();
	is_int(tuned_load(&ts), 0, "no TuneD: fine");
	ok(!ts.active && ts.n == 0, "nothing found");
	tuned_state_free(&ts);

	put("/etc/tuned/active_profile", "mine\n");
	put("/etc/tuned/mine/tuned.conf",
	    "[main]\ninclude=base\n[sysctl]\nnet.core.rmem_max=16777216\n[vm]\ntransparent_hugepages=never\n");
	put("/usr/lib/tuned/base/tuned.conf",
	    "[main]\ninclude = mine\n[sysctl]\nnet.core.rmem_max = 8388608\nnet/core/wmem_max = 4194304 # inline\n"
	    "[my_sysctl]\ntype = sysctl\nnet.ipv4.tcp_rmem = 1 2 3\n[other]\nnet.ipv4.tcp_wmem = 9\n");
	is_int(tuned_load(&ts), 0, "load mine -> base -> mine");
	ok(ts.include_loop, "the include loop is seen and broken");
	is_int((long long)ts.nfiles, 2, "two files read");
	is_int((long long)ts.n, 3, "three sysctl keys");
	for (size_t i = 0; i < ts.n; i++) {
		if (strcmp(ts.v[i].key, "net/core/rmem_max") == 0) {
			is_str(ts.v[i].value, "16777216", "the including profile wins");
			is_str(ts.v[i].file, "/etc/tuned/mine/tuned.conf", "from its file");
			is_int(ts.v[i].line, 4, "and line");
		}
		if (strcmp(ts.v[i].key, "net/core/wmem_max") == 0)
			is_str(ts.v[i].value, "4194304", "inline comment stripped");
	}
	tuned_state_free(&ts);

	new_tree();
	put("/etc/tuned/active_profile", "throughput-performance extra\n");
	put("/etc/tuned/throughput-performance/tuned.conf",
	    "[main]\ninclude=throughput-performance\n[sysctl]\nnet.core.rmem_max=1\n");
	put("/usr/lib/tuned/throughput-performance/tuned.conf", "[sysctl]\nnet.core.rmem_max=2\nnet.core.wmem_max=2\n");
	put("/usr/lib/tuned/profiles/extra/tuned.conf", "[main]\ninclude=-gone missing ${f:x}\n[sysctl]\nnet.core.wmem_max=3\n");
	tuned_load(&ts);
	ok(!ts.include_loop, "a profile extending the system one of the same name is no loop");
	is_int((long long)ts.nfiles, 3, "three files");
	is_int((long long)ts.nunresolved, 2, "'missing' and a variable unresolved, '-gone' optional");
	for (size_t i = 0; i < ts.n; i++) {
		if (strcmp(ts.v[i].key, "net/core/rmem_max") == 0)
			is_str(ts.v[i].value, "1", "/etc override of the system profile");
		if (strcmp(ts.v[i].key, "net/core/wmem_max") == 0)
			is_str(ts.v[i].value, "3", "the later active profile wins");
	}
	tuned_state_free(&ts);

	new_tree();
	put("/etc/tuned/active_profile", "p0");
	for (int i = 0; i < 40; i++) {
		char path[64], conf[128];
		snprintf(path, sizeof(path), "/usr/lib/tuned/p%d/tuned.conf", i);
		snprintf(conf, sizeof(conf), "[main]\ninclude=p%d\n[sysctl]\nnet.core.somaxconn=%d\n", i + 1, i);
		put(path, conf);
	}
	tuned_load(&ts);
	ok(ts.too_deep, "a 40-deep include chain stops at the bound");
	ok(ts.nfiles <= TUNED_INCLUDE_DEPTH + 1, "and reads no more than the bound");
	tuned_state_free(&ts);
}

static void test_proc(const char *proc)
{
	diag("bpftune and tuned in a fake /proc");
	pid_t *pids;
	size_t n;
	is_int(proc_find_comm("bpftune", &pids, &n), 0, "scan an empty proc");
	is_int((long long)n, 0, "nothing running");
	free(pids);

	const char *procs[][2] = { { "123", "bpftune\n" }, { "45", "bash\n" }, { "7", "bpftune" },
				   { "99", "bpftunex\n" }, { "self", "bpftune\n" }, { "300", "tuned\n" } };
	for (size_t i = 0; i < ARRAY_SIZE(procs); i++) {
		char *dir = xasprintf("%s/%s", proc, procs[i][0]);
		char *comm = xasprintf("%s/comm", dir);
		mkdir_p(dir, 0755);
		FILE *f = fopen(comm, "w");
		fputs(procs[i][1], f);
		fclose(f);
		free(dir);
		free(comm);
	}
	is_int(proc_find_comm("bpftune", &pids, &n), 0, "scan");
	is_int((long long)n, 2, "two bpftune processes (not bpftunex, not 'self')");
	if (n == 2) {
		is_int(pids[0], 7, "pid 7");
		is_int(pids[1], 123, "pid 123");
	}
	free(pids);
	is_str(bpftune_tuner_for("net.ipv4.tcp_rmem"), "tcp_buffer", "tcp_rmem is tcp_buffer's");
	ok(bpftune_tuner_for("net.ipv4.tcp_congestion_control") == NULL, "the default cc is not a bpftune sysctl");

	struct tuned_state ts;
	new_tree();
	tuned_load(&ts);
	is_int(ts.pid, 300, "a running tuned is found");
	tuned_state_free(&ts);
}

int main(void)
{
	char tmpl[] = "/tmp/tk-sysctld-XXXXXX";
	base = mkdtemp(tmpl);
	if (!base)
		return 1;
	char *proc = xasprintf("%s/proc", base);
	mkdir_p(proc, 0755);
	setenv("TUNEKIT_PROC", proc, 1);

	test_precedence();
	test_masking();
	test_lexical();
	test_sysctl_conf();
	test_globs();
	test_glob_match();
	test_forms();
	test_our_file_masked();
	test_root_escape();
	test_tuned();
	test_proc(proc);

	sysctld_report_free(&rep);
	remove_tree(base);
	free(proc);
	free(tree);
	return done_testing();
}
