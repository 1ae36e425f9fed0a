/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nettune-queues: size the input backlog and the NAPI budget from the
 * kernel's own drop and squeeze counters (/proc/net/softnet_stat), report
 * how interrupts and RPS spread over the CPUs, and apply the queue settings
 * asked for (RPS/XPS, txqueuelen, rings, coalescing) through the engine.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c.h"
#include "closestream.h"
#include "fileutil.h"
#include "irqstat.h"
#include "json.h"
#include "msg.h"
#include "nicval.h"
#include "nl.h"
#include "optval.h"
#include "paths.h"
#include "prom.h"
#include "softnet.h"
#include "sysctl.h"
#include "sysfsval.h"
#include "tuner.h"
#include "units.h"
#include "xalloc.h"

#define KEY_BACKLOG "net.core.netdev_max_backlog"
#define KEY_BUDGET "net.core.netdev_budget"
#define KEY_USECS "net.core.netdev_budget_usecs"
#define KEY_WEIGHT "net.core.dev_weight"

#define DEFAULT_MAX_BACKLOG 250000
#define DEFAULT_MAX_BUDGET 3000
/* softirq time per run: well below 50 ms, or user space starves */
#define MAX_BUDGET_USECS 16000
/* the original script's CPU rule: 1000 a CPU, at most 30000 */
#define CPUS_RULE_PER_CPU 1000
#define CPUS_RULE_CAP 30000

enum rule { RULE_DROPS, RULE_CPUS };

struct ctl {
	uint64_t interval_ms;
	uint64_t max_backlog;
	uint64_t max_budget;
	enum rule rule;
	struct tuner_common common;
	/* the one sample window of this run (rule drops): recommendation and metrics come from it */
	struct softnet_delta window;
	size_t window_cpus;
	int sampled;
	int applying; /* apply says "nothing to change" itself */
	/* queue settings asked for (NULL: not asked), canonical */
	char *rps_cpus, *xps_cpus, *rps_flow_cnt, *txqueuelen;
	char **ifaces; /* --iface, NULL-ended; NULL: every interface but lo */
	size_t nifaces;
	/* rings and coalescing asked for (--rx-ring, --tx-ring, --coalesce; NULL: not), canonical */
	char *nic_want[NIC_NATTR];
};

static void __attribute__((__noreturn__)) usage(void)
{
	FILE *out = stdout;
	fprintf(out, "Usage:\n %s [options] show|recommend|apply|check\n", msg_progname());
	fputs("\nSize netdev_max_backlog and the NAPI budget from the drop and squeeze\n"
	      "counters of /proc/net/softnet_stat; report IRQ and RPS spread.\n", out);
	fputs("\nCommands:\n"
	      " show          backlog and budget sysctls, softnet_stat per CPU, IRQs per queue\n"
	      " recommend     sample twice; print sysctl.d lines (nothing when all is well)\n"
	      "               and the queue settings asked for\n"
	      " apply         apply the recommendation as one transaction (needs root)\n"
	      " check         exit 3 when drops or squeezes call for a change\n", out);
	fputs("\nOptions:\n"
	      " -i, --interval SECONDS   time between the two samples (default 2;\n"
	      "                            0: counters since boot)\n"
	      " -R, --rule drops|cpus    drops: from the counters (default); cpus: the\n"
	      "                            original's 1000 a CPU, budget 600, weight 64\n"
	      "     --max-backlog N      highest backlog to recommend (default 250000)\n"
	      "     --max-budget N       highest netdev_budget to recommend (default 3000)\n"
	      " -e, --explain            say why each value, on stderr\n"
	      " -j, --json               show, check, apply: one JSON object\n"
	      "     --prom FILE          check: also write node_exporter textfile metrics\n"
	      "                            to FILE, atomically ('-': stdout, no text)\n"
	      " -I, --iface NAME         queue settings for NAME only (repeatable;\n"
	      "                            default: every interface but lo)\n"
	      "     --rps-cpus MASK|all  RPS CPU mask of every receive queue\n"
	      "     --xps-cpus MASK|all  XPS CPU mask of every transmit queue\n"
	      "     --rps-flow-cnt N     RFS flow table size of every receive queue\n"
	      "     --txqueuelen N       transmit queue length (packets)\n"
	      "     --rx-ring N          RX ring size (ethtool -G rx; at most the driver's)\n"
	      "     --tx-ring N          TX ring size\n"
	      "     --coalesce KEY=V[,KEY=V...]\n"
	      "                          interrupt coalescing: rx-usecs, rx-frames, tx-usecs,\n"
	      "                            tx-frames (numbers), adaptive-rx, adaptive-tx (0/1)\n"
	      " -n, --dry-run            apply: print what would change, change nothing\n"
	      "     --root DIR           files under DIR (snapshots, /etc/sysctl.d)\n"
	      " -q, --quiet              fewer messages\n"
	      " -v, --verbose            more messages\n"
	      " -h, --help               display this help\n"
	      " -V, --version            display version\n", out);
	fputs("\nQueue settings are keys like sysfs:net/eth0/queues/rx-0/rps_cpus and\n"
	      "ethtool:eth0/rings/rx, ethtool:eth0/coalesce/rx-usecs; apply persists them in\n"
	      TK_UDEV_RULES ", and check also\n"
	      "reports drift from the settings persisted there. A ring or coalescing setting\n"
	      "the driver lacks is reported and skipped; recommend proposes the largest RX\n"
	      "ring when the NIC drops packets, never coalescing.\n", out);
	fputs("\nEnvironment: TUNEKIT_PROC replaces /proc, TUNEKIT_SYS replaces /sys.\n", out);
	exit(TK_EXIT_OK);
}

/* ---- samples -------------------------------------------------------- */

static void read_softnet(struct softnet_stat *s)
{
	unsigned line = 0;
	int rc = softnet_read(s, &line);
	if (rc == -EINVAL)
		msg_die(TK_EXIT_FAILURE, "%s/net/softnet_stat: line %u: not the softnet_stat format",
			tk_proc(), line);
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "%s/net/softnet_stat", tk_proc());
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Two samples interval apart (or one against zero); cpus out: rows seen. */
static void sample(const struct ctl *ctl, struct softnet_delta *d, size_t *cpus)
{
	struct softnet_stat a = { 0 }, b = { 0 };
	if (ctl->interval_ms) {
		read_softnet(&a);
		sleep_ms(ctl->interval_ms);
	}
	read_softnet(&b);
	softnet_diff(&a, &b, d);
	*cpus = b.n;
	softnet_free(&a);
	softnet_free(&b);
}

/* ---- recommend ------------------------------------------------------ */

static int read_key(const char *key, uint64_t *v, int quiet)
{
	int rc = tuner_read_u64(key, v);
	if (rc < 0 && !quiet)
		msg_warn("%s: %s", key, rc == -ENOENT ? "does not exist here (kernel or network namespace)" :
			 strerror(-rc));
	return rc;
}

static void rule_drops(struct ctl *ctl, struct tuner_recs *recs, int quiet)
{
	struct softnet_delta d;
	size_t cpus;
	uint64_t backlog, budget, usecs;
	char span[64], why[256];

	sample(ctl, &d, &cpus);
	ctl->window = d;
	ctl->window_cpus = cpus;
	ctl->sampled = 1;
	if (ctl->interval_ms)
		snprintf(span, sizeof(span), "in %" PRIu64 ".%03" PRIu64 " s", ctl->interval_ms / 1000,
			 ctl->interval_ms % 1000);
	else
		snprintf(span, sizeof(span), "since boot");
	msg_verbose("%s on %zu CPU(s): %" PRIu64 " processed, %" PRIu64 " dropped, %" PRIu64
		    " time squeezes", span, cpus, d.processed, d.dropped, d.time_squeeze);

	if (d.dropped) {
		if (read_key(KEY_BACKLOG, &backlog, quiet) < 0)
			return;
		uint64_t want = backlog + (backlog + 3) / 4; /* x1.25, rounded up */
		if (want > ctl->max_backlog)
			want = ctl->max_backlog;
		if (want <= backlog) {
			if (!quiet)
				msg_warn("%" PRIu64 " packets dropped %s but %s is already %" PRIu64
					 " (--max-backlog %" PRIu64 "): the CPUs cannot keep up; spread "
					 "the load (RPS, IRQ affinity) instead", d.dropped, span,
					 KEY_BACKLOG, backlog, ctl->max_backlog);
			return;
		}
		snprintf(why, sizeof(why), "%" PRIu64 " packets dropped %s on %zu CPU(s) with a full "
			 "backlog: raise it by 1.25", d.dropped, span, d.cpus_dropping);
		tuner_set(recs, KEY_BACKLOG, TUNER_AT_LEAST, why, "%" PRIu64, want);
		if (!quiet)
			msg_info("%s", why);
		return;
	}
	if (d.time_squeeze) {
		int have_budget = read_key(KEY_BUDGET, &budget, quiet) == 0;
		int have_usecs = read_key(KEY_USECS, &usecs, quiet) == 0;
		snprintf(why, sizeof(why), "%" PRIu64 " time squeezes %s without drops: NAPI ran out of "
			 "budget or time with packets waiting; raise both", d.time_squeeze, span);
		if (have_budget && budget < ctl->max_budget) {
			uint64_t want = budget * 2 > ctl->max_budget ? ctl->max_budget : budget * 2;
			tuner_set(recs, KEY_BUDGET, TUNER_AT_LEAST, why, "%" PRIu64, want);
		}
		if (have_usecs && usecs < MAX_BUDGET_USECS) {
			uint64_t want = usecs * 2 > MAX_BUDGET_USECS ? MAX_BUDGET_USECS : usecs * 2;
			tuner_set(recs, KEY_USECS, TUNER_AT_LEAST, why, "%" PRIu64, want);
		}
		if (!quiet)
			msg_info("%s", recs->n ? why : "time squeezes seen but budget and budget_usecs "
						   "are at their caps");
		return;
	}
	if (!quiet)
		msg_info("no drops and no time squeezes %s on %zu CPU(s)%s", span, cpus,
			 ctl->applying ? "" : ": nothing to change");
}

static void rule_cpus(const struct ctl *ctl, struct tuner_recs *recs, int quiet)
{
	struct softnet_stat s = { 0 };
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t cpus, cur, want;
	char why[128];

	/* softnet_stat has a row per online CPU (and follows TUNEKIT_PROC) */
	if (softnet_read(&s, NULL) == 0 && s.n)
		cpus = s.n;
	else
		cpus = online > 0 ? (uint64_t)online : 1;
	softnet_free(&s);

	want = cpus * CPUS_RULE_PER_CPU;
	if (want > CPUS_RULE_CAP)
		want = CPUS_RULE_CAP;
	if (want > ctl->max_backlog)
		want = ctl->max_backlog;
	snprintf(why, sizeof(why), "rule cpus: %d a CPU x %" PRIu64 " CPU(s), at most %d",
		 CPUS_RULE_PER_CPU, cpus, CPUS_RULE_CAP);
	const struct {
		const char *key;
		uint64_t value;
		const char *why;
	} rules[] = {
		{ KEY_BACKLOG, want, why },
		{ KEY_BUDGET, 600, "rule cpus: the original script's budget" },
		{ KEY_WEIGHT, 64, "rule cpus: the original script's weight" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		if (read_key(rules[i].key, &cur, quiet) < 0)
			continue;
		if (cur >= rules[i].value) {
			msg_verbose("%s is %" PRIu64 ", not lowered to %" PRIu64, rules[i].key, cur,
				    rules[i].value);
			continue;
		}
		tuner_set(recs, rules[i].key, TUNER_AT_LEAST, rules[i].why, "%" PRIu64, rules[i].value);
	}
}

/* ---- IRQs, RPS, irqbalance ------------------------------------------ */

static int irqbalance_running(void)
{
	DIR *d = opendir(tk_proc());
	struct dirent *e;
	int found = 0;
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		char *rel = xasprintf("%s/comm", e->d_name), *path = tk_proc_path(rel), *comm;
		size_t len;
		if (read_file(path, 256, &comm, &len) == 0) {
			found = !strncmp(comm, "irqbalance", 10) && (comm[10] == '\n' || !comm[10]);
			free(comm);
		}
		free(rel);
		free(path);
	}
	closedir(d);
	return found;
}

/* the device's bus name: "virtio2" for eth0 on virtio_net ("" if none) */
static void bus_name(const char *ifname, char *out, size_t len)
{
	char link[PATH_MAX], *path = xasprintf("/sys/class/net/%s/device", ifname);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	free(path);
	out[0] = '\0';
	if (n > 0) {
		link[n] = '\0';
		const char *base = strrchr(link, '/');
		base = base ? base + 1 : link;
		if (strlen(base) < len)
			memcpy(out, base, strlen(base) + 1);
	}
}

static int name_matches(const char *irqname, const char *prefix)
{
	size_t n = strlen(prefix);
	if (!n || strncmp(irqname, prefix, n))
		return 0;
	return irqname[n] == '\0' || strchr("-_@:", irqname[n]) != NULL;
}

static int irq_of_iface(const struct irq_row *r, const char *ifname, const char *bus)
{
	return name_matches(r->name, ifname) || (bus[0] && name_matches(r->name, bus));
}

static char *read_sys(const char *fmt, const char *a, const char *b)
{
	char *path = xasprintf(fmt, a, b), *data = NULL;
	size_t len;
	if (read_file(path, 4096, &data, &len) == 0)
		data[strcspn(data, "\n")] = '\0';
	free(path);
	return data;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Interfaces other than lo, sorted; NULL-terminated. */
static char **list_ifaces(void)
{
	struct if_nameindex *ifs = if_nameindex();
	size_t n = 0;
	char **v;
	if (!ifs)
		return xcalloc(1, sizeof(char *));
	for (struct if_nameindex *i = ifs; i->if_index; i++)
		n++;
	v = xcalloc(n + 1, sizeof(char *));
	n = 0;
	for (struct if_nameindex *i = ifs; i->if_index; i++)
		if (strcmp(i->if_name, "lo"))
			v[n++] = xstrdup(i->if_name);
	if_freenameindex(ifs);
	qsort(v, n, sizeof(*v), cmp_str);
	return v;
}

static void free_ifaces(char **v)
{
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/*
 * Print IRQ rows and RPS/XPS masks (print), and advise on stderr when one
 * CPU takes every interrupt of an interface (advise).
 */
static void show_spread(const struct ctl *ctl, struct json *w, int print, int advise)
{
	struct irq_table t;
	unsigned line = 0;
	int have_irqs = irqstat_read(&t, &line) == 0;
	int balance = irqbalance_running();
	char **ifs = list_ifaces();

	if (!have_irqs)
		msg_verbose("%s/interrupts: not readable", tk_proc());
	if (print && ctl->common.json) {
		json_bool(w, "irqbalance", balance);
		json_array_begin(w, "irqs");
	} else if (print) {
		printf("irqbalance %s\n", balance ? "running" : "not-running");
	}
	for (char **ifn = ifs; *ifn; ifn++) {
		char bus[64];
		bus_name(*ifn, bus, sizeof(bus));
		unsigned busiest_cpu = 0, irqs = 0;
		uint64_t total = 0, per_cpu_max = 0;
		uint64_t *sum = have_irqs ? xcalloc(t.ncpu ? t.ncpu : 1, sizeof(uint64_t)) : NULL;
		for (size_t i = 0; have_irqs && i < t.n; i++) {
			const struct irq_row *r = &t.rows[i];
			if (!irq_of_iface(r, *ifn, bus))
				continue;
			irqs++;
			if (!print) {
				/* counted only */
			} else if (ctl->common.json) {
				json_object_begin(w, NULL);
				json_u64(w, "irq", r->irq);
				json_string(w, "iface", *ifn);
				json_string(w, "name", r->name);
				json_array_begin(w, "counts");
				for (unsigned c = 0; c < t.ncpu; c++)
					json_u64(w, NULL, r->counts[c]);
				json_array_end(w);
				json_object_end(w);
			} else {
				printf("irq %u %s %s", r->irq, *ifn, r->name);
				for (unsigned c = 0; c < t.ncpu; c++)
					printf(" cpu%u=%" PRIu64, c, r->counts[c]);
				putchar('\n');
			}
			for (unsigned c = 0; c < t.ncpu; c++) {
				sum[c] += r->counts[c];
				total += r->counts[c];
			}
		}
		for (unsigned c = 0; have_irqs && c < t.ncpu; c++)
			if (sum[c] > per_cpu_max) {
				per_cpu_max = sum[c];
				busiest_cpu = c;
			}
		free(sum);
		if (advise && have_irqs && t.ncpu > 1 && irqs && total >= 1000 && per_cpu_max == total) {
			char *rps = read_sys("/sys/class/net/%s/queues/%s/rps_cpus", *ifn, "rx-0");
			int rps_off = !rps || strspn(rps, "0,") == strlen(rps);
			msg_warn("%s: all %" PRIu64 " interrupts of its %u IRQ(s) land on CPU %u%s",
				 *ifn, total, irqs, busiest_cpu,
				 balance ? "" : " and irqbalance is not running");
			if (rps_off)
				msg_warn("%s: consider RPS (echo MASK > /sys/class/net/%s/queues/rx-0/rps_cpus) "
					 "or IRQ affinity (/proc/irq/N/smp_affinity_list)%s", *ifn, *ifn,
					 balance ? "" : ", or start irqbalance");
			free(rps);
		}
	}
	if (print && ctl->common.json) {
		json_array_end(w);
		json_array_begin(w, "rps");
	}
	for (char **ifn = ifs; print && *ifn; ifn++) {
		char *qdir = xasprintf("/sys/class/net/%s/queues", *ifn);
		DIR *d = opendir(qdir);
		struct dirent *e;
		char **qs = NULL;
		size_t nq = 0;
		while (d && (e = readdir(d))) {
			if (strncmp(e->d_name, "rx-", 3) && strncmp(e->d_name, "tx-", 3))
				continue;
			qs = xreallocarray(qs, nq + 1, sizeof(*qs));
			qs[nq++] = xstrdup(e->d_name);
		}
		if (d)
			closedir(d);
		qsort(qs, nq, sizeof(*qs), cmp_str);
		for (size_t i = 0; i < nq; i++) {
			int rx = qs[i][0] == 'r';
			char *mask = read_sys(rx ? "/sys/class/net/%s/queues/%s/rps_cpus" :
					      "/sys/class/net/%s/queues/%s/xps_cpus", *ifn, qs[i]);
			if (mask && ctl->common.json) {
				json_object_begin(w, NULL);
				json_string(w, "iface", *ifn);
				json_string(w, "queue", qs[i]);
				json_string(w, rx ? "rps_cpus" : "xps_cpus", mask);
				json_object_end(w);
			} else if (mask) {
				printf("%s %s %s %s\n", rx ? "rps" : "xps", *ifn, qs[i], mask);
			}
			free(mask);
			free(qs[i]);
		}
		free(qs);
		free(qdir);
	}
	if (print && ctl->common.json)
		json_array_end(w);
	free_ifaces(ifs);
	if (have_irqs)
		irqstat_free(&t);
}

/* ---- rings and coalescing shown (ethtool netlink) -------------------- */

/* "ring IFACE rx CUR/MAX tx CUR/MAX" and "coalesce IFACE ..." lines, or
 * "unsupported" where the driver has none (veth): a report, never an error. */
static void show_ethtool(const struct ctl *ctl, struct json *w)
{
	struct nl_session *s;
	char **ifs = list_ifaces();
	nl_session_open(&s);
	for (int pass = 0; pass < 2; pass++) {
		if (ctl->common.json)
			json_array_begin(w, pass ? "coalesce" : "rings");
		for (char **ifn = ifs; *ifn; ifn++) {
			struct nl_rings r;
			struct nl_coalesce c;
			int rc = pass ? nl_session_coalesce(s, *ifn, &c) : nl_session_rings(s, *ifn, &r);
			const char *word = pass ? "coalesce" : "ring";
			if (ctl->common.json) {
				json_object_begin(w, NULL);
				json_string(w, "iface", *ifn);
				json_bool(w, "supported", rc == 0);
				if (rc < 0 && rc != -EOPNOTSUPP)
					json_string(w, "error", strerror(-rc));
			}
			if (rc < 0) {
				if (!ctl->common.json)
					printf("%s %s %s\n", word, *ifn, rc == -EOPNOTSUPP ? "unsupported" : strerror(-rc));
			} else if (!pass) {
				if (ctl->common.json) {
					json_u64(w, "rx", r.rx);
					json_u64(w, "rx_max", r.rx_max);
					json_u64(w, "tx", r.tx);
					json_u64(w, "tx_max", r.tx_max);
				} else {
					printf("ring %s rx %" PRIu32 "/%" PRIu32 " tx %" PRIu32 "/%" PRIu32 "\n", *ifn, r.rx,
					       r.rx_max, r.tx, r.tx_max);
				}
			} else {
				const struct {
					unsigned bit;
					const char *name, *jname;
					uint32_t v;
				} f[] = {
					{ NL_COALESCE_RX_USECS, "rx-usecs", "rx_usecs", c.rx_usecs },
					{ NL_COALESCE_RX_FRAMES, "rx-frames", "rx_frames", c.rx_frames },
					{ NL_COALESCE_TX_USECS, "tx-usecs", "tx_usecs", c.tx_usecs },
					{ NL_COALESCE_TX_FRAMES, "tx-frames", "tx_frames", c.tx_frames },
					{ NL_COALESCE_ADAPTIVE_RX, "adaptive-rx", "adaptive_rx", c.adaptive_rx },
					{ NL_COALESCE_ADAPTIVE_TX, "adaptive-tx", "adaptive_tx", c.adaptive_tx },
				};
				if (!ctl->common.json)
					printf("coalesce %s", *ifn);
				for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
					if (!(c.present & f[i].bit))
						continue;
					if (ctl->common.json)
						json_u64(w, f[i].jname, f[i].v);
					else
						printf(" %s %" PRIu32, f[i].name, f[i].v);
				}
				if (!ctl->common.json)
					putchar('\n');
			}
			if (ctl->common.json)
				json_object_end(w);
		}
		if (ctl->common.json)
			json_array_end(w);
	}
	nl_session_close(s);
	free_ifaces(ifs);
}

/* ---- show ----------------------------------------------------------- */

static int show(const struct ctl *ctl)
{
	static const struct {
		const char *key, *unit;
	} keys[] = {
		{ KEY_WEIGHT, "packets" },
		{ KEY_BACKLOG, "packets" },
		{ KEY_BUDGET, "packets" },
		{ KEY_USECS, "us" },
	};
	struct softnet_stat s = { 0 };
	struct json w;

	read_softnet(&s);
	if (ctl->common.json) {
		json_init(&w, stdout);
		json_object_begin(&w, NULL);
		json_object_begin(&w, "sysctls");
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		char *val = NULL;
		sysctl_read(keys[i].key, &val);
		if (ctl->common.json)
			json_string(&w, keys[i].key, val);
		else if (val)
			printf("%s = %s %s\n", keys[i].key, val, keys[i].unit);
		else
			printf("%s = (absent)\n", keys[i].key);
		free(val);
	}
	if (ctl->common.json) {
		json_object_end(&w);
		json_array_begin(&w, "cpus");
	}
	for (size_t i = 0; i < s.n; i++) {
		const struct softnet_cpu *c = &s.cpus[i];
		if (ctl->common.json) {
			json_object_begin(&w, NULL);
			json_u64(&w, "cpu", c->cpu);
			json_u64(&w, "processed", c->processed);
			json_u64(&w, "dropped", c->dropped);
			json_u64(&w, "time_squeeze", c->time_squeeze);
			json_u64(&w, "received_rps", c->received_rps);
			json_u64(&w, "flow_limit", c->flow_limit);
			json_u64(&w, "backlog_len", c->backlog_len);
			json_object_end(&w);
		} else {
			printf("cpu %u processed %" PRIu32 " dropped %" PRIu32 " time_squeeze %" PRIu32
			       " received_rps %" PRIu32 " flow_limit %" PRIu32 "\n", c->cpu,
			       c->processed, c->dropped, c->time_squeeze, c->received_rps, c->flow_limit);
		}
	}
	if (ctl->common.json)
		json_array_end(&w);
	softnet_free(&s);
	show_spread(ctl, &w, 1, 0);
	show_ethtool(ctl, &w);
	if (ctl->common.json)
		json_object_end(&w);
	return TK_EXIT_OK;
}

/* ---- check metrics ---------------------------------------------------- */

static void prom_or_die(int rc)
{
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "metrics");
}

/* The counters of the sample window the check judged, for --prom. */
static struct prom_registry *window_metrics(const struct ctl *ctl)
{
	struct prom_registry *p = prom_new();
	if (!ctl->sampled)
		return p;
	prom_or_die(prom_declare(p, "tunekit_queues_window_seconds", PROM_GAUGE,
				 "length of the softnet_stat sample window the check judged (0: since boot)"));
	prom_or_die(prom_declare(p, "tunekit_queues_dropped_packets", PROM_GAUGE,
				 "packets dropped for a full input backlog in the sample window"));
	prom_or_die(prom_declare(p, "tunekit_queues_time_squeezes", PROM_GAUGE,
				 "NAPI runs that ended out of budget or time with packets waiting, in the sample window"));
	prom_or_die(prom_addl(p, "tunekit_queues_window_seconds", (double)ctl->interval_ms / 1000.0, NULL));
	prom_or_die(prom_addl(p, "tunekit_queues_dropped_packets", (double)ctl->window.dropped, NULL));
	prom_or_die(prom_addl(p, "tunekit_queues_time_squeezes", (double)ctl->window.time_squeeze, NULL));
	return p;
}

/* ---- queue settings (sysfs) ------------------------------------------ */

/* Interfaces under the sysfs root but lo, sorted; NULL-terminated. */
static char **sysfs_ifaces(void)
{
	char *dir = xasprintf("%s/class/net", sysfs_root());
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = xcalloc(1, sizeof(*v));
	size_t n = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "lo"))
			continue;
		/* interfaces are directories (links to them); bonding_masters is a file */
		char *path = xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		int is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
		free(path);
		if (!is_dir)
			continue;
		if (!sysfs_dev_name_valid(e->d_name)) {
			msg_verbose("%s: interface name outside what tunekit manages, skipped", e->d_name);
			continue;
		}
		v = xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = xstrdup(e->d_name);
		v[n] = NULL;
	}
	if (d)
		closedir(d);
	free(dir);
	qsort(v, n, sizeof(*v), cmp_str);
	return v;
}

/* The queue numbers of kind ("rx-" or "tx-") of dev, ascending; count returned. */
static size_t queue_numbers(const char *dev, const char *kind, unsigned **out)
{
	char *dir = xasprintf("%s/class/net/%s/queues", sysfs_root(), dev);
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned *v = NULL;
	size_t n = 0;
	while (d && (e = readdir(d))) {
		char *end;
		if (strncmp(e->d_name, kind, 3) || !isdigit((unsigned char)e->d_name[3]))
			continue;
		unsigned long q = strtoul(e->d_name + 3, &end, 10);
		if (*end || q > 65535)
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = (unsigned)q;
	}
	if (d)
		closedir(d);
	free(dir);
	for (size_t i = 1; i < n; i++) /* few queues: insertion sort */
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			unsigned t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*out = v;
	return n;
}

static void set_queue_key(struct tuner_recs *recs, const char *dev, enum sysfs_attr attr, unsigned q,
			  const char *value, const char *why)
{
	char key[SYSCTL_KEY_MAX + 1];
	if (sysfs_key_make(key, sizeof(key), dev, attr, q) == 0)
		tuner_set(recs, key, TUNER_EQUAL, why, "%s", value);
}

/* The queue settings asked for on the command line, for each interface. */
static void queue_recs(const struct ctl *ctl, struct tuner_recs *recs)
{
	if (!ctl->rps_cpus && !ctl->xps_cpus && !ctl->rps_flow_cnt && !ctl->txqueuelen)
		return;
	char **all = ctl->ifaces ? NULL : sysfs_ifaces();
	char **ifs = ctl->ifaces ? ctl->ifaces : all;
	for (char **dev = ifs; *dev; dev++) {
		unsigned *q;
		size_t n;
		if (ctl->txqueuelen)
			set_queue_key(recs, *dev, SYSFS_TX_QUEUE_LEN, 0, ctl->txqueuelen, "--txqueuelen");
		n = queue_numbers(*dev, "rx-", &q);
		for (size_t i = 0; i < n; i++) {
			if (ctl->rps_cpus)
				set_queue_key(recs, *dev, SYSFS_RPS_CPUS, q[i], ctl->rps_cpus, "--rps-cpus");
			if (ctl->rps_flow_cnt)
				set_queue_key(recs, *dev, SYSFS_RPS_FLOW_CNT, q[i], ctl->rps_flow_cnt, "--rps-flow-cnt");
		}
		free(q);
		n = queue_numbers(*dev, "tx-", &q);
		for (size_t i = 0; ctl->xps_cpus && i < n; i++)
			set_queue_key(recs, *dev, SYSFS_XPS_CPUS, q[i], ctl->xps_cpus, "--xps-cpus");
		free(q);
	}
	if (all)
		free_ifaces(all);
}

/* ---- rings and coalescing (ethtool netlink) ---------------------------- */

/*
 * The rings and coalescing asked for, for each interface the driver lets
 * have them: a setting it lacks is reported and left out (never an error),
 * a value above its maximum is bad input (exit 2, nothing changed yet).
 */
static void nic_recs(const struct ctl *ctl, struct tuner_recs *recs, int quiet)
{
	int asked = 0;
	for (int a = 0; a < NIC_NATTR; a++)
		asked |= ctl->nic_want[a] != NULL;
	if (!asked)
		return;
	char **all = ctl->ifaces ? NULL : sysfs_ifaces();
	char **ifs = ctl->ifaces ? ctl->ifaces : all;
	for (char **dev = ifs; *dev; dev++)
		for (int a = 0; a < NIC_NATTR; a++) {
			char key[SYSCTL_KEY_MAX + 1], why[256];
			if (!ctl->nic_want[a] || nic_key_make(key, sizeof(key), *dev, (enum nic_attr)a) < 0)
				continue;
			int rc = nic_value_check(key, ctl->nic_want[a], why, sizeof(why));
			if (rc == -EINVAL)
				msg_die(TK_EXIT_USAGE, "%s: %s", key, why);
			if (rc == -EOPNOTSUPP && !quiet)
				msg_info("%s: %s; skipped", *dev, why);
			else if (rc == -ENOENT)
				msg_verbose("%s: gone; skipped", *dev);
			else if (rc < 0 && !quiet)
				msg_warn("%s: %s; skipped", *dev, why);
			if (rc == 0)
				tuner_set(recs, key, TUNER_EQUAL, a <= NIC_RING_TX ? "--rx-ring/--tx-ring" : "--coalesce",
					  "%s", ctl->nic_want[a]);
		}
	if (all)
		free_ifaces(all);
}

/* A counter of statistics/ under the device's sysfs directory; 0 if unreadable. */
static uint64_t nic_stat(const char *dev, const char *name)
{
	char *path = xasprintf("%s/class/net/%s/statistics/%s", sysfs_root(), dev, name), *data = NULL;
	size_t len;
	uint64_t v = 0;
	if (read_file(path, 64, &data, &len) == 0)
		v = strtoull(data, NULL, 10);
	free(data);
	free(path);
	return v;
}

/*
 * The NIC itself dropped packets (no room in the RX ring: rx_missed_errors,
 * rx_fifo_errors) and the ring is below the driver's maximum: propose the
 * maximum. Coalescing is never proposed: its trade (latency for CPU) is
 * the operator's to make.
 */
static void ring_recs(const struct ctl *ctl, struct tuner_recs *recs, int quiet)
{
	if (ctl->nic_want[NIC_RING_RX])
		return; /* asked for explicitly */
	char **all = ctl->ifaces ? NULL : sysfs_ifaces();
	char **ifs = ctl->ifaces ? ctl->ifaces : all;
	for (char **dev = ifs; *dev; dev++) {
		char key[SYSCTL_KEY_MAX + 1], *live = NULL, why[256];
		uint32_t max;
		uint64_t drops = nic_stat(*dev, "rx_missed_errors") + nic_stat(*dev, "rx_fifo_errors");
		if (!drops || nic_key_make(key, sizeof(key), *dev, NIC_RING_RX) < 0 || nic_probe(key, &max) < 0)
			continue;
		if (nic_read(key, &live) == 0 && strtoul(live, NULL, 10) < max) {
			snprintf(why, sizeof(why), "%" PRIu64 " packets dropped by the NIC since boot (rx_missed_errors, "
				 "rx_fifo_errors) with the RX ring at %s of %" PRIu32 ": the largest ring", drops, live, max);
			tuner_set(recs, key, TUNER_EQUAL, why, "%" PRIu32, max);
			if (!quiet)
				msg_info("%s: %s", *dev, why);
		}
		free(live);
	}
	if (all)
		free_ifaces(all);
}

/*
 * check: the queue settings persisted in the udev rule file are what the
 * live devices should hold (drift after a driver reload or a manual echo).
 * Devices that are not there now are left out.
 */
static void persisted_queue_recs(struct tuner_recs *recs, int quiet)
{
	char *path = tk_path(TK_UDEV_RULES), *buf = NULL;
	size_t len;
	struct kv_list keys = { 0 };
	struct kv_error kerr;
	int rc = read_file(path, 4u << 20, &buf, &len);
	if (rc == 0 && sysfs_udev_parse(buf, len, &keys, &kerr) < 0 && !quiet)
		msg_warn("%s:%u: %s", path, kerr.line, kerr.why);
	for (size_t i = 0; i < keys.n; i++) {
		if (!sysctl_exists(keys.v[i].key))
			continue;
		/* an explicit option for the same key wins */
		int asked = 0;
		for (size_t j = 0; j < recs->n && !asked; j++)
			asked = !strcmp(recs->v[j].key, keys.v[i].key);
		if (!asked)
			tuner_set(recs, keys.v[i].key, TUNER_EQUAL, "persisted in " TK_UDEV_RULES, "%s",
				  keys.v[i].value);
	}
	kv_list_free(&keys);
	free(buf);
	free(path);
}

/* "all": every configured CPU; else a mask, normalised (exit 2 if malformed). */
static char *mask_option(const char *opt, const char *arg, enum sysfs_attr attr)
{
	char key[SYSCTL_KEY_MAX + 1], norm[4096];
	const char *why = NULL;
	if (!strcmp(arg, "all")) {
		long n = sysconf(_SC_NPROCESSORS_CONF);
		if (n < 1)
			n = 1;
		if (n > 8192)
			n = 8192;
		/* hex digits from the top: n bits set */
		size_t digits = ((size_t)n + 3) / 4;
		char *hex = xmalloc(digits + 1);
		for (size_t i = 0; i < digits; i++) {
			long bits = n - (long)(digits - 1 - i) * 4;
			hex[i] = "0123456789abcdef"[bits >= 4 ? 15 : (1 << bits) - 1];
		}
		hex[digits] = '\0';
		/* regroup through the normaliser (one long group is not the kernel's form) */
		char *grouped = xmalloc(digits + digits / 8 + 2);
		size_t o = 0;
		for (size_t i = 0; i < digits; i++) {
			if (i && (digits - i) % 8 == 0)
				grouped[o++] = ',';
			grouped[o++] = hex[i];
		}
		grouped[o] = '\0';
		free(hex);
		return grouped;
	}
	sysfs_key_make(key, sizeof(key), "lo", attr, 0);
	if (sysfs_value_normalize(key, arg, norm, sizeof(norm), &why) < 0)
		usage_error(opt, arg, why);
	return xstrdup(norm);
}

/* --rx-ring N, --tx-ring N: a number in the schema's spelling (exit 2 if malformed). */
static char *nic_option(const char *opt, const char *arg, enum nic_attr attr)
{
	char key[SYSCTL_KEY_MAX + 1], norm[16];
	const char *why = NULL;
	nic_key_make(key, sizeof(key), "lo", attr);
	if (nic_value_normalize(key, arg, norm, sizeof(norm), &why) < 0)
		usage_error(opt, arg, why);
	return xstrdup(norm);
}

/* --coalesce KEY=V[,KEY=V...] into ctl (a later value of a key wins). */
static void coalesce_option(struct ctl *ctl, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL;
	if (!*arg || arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,"))
		usage_error("--coalesce", arg, "KEY=VALUE[,KEY=VALUE...]");
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		enum nic_attr attr;
		if (!eq)
			usage_error("--coalesce", arg, "KEY=VALUE[,KEY=VALUE...]");
		*eq = '\0';
		if (nic_coalesce_name_parse(item, &attr) < 0)
			usage_error("--coalesce", arg,
				    "KEY is rx-usecs, rx-frames, tx-usecs, tx-frames, adaptive-rx or adaptive-tx");
		char *v = nic_option("--coalesce", eq + 1, attr);
		free(ctl->nic_want[attr]);
		ctl->nic_want[attr] = v;
	}
	free(copy);
}

static char *number_option(const char *opt, const char *arg)
{
	char key[SYSCTL_KEY_MAX + 1], norm[64];
	const char *why = NULL;
	sysfs_key_make(key, sizeof(key), "lo", SYSFS_TX_QUEUE_LEN, 0);
	if (sysfs_value_normalize(key, arg, norm, sizeof(norm), &why) < 0)
		usage_error(opt, arg, why);
	return xstrdup(norm);
}

/* ---- the tuner's callbacks ------------------------------------------ */

static int show_cb(void *ctl)
{
	return show(ctl);
}

static void ethtool_note(void);

static void recommend_cb(void *p, struct tuner_recs *recs, enum tuner_command cmd, int quiet)
{
	struct ctl *ctl = p;
	ctl->applying = cmd == TUNER_APPLY;
	if (ctl->rule == RULE_CPUS)
		rule_cpus(ctl, recs, quiet);
	else
		rule_drops(ctl, recs, quiet);
	queue_recs(ctl, recs);
	nic_recs(ctl, recs, quiet);
	ring_recs(ctl, recs, quiet);
	if (cmd == TUNER_CHECK)
		persisted_queue_recs(recs, quiet);
	if (cmd == TUNER_RECOMMEND && !quiet && msg_verbosity > 0)
		ethtool_note();
}

/* when one CPU takes every interrupt: advice on stderr, stdout stays sysctl lines */
static void advise_cb(void *ctl, const struct tuner_recs *recs)
{
	(void)recs;
	show_spread(ctl, NULL, 0, 1);
}

/* recommend -v: the interfaces whose driver has no rings or coalescing at all */
static void ethtool_note(void)
{
	struct nl_session *s;
	char **ifs = list_ifaces();
	nl_session_open(&s);
	for (char **ifn = ifs; *ifn; ifn++) {
		struct nl_rings r;
		struct nl_coalesce c;
		int rr = nl_session_rings(s, *ifn, &r), rc = nl_session_coalesce(s, *ifn, &c);
		if (rr == -EOPNOTSUPP || rc == -EOPNOTSUPP)
			msg_verbose("%s: %s%s%s not supported by the driver", *ifn, rr == -EOPNOTSUPP ? "ring sizes" : "",
				    rr == -EOPNOTSUPP && rc == -EOPNOTSUPP ? " and " : "",
				    rc == -EOPNOTSUPP ? "interrupt coalescing" : "");
	}
	nl_session_close(s);
	free_ifaces(ifs);
}

static struct prom_registry *metrics_cb(void *ctl)
{
	return window_metrics(ctl);
}

/* ---- main ----------------------------------------------------------- */

int main(int argc, char **argv)
{
	enum { OPT_MAX_BACKLOG = TUNER_OPT_FIRST, OPT_MAX_BUDGET, OPT_RPS_CPUS, OPT_XPS_CPUS, OPT_RPS_FLOW_CNT,
	       OPT_TXQUEUELEN, OPT_RX_RING, OPT_TX_RING, OPT_COALESCE };
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "rule", required_argument, NULL, 'R' },
		{ "max-backlog", required_argument, NULL, OPT_MAX_BACKLOG },
		{ "max-budget", required_argument, NULL, OPT_MAX_BUDGET },
		{ "iface", required_argument, NULL, 'I' },
		{ "rps-cpus", required_argument, NULL, OPT_RPS_CPUS },
		{ "xps-cpus", required_argument, NULL, OPT_XPS_CPUS },
		{ "rps-flow-cnt", required_argument, NULL, OPT_RPS_FLOW_CNT },
		{ "txqueuelen", required_argument, NULL, OPT_TXQUEUELEN },
		{ "rx-ring", required_argument, NULL, OPT_RX_RING },
		{ "tx-ring", required_argument, NULL, OPT_TX_RING },
		{ "coalesce", required_argument, NULL, OPT_COALESCE },
		TUNER_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl = { .interval_ms = 2000, .max_backlog = DEFAULT_MAX_BACKLOG,
			   .max_budget = DEFAULT_MAX_BUDGET };
	uint64_t v;
	int c;

	msg_init(argv[0]);
	close_stdout_atexit();
	while ((c = getopt_long(argc, argv, "i:I:R:ejnqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			v = optval_or_die(OPTVAL_SECONDS, "--interval", optarg, 0, 3600000000000ULL);
			ctl.interval_ms = v / 1000000;
			if (v && !ctl.interval_ms)
				ctl.interval_ms = 1;
			break;
		case 'R':
			if (!strcmp(optarg, "drops"))
				ctl.rule = RULE_DROPS;
			else if (!strcmp(optarg, "cpus"))
				ctl.rule = RULE_CPUS;
			else
				usage_error("--rule", optarg, NULL);
			break;
		case OPT_MAX_BACKLOG:
			/* counts of packets, not sizes */
			ctl.max_backlog = optval_or_die(OPTVAL_COUNT, "--max-backlog", optarg, 1, INT_MAX);
			break;
		case OPT_MAX_BUDGET:
			ctl.max_budget = optval_or_die(OPTVAL_COUNT, "--max-budget", optarg, 1, INT_MAX);
			break;
		case 'I':
			if (!sysfs_dev_name_valid(optarg))
				usage_error("--iface", optarg,
					    "not an interface name tunekit manages (1-15 of A-Z a-z 0-9 _ . @ + -, no ..)");
			ctl.ifaces = xreallocarray(ctl.ifaces, ctl.nifaces + 2, sizeof(*ctl.ifaces));
			ctl.ifaces[ctl.nifaces++] = xstrdup(optarg);
			ctl.ifaces[ctl.nifaces] = NULL;
			break;
		case OPT_RPS_CPUS:
			ctl.rps_cpus = mask_option("--rps-cpus", optarg, SYSFS_RPS_CPUS);
			break;
		case OPT_XPS_CPUS:
			ctl.xps_cpus = mask_option("--xps-cpus", optarg, SYSFS_XPS_CPUS);
			break;
		case OPT_RPS_FLOW_CNT:
			ctl.rps_flow_cnt = number_option("--rps-flow-cnt", optarg);
			break;
		case OPT_TXQUEUELEN:
			ctl.txqueuelen = number_option("--txqueuelen", optarg);
			break;
		case OPT_RX_RING:
			free(ctl.nic_want[NIC_RING_RX]);
			ctl.nic_want[NIC_RING_RX] = nic_option("--rx-ring", optarg, NIC_RING_RX);
			break;
		case OPT_TX_RING:
			free(ctl.nic_want[NIC_RING_TX]);
			ctl.nic_want[NIC_RING_TX] = nic_option("--tx-ring", optarg, NIC_RING_TX);
			break;
		case OPT_COALESCE:
			coalesce_option(&ctl, optarg);
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			if (!tuner_option(c, optarg, &ctl.common))
				usage_hint();
		}
	}
	/* a named interface must be there: a typo is a usage error, not "nothing to do" */
	for (size_t i = 0; i < ctl.nifaces; i++) {
		char *dir = xasprintf("%s/class/net/%s", sysfs_root(), ctl.ifaces[i]);
		struct stat st;
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			msg_warn("--iface %s: no such interface", ctl.ifaces[i]);
			usage_hint();
		}
		free(dir);
	}
	static const struct tuner_ops ops = {
		.name = "nettune-queues",
		.show = show_cb,
		.recommend = recommend_cb,
		.advise = advise_cb,
		.check_metrics = metrics_cb,
	};
	return tuner_run(&ops, &ctl, &ctl.common, tuner_command(argc, argv, optind, NULL, &ctl.common));
}
