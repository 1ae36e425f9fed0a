/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "sysctl.h"
#include "tap.h"
#include "xalloc.h"

static void key_ok(const char *key, const char *dot, const char *rel)
{
	char d[SYSCTL_KEY_MAX + 1], r[SYSCTL_KEY_MAX + 1];
	const char *why = NULL;
	int rc = sysctl_key_parse(key, d, sizeof(d), r, sizeof(r), &why);
	ok(rc == 0, "key '%s' accepted", key);
	if (rc == 0) {
		is_str(d, dot, "key '%s' dot form", key);
		is_str(r, rel, "key '%s' path form", key);
	}
}

static void key_bad(const char *key, const char *label)
{
	const char *why = NULL;
	int rc = sysctl_key_parse(key, NULL, 0, NULL, 0, &why);
	ok(rc == -EINVAL && why != NULL, "key rejected: %s (%s)", label, why ? why : "-");
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror(path);
		close(fd);
	}
	chmod(path, mode);
}

static int count_keys(const char *key, void *ctx)
{
	(void)key;
	(*(int *)ctx)++;
	return 0;
}

static int first_key(const char *key, void *ctx)
{
	char **out = ctx;
	if (!*out)
		*out = xstrdup(key);
	return 0;
}

int main(void)
{
	key_ok("net.ipv4.tcp_rmem", "net.ipv4.tcp_rmem", "net/ipv4/tcp_rmem");
	key_ok("net/ipv4/tcp_rmem", "net.ipv4.tcp_rmem", "net/ipv4/tcp_rmem");
	key_ok("net.ipv4.conf.eth0/100.rp_filter", "net.ipv4.conf.eth0/100.rp_filter",
	       "net/ipv4/conf/eth0.100/rp_filter");
	key_ok("net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0/100.rp_filter",
	       "net/ipv4/conf/eth0.100/rp_filter");
	key_ok("vm.swappiness", "vm.swappiness", "vm/swappiness");

	key_bad("", "empty");
	key_bad("net..ipv4", "empty component");
	key_bad("net.ipv4.", "trailing separator");
	key_bad(".net.ipv4", "leading dot");
	key_bad("/proc/sys/net", "leading slash");
	key_bad("net/../../etc/shadow", "'..' in path form");
	key_bad("net.//.//.etc.shadow", "'..' spelt '//' in dot form");
	key_bad("net./.x", "'.' spelt '/' in dot form");
	key_bad("net.ipv4.tcp rmem", "space");
	key_bad("net.ipv4.tcp_rmem\n", "newline");
	key_bad("net.ipv4.\ttcp", "tab");
	key_bad("net.ipv4.\x01x", "control character");
	key_bad("net.ipv4.conf.*.rp_filter", "glob");
	{
		char longkey[400];
		memset(longkey, 'a', sizeof(longkey) - 1);
		longkey[sizeof(longkey) - 1] = '\0';
		key_bad(longkey, "too long");
	}

	/* value helpers */
	char out[64];
	sysctl_value_normalize("  4096\t131072  6291456\n", out, sizeof(out));
	is_str(out, "4096 131072 6291456", "normalize collapses blanks");
	ok(sysctl_value_equal("4096 87380 6291456", "4096\t87380\t6291456"), "tab and space values equal");
	ok(!sysctl_value_equal("4096 87380", "4096 87381"), "different values differ");
	ok(sysctl_value_is_numeric("4096 87380 6291456"), "triplet is numeric");
	ok(sysctl_value_is_numeric("-1"), "negative is numeric");
	ok(!sysctl_value_is_numeric("bbr"), "word is not numeric");
	ok(!sysctl_value_is_numeric("12abc"), "digits with junk not numeric");
	ok(!sysctl_value_is_numeric(""), "empty not numeric");

	/* read/write against a fake proc tree */
	char tmpl[] = "/tmp/tk-sysctl-XXXXXX";
	char *dir = mkdtemp(tmpl);
	ok(dir != NULL, "temp dir");
	char *p = xasprintf("%s/sys/net/ipv4/conf/eth0.100", dir);
	ok(mkdir_p(p, 0755) == 0, "mkdir_p fake tree");
	free(p);
	p = xasprintf("%s/sys/net/ipv4/tcp_rmem", dir);
	write_file(p, "4096\t131072\t6291456\n", 0644);
	free(p);
	p = xasprintf("%s/sys/net/ipv4/conf/eth0.100/rp_filter", dir);
	write_file(p, "1\n", 0644);
	free(p);
	p = xasprintf("%s/sys/net/ipv4/readonly", dir);
	write_file(p, "7\n", 0444);
	free(p);
	setenv("TUNEKIT_PROC", dir, 1);

	char *v = NULL;
	is_int(sysctl_read("net.ipv4.tcp_rmem", &v), 0, "read tcp_rmem");
	is_str(v, "4096 131072 6291456", "value without trailing newline, tabs as spaces");
	free(v);
	v = NULL;
	is_int(sysctl_read("net.ipv4.conf.eth0/100.rp_filter", &v), 0, "read vlan key in dot form");
	is_str(v, "1", "vlan key value");
	free(v);
	is_int(sysctl_write("net/ipv4/conf/eth0.100/rp_filter", "2"), 0, "write in path form");
	v = NULL;
	sysctl_read("net.ipv4.conf.eth0/100.rp_filter", &v);
	is_str(v, "2", "read back written value");
	free(v);
	is_int(sysctl_read("net.ipv4.nope", &v), -ENOENT, "missing key is -ENOENT");
	is_int(sysctl_read("net.ipv4", &v), -EISDIR, "directory is -EISDIR");
	is_int(sysctl_read("net/../../etc", &v), -EINVAL, "traversal is -EINVAL");
	ok(sysctl_exists("net.ipv4.tcp_rmem"), "exists");
	ok(!sysctl_exists("net.ipv4.nope"), "not exists");
	ok(sysctl_writable("net.ipv4.tcp_rmem"), "writable");
	ok(!sysctl_writable("net.ipv4.readonly"), "0444 file is not writable");

	/* a symlink out of the root is refused even though the key is clean */
	p = xasprintf("%s/sys/net/escape", dir);
	ok(symlink("/etc/hostname", p) == 0, "plant symlink");
	free(p);
	is_int(sysctl_read("net.escape", &v), -EXDEV, "symlink out of root refused");

	int n = 0;
	sysctl_walk("net", count_keys, &n);
	is_int(n, 3, "walk finds the three regular keys (symlink skipped)");
	char *first = NULL;
	sysctl_walk("net.ipv4.conf", first_key, &first);
	is_str(first, "net.ipv4.conf.eth0/100.rp_filter", "walk gives dot form with '/' for dots");
	free(first);

	remove_tree(dir);
	return done_testing();
}
