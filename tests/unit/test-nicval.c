/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rings and coalescing as engine keys (lib/nicval.c): the ethtool key
 * schema and its hostile spellings (also through lib/sysctl.c, the
 * engine's door), canonical values, the RUN line of the udev rule file
 * formatted and parsed back and every foreign or altered line refused, and
 * the ETHTOOL_MSG_RINGS_SET / COALESCE_SET requests of lib/nl.c decoded
 * back with libmnl. The rings path cannot reach a kernel driver on the
 * test machines (no virtual driver implements RINGS_SET; netdevsim is not
 * built), so its request is checked here by decoding it; coalescing is
 * written for real on a tap device in tests/bats/nettune-queues-ethtool.bats.
 */
#include "config.h"

#include <net/if.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libmnl/libmnl.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>

#include "fileutil.h"
#include "kvconf.h"
#include "nicval.h"
#include "nl.h"
#include "paths.h"
#include "sysctl.h"
#include "sysfsval.h"
#include "tap.h"
#include "txn.h"
#include "xalloc.h"

static void test_schema(void)
{
	static const struct {
		const char *key;
		enum nic_attr attr;
	} good[] = {
		{ "ethtool:eth0/rings/rx", NIC_RING_RX },
		{ "ethtool:eth0/rings/tx", NIC_RING_TX },
		{ "ethtool:eth0.100/coalesce/rx-usecs", NIC_COAL_RX_USECS },
		{ "ethtool:a@b+c_d-e/coalesce/rx-frames", NIC_COAL_RX_FRAMES },
		{ "ethtool:t0/coalesce/tx-usecs", NIC_COAL_TX_USECS },
		{ "ethtool:t0/coalesce/tx-frames", NIC_COAL_TX_FRAMES },
		{ "ethtool:t0/coalesce/adaptive-rx", NIC_COAL_ADAPTIVE_RX },
		{ "ethtool:012345678901234/coalesce/adaptive-tx", NIC_COAL_ADAPTIVE_TX },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct nic_key k;
		const char *why = NULL;
		ok(nic_key_parse(good[i].key, &k, &why) == 0 && k.attr == good[i].attr, "schema key %s", good[i].key);
		char dot[SYSCTL_KEY_MAX + 1];
		ok(sysctl_key_parse(good[i].key, dot, sizeof(dot), NULL, 0, NULL) == 0 && !strcmp(dot, good[i].key),
		   "the engine takes it as its own canonical form: %s", good[i].key);
		ok(sysctl_key_allowed(good[i].key, NULL), "allowed where net. is: %s", good[i].key);
		ok(!sysctl_key_secret(good[i].key), "not a secret: %s", good[i].key);
		char made[SYSCTL_KEY_MAX + 1];
		is_int(nic_key_make(made, sizeof(made), k.dev, k.attr), 0, "key_make %s", good[i].key);
		is_str(made, good[i].key, "key_make gives the same key");
	}
	/* hostile spellings: refused by the schema and by the engine's door */
	static const char *const bad[] = {
		"ethtool:../rings/rx",
		"ethtool:a..b/rings/rx",
		"ethtool:./rings/rx",
		"ethtool:/rings/rx",
		"ethtool:a/b/rings/rx",
		"ethtool:eth0/rings/../rings/rx",
		"ethtool:eth0/rings/rx/",
		"ethtool:eth0//rings/rx",
		"ethtool:eth0/rings/RX",
		"ethtool:eth0/rings/rx ",
		"ethtool:eth0/rings",
		"ethtool:eth0/rings/rx-jumbo",
		"ethtool:eth0/coalesce/",
		"ethtool:eth0/coalesce/rx-usecs-irq",
		"ethtool:eth0/coalesce/rx_usecs",
		"ethtool:eth0",
		"ethtool:",
		"ethtool:0123456789abcdef/rings/rx", /* 16 bytes */
		"ethtool:eth*/rings/rx",             /* a udev glob */
		"ethtool:eth\"0/rings/rx",           /* udev quoting */
		"ethtool:eth 0/rings/rx",
		"ethtool:eth\n0/rings/rx",
		"ethtool:eth$0/rings/rx",
		"ethtool:eth%k/rings/rx",            /* a udev substitution */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		ok(nic_key_parse(bad[i], NULL, &why) == -EINVAL && why, "refused: '%s'", bad[i]);
		ok(sysctl_key_parse(bad[i], NULL, 0, NULL, 0, NULL) == -EINVAL, "the engine refuses it too: '%s'", bad[i]);
	}
	ok(!nic_key_is("ETHTOOL:eth0/rings/rx") && !nic_key_is("sysfs:net/eth0/tx_queue_len"), "only ethtool: keys");
	char small[8];
	is_int(nic_key_make(small, sizeof(small), "eth0", NIC_RING_RX), -EINVAL, "key_make: buffer too small");
	is_int(nic_key_make(small, sizeof(small), "../x", NIC_RING_RX), -EINVAL, "key_make: bad device");
	enum nic_attr a;
	ok(nic_coalesce_name_parse("rx-frames", &a) == 0 && a == NIC_COAL_RX_FRAMES, "--coalesce name rx-frames");
	is_int(nic_coalesce_name_parse("rx", &a), -EINVAL, "--coalesce name rx refused");
	is_int(nic_coalesce_name_parse("rings/rx", &a), -EINVAL, "--coalesce name rings/rx refused");
	is_str(nic_attr_coalesce_name(NIC_COAL_ADAPTIVE_TX), "adaptive-tx", "coalesce name of adaptive-tx");
	ok(nic_attr_coalesce_name(NIC_RING_RX) == NULL, "a ring has no coalesce name");
}

static void test_values(void)
{
	static const struct {
		const char *key, *in, *out;
	} good[] = {
		{ "ethtool:e/rings/rx", "4096", "4096" },
		{ "ethtool:e/rings/rx", "0004096", "4096" },
		{ "ethtool:e/rings/tx", "0", "0" },
		{ "ethtool:e/coalesce/rx-usecs", "4294967295", "4294967295" },
		{ "ethtool:e/coalesce/adaptive-rx", "1", "1" },
		{ "ethtool:e/coalesce/adaptive-tx", "00", "0" },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char out[16];
		ok(nic_value_normalize(good[i].key, good[i].in, out, sizeof(out), NULL) == 0 && !strcmp(out, good[i].out),
		   "%s = '%s' -> '%s'", good[i].key, good[i].in, good[i].out);
		char *canon = NULL;
		ok(sysctl_key_value_normalize(good[i].key, good[i].in, &canon, NULL) == 0 && !strcmp(canon, good[i].out),
		   "the engine normalises it the same");
		free(canon);
	}
	static const struct {
		const char *key, *in;
	} bad[] = {
		{ "ethtool:e/rings/rx", "" },          { "ethtool:e/rings/rx", "-1" },
		{ "ethtool:e/rings/rx", "+1" },        { "ethtool:e/rings/rx", "0x10" },
		{ "ethtool:e/rings/rx", "1 " },        { "ethtool:e/rings/rx", " 1" },
		{ "ethtool:e/rings/rx", "1e3" },       { "ethtool:e/rings/rx", "4294967296" },
		{ "ethtool:e/rings/rx", "99999999999" }, { "ethtool:e/rings/rx", "1;reboot" },
		{ "ethtool:e/rings/rx", "4k" },        { "ethtool:e/coalesce/adaptive-rx", "2" },
		{ "ethtool:e/coalesce/adaptive-tx", "on" }, { "ethtool:e/coalesce/rx-frames", "1\n2" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char out[16];
		const char *why = NULL;
		ok(nic_value_normalize(bad[i].key, bad[i].in, out, sizeof(out), &why) == -EINVAL && why,
		   "%s = '%s' refused", bad[i].key, bad[i].in);
	}
	ok(nic_value_equal("ethtool:e/rings/rx", "0512", "512"), "values compare by number");
	ok(sysctl_key_value_equal("ethtool:e/rings/rx", "512", "0512"), "and so does the engine");
	ok(!nic_value_equal("ethtool:e/rings/rx", "512", "1024"), "different numbers differ");
}

/* The RUN line of the rule file: formatted, parsed back, anything else refused. */
static void test_rule_lines(void)
{
	const char *prog = nic_set_program();
	ok(prog[0] == '/' && strstr(prog, "/tunekit-nicset") != NULL, "the rule runs an absolute path: %s", prog);
	struct kv_list in = { 0 }, out = { 0 };
	kv_list_set(&in, "ethtool:t0/coalesce/rx-frames", "16");
	kv_list_set(&in, "ethtool:eth0/rings/rx", "4096");
	kv_list_set(&in, "ethtool:t0/rings/tx", "0512");
	kv_list_set(&in, "sysfs:net/t0/tx_queue_len", "2000");
	kv_list_set(&in, "net.core.rmem_max", "1"); /* not a queue setting: left out */
	char *text = sysfs_udev_format(&in);
	char *want = xasprintf(
		"ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"t0\", ATTR{tx_queue_len}=\"2000\"\n"
		"ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"eth0\", RUN+=\"%s eth0 rings/rx=4096\"\n"
		"ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"t0\", RUN+=\"%s t0 coalesce/rx-frames=16 rings/tx=512\"\n",
		prog, prog);
	const char *body = strstr(text, "ACTION");
	is_str(body, want, "one sorted RUN line a device, after the ATTR lines, values canonical");
	struct kv_error kerr = { 0, NULL };
	is_int(sysfs_udev_parse(text, strlen(text), &out, &kerr), 0, "the generated file parses back");
	is_int((long long)out.n, 4, "three ethtool settings and the sysfs one");
	long j = kv_list_find(&out, "ethtool:t0/rings/tx");
	ok(j >= 0 && !strcmp(out.v[j].value, "512"), "a RUN argument comes back as its key and value");
	free(want);
	free(text);
	kv_list_free(&in);
	kv_list_free(&out);

	/* what a hostile user or a stale file could put there: refused whole */
	const char *m = "ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"t0\", ";
	char *hostile[] = {
		xasprintf("%sRUN+=\"/bin/sh -c 'id > /tmp/pwned'\"\n", m),
		xasprintf("%sRUN+=\"/tmp/tunekit-nicset t0 coalesce/rx-frames=16\"\n", m),
		xasprintf("%sRUN+=\"%s/../../../bin/sh t0 coalesce/rx-frames=16\"\n", m, prog),
		xasprintf("%sRUN+=\"%sx t0 coalesce/rx-frames=16\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 coalesce/rx-frames=16 ; rm -rf /\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 coalesce/rx-frames=16 extra\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 coalesce/rx-frames=16 --help\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t1 coalesce/rx-frames=16\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 \"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0  coalesce/rx-frames=16\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 coalesce/rx-frames=16 \"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 coalesce/rx-frames=016\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 coalesce/rx-frames=16 coalesce/rx-frames=8\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 coalesce/../rings/rx=16\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 rings/rx=1$(id)\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 rings/rx=%%k\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 coalesce/rx-usecs-irq=1\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 coalesce/adaptive-rx=2\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 coalesce/rx-frames=16\", OPTIONS+=\"x\"\n", m, prog),
		xasprintf("%sRUN+=\"%s t0 coalesce/rx-frames=16\"\n%sRUN+=\"%s t0 rings/rx=1\"\n", m, prog, m, prog),
		xasprintf("%sPROGRAM==\"%s t0 coalesce/rx-frames=16\"\n", m, prog),
		xasprintf("%sRUN=\"%s t0 coalesce/rx-frames=16\"\n", m, prog),
		xasprintf("ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"t*\", RUN+=\"%s t* rings/rx=1\"\n", prog),
		xasprintf("ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"..\", RUN+=\"%s .. rings/rx=1\"\n", prog),
		xasprintf("ACTION==\"add\", SUBSYSTEM==\"net\", KERNEL==\"t0\", RUN+=\"%s t0 rings/rx=1\"\n", prog),
	};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		struct kv_list got = { 0 };
		kv_list_set(&got, "net.core.rmem_max", "1");
		struct kv_error e = { 0, NULL };
		is_int(sysfs_udev_parse(hostile[i], strlen(hostile[i]), &got, &e), -EINVAL, "refused: %.*s",
		       (int)strcspn(hostile[i] + strlen(m), "\n"), hostile[i] + strlen(m));
		ok(e.line >= 1 && e.why && got.n == 1, "  naming the line (%u: %s), the list untouched", e.line,
		   e.why ? e.why : "(null)");
		kv_list_free(&got);
		free(hostile[i]);
	}
}

/* Decode a SET request: the header's device, then each attribute once. */
struct decoded {
	uint32_t u32[ETHTOOL_A_COALESCE_MAX + 1];
	uint8_t u8[ETHTOOL_A_COALESCE_MAX + 1];
	int seen[ETHTOOL_A_COALESCE_MAX + 1];
	char dev[IF_NAMESIZE];
	int nattrs;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct decoded *d = data;
	unsigned t = mnl_attr_get_type(a);
	d->nattrs++;
	if (t > ETHTOOL_A_COALESCE_MAX)
		return MNL_CB_OK;
	d->seen[t]++;
	if (t == 1) { /* the header nest of every ethtool message */
		const struct nlattr *in;
		mnl_attr_for_each_nested(in, a) {
			if (mnl_attr_get_type(in) == ETHTOOL_A_HEADER_DEV_NAME)
				snprintf(d->dev, sizeof(d->dev), "%s", mnl_attr_get_str(in));
		}
	} else if (mnl_attr_get_payload_len(a) == 4) {
		d->u32[t] = mnl_attr_get_u32(a);
	} else if (mnl_attr_get_payload_len(a) == 1) {
		d->u8[t] = mnl_attr_get_u8(a);
	}
	return MNL_CB_OK;
}

static void decode(const struct nlmsghdr *nlh, struct decoded *d, uint8_t *cmd)
{
	memset(d, 0, sizeof(*d));
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	*cmd = g->cmd;
	mnl_attr_parse(nlh, sizeof(*g), attr_cb, d);
}

static void test_set_messages(void)
{
	_Alignas(uint64_t) char buf[NL_SET_MSG_SIZE];
	struct decoded d;
	uint8_t cmd;
	diag("RINGS_SET reaches no kernel driver here (no virtual driver has it, netdevsim is not built): "
	     "its request is decoded instead");
	struct nl_rings r = { .rx = 4096, .tx = 512 };
	struct nlmsghdr *nlh = nl_rings_set_msg(buf, 0x1d, "eth0", &r, NL_RINGS_RX);
	ok(nlh->nlmsg_type == 0x1d && (nlh->nlmsg_flags & (NLM_F_REQUEST | NLM_F_ACK)) == (NLM_F_REQUEST | NLM_F_ACK),
	   "rings: a request to the family, acknowledged (a SET without NLM_F_ACK would never end)");
	decode(nlh, &d, &cmd);
	is_int(cmd, ETHTOOL_MSG_RINGS_SET, "rings: ETHTOOL_MSG_RINGS_SET");
	is_str(d.dev, "eth0", "rings: the header names the device");
	ok(d.seen[ETHTOOL_A_RINGS_RX] == 1 && d.u32[ETHTOOL_A_RINGS_RX] == 4096, "rings: rx 4096");
	ok(!d.seen[ETHTOOL_A_RINGS_TX] && d.nattrs == 2, "rings: tx left as it is (not sent)");
	decode(nl_rings_set_msg(buf, 0x1d, "eth0", &r, NL_RINGS_TX), &d, &cmd);
	ok(d.seen[ETHTOOL_A_RINGS_TX] == 1 && d.u32[ETHTOOL_A_RINGS_TX] == 512 && !d.seen[ETHTOOL_A_RINGS_RX],
	   "rings: tx alone");

	struct nl_coalesce c = { .rx_usecs = 50, .rx_frames = 16, .tx_usecs = 7, .tx_frames = 9, .adaptive_rx = 1 };
	unsigned all = NL_COALESCE_RX_USECS | NL_COALESCE_RX_FRAMES | NL_COALESCE_TX_USECS | NL_COALESCE_TX_FRAMES |
		       NL_COALESCE_ADAPTIVE_RX | NL_COALESCE_ADAPTIVE_TX;
	nlh = nl_coalesce_set_msg(buf, 0x1d, "t0", &c, NL_COALESCE_RX_FRAMES);
	decode(nlh, &d, &cmd);
	is_int(cmd, ETHTOOL_MSG_COALESCE_SET, "coalesce: ETHTOOL_MSG_COALESCE_SET");
	is_str(d.dev, "t0", "coalesce: the header names the device");
	ok(d.u32[ETHTOOL_A_COALESCE_RX_MAX_FRAMES] == 16 && d.nattrs == 2, "coalesce: rx-frames 16 alone");
	nlh = nl_coalesce_set_msg(buf, 0x1d, "t0", &c, all);
	decode(nlh, &d, &cmd);
	ok(d.u32[ETHTOOL_A_COALESCE_RX_USECS] == 50 && d.u32[ETHTOOL_A_COALESCE_TX_USECS] == 7 &&
	   d.u32[ETHTOOL_A_COALESCE_TX_MAX_FRAMES] == 9 && d.u8[ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX] == 1 &&
	   d.seen[ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX] == 1 && d.u8[ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX] == 0 &&
	   d.nattrs == 7, "coalesce: every value, adaptive as u8 flags");
	/* the GET parser reads the same attributes: a round trip */
	struct nl_coalesce back;
	is_int(nl_coalesce_parse(nlh, &back), 0, "coalesce: the request parses as a reply");
	ok(back.present == all && back.rx_usecs == 50 && back.rx_frames == 16 && back.adaptive_rx == 1 &&
	   back.adaptive_tx == 0, "coalesce: values and present bits come back");
	decode(nl_coalesce_set_msg(buf, 0x1d, "t0", &c, 0), &d, &cmd);
	is_int(d.nattrs, 1, "coalesce: nothing asked, the header alone");

	/* a ring the driver lacks is left out of RINGS_GET: not present */
	nlh = nl_rings_set_msg(buf, 0x1d, "eth0", &r, NL_RINGS_RX | NL_RINGS_TX);
	struct nl_rings rr;
	is_int(nl_rings_parse(nlh, &rr), 0, "rings: parses");
	is_int(rr.present, 0, "rings: a ring without its maximum is not one the driver has");
	mnl_attr_put_u32(nlh, ETHTOOL_A_RINGS_RX_MAX, 8192);
	is_int(nl_rings_parse(nlh, &rr), 0, "rings: with rx_max");
	ok(rr.present == NL_RINGS_RX && rr.rx == 4096 && rr.rx_max == 8192, "rings: rx present with its maximum");
}

/* Read-only questions to this host's kernel: a device that is not there, one without the op. */
static void test_driver_answers(void)
{
	char why[256];
	int rc = nic_probe("ethtool:lo/coalesce/rx-usecs", NULL);
	if (rc != -EOPNOTSUPP) {
		/* a build chroot without ethtool netlink: nothing to ask */
		skip("the kernel's ethtool netlink does not answer for lo here (%s)", strerror(-rc));
		return;
	}
	rc = nic_value_check("ethtool:tkzz9q/rings/rx", "1", why, sizeof(why));
	is_int(rc, -ENOENT, "no such device: -ENOENT (%s)", why);
	rc = nic_value_check("ethtool:lo/coalesce/rx-usecs", "5", why, sizeof(why));
	ok(rc == -EOPNOTSUPP && strstr(why, "coalescing rx-usecs not supported by the driver ("),
	   "lo has no coalescing: unsupported, said so (%s)", why);
	rc = nic_value_check("ethtool:lo/rings/rx", "x", why, sizeof(why));
	ok(rc == -EINVAL && why[0], "a bad value: -EINVAL before any question (%s)", why);
	unsigned mode;
	is_int(sysctl_mode("ethtool:lo/rings/rx", &mode), -EOPNOTSUPP, "sysctl_mode: unsupported is no key");
	ok(!sysctl_exists("ethtool:lo/rings/rx") && !sysctl_exists("ethtool:tkzz9q/rings/rx"),
	   "sysctl_exists: neither is there");
	ok(sysctl_key_path("ethtool:lo/rings/rx") == NULL, "an ethtool key has no file");

	/* the engine: validated before anything, nothing written, no snapshot */
	char tmpl[] = "/tmp/tk-nicval-XXXXXX";
	char *dir = mkdtemp(tmpl);
	ok(dir != NULL, "temp dir for the engine's root");
	if (!dir) /* never the engine on the real root */
		return;
	tk_set_root(dir);
	struct kv_list changes = { 0 };
	kv_list_set(&changes, "ethtool:lo/coalesce/rx-usecs", "5");
	struct txn_opts opts = { 0 };
	struct txn_error err;
	is_int(txn_apply(&changes, &opts, &err), -EINVAL, "apply of an unsupported setting: invalid input");
	ok(err.why && strstr(err.why, "not supported by the driver") && !strcmp(err.key, "ethtool:lo/coalesce/rx-usecs"),
	   "naming the key and why (%s)", err.why ? err.why : "(null)");
	char *snaps = xasprintf("%s/var/lib/tunekit", dir), *rules = tk_path(TK_UDEV_RULES);
	struct stat st;
	ok(stat(snaps, &st) < 0 && stat(rules, &st) < 0, "no snapshot store, no rule file");
	kv_list_free(&changes);
	kv_list_set(&changes, "ethtool:tkzz9q/rings/rx", "5");
	is_int(txn_apply(&changes, &opts, &err), -EINVAL, "apply for a device that is not there: invalid input");
	kv_list_free(&changes);
	free(snaps);
	free(rules);
	remove_tree(dir);
}

int main(void)
{
	test_schema();
	test_values();
	test_rule_lines();
	test_set_messages();
	test_driver_answers();
	return done_testing();
}
