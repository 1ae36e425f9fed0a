/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nettune-iface: analyse network interfaces from netlink: state, MTU,
 * addresses, counters, speed, duplex, driver, qdisc and txqueuelen; or
 * watch per-second rates.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c.h"
#include "closestream.h"
#include "json.h"
#include "monoclock.h"
#include "msg.h"
#include "optval.h"
#include "nl.h"
#include "units.h"
#include "xalloc.h"

#define NS_PER_SEC 1000000000ULL
/* a watch interval longer than a day is a typo */
#define WATCH_MAX_NS (86400ULL * NS_PER_SEC)

struct options {
	const char **names; /* -i, in the order given; NULL for every link */
	size_t nnames;
	int all;            /* -a: loopback too */
	int json;
	uint64_t watch_ns;  /* 0: one report */
};

/* What ethtool adds to a link. */
struct link_extra {
	int32_t speed_mbps;
	uint8_t duplex;
	char driver[NL_DRIVER_MAX];
};

static void __attribute__((__noreturn__)) usage(void)
{
	printf("Usage:\n"
	       " %s [options]\n\n", msg_progname());
	fputs("Analyse network interfaces from netlink: state, MTU, addresses,\n"
	      "counters, speed, duplex, driver, qdisc and transmit queue length.\n\n", stdout);
	fputs("Options:\n"
	      " -i, --interface IFACE  show only IFACE (may be given more than once)\n"
	      " -a, --all              include loopback interfaces\n"
	      " -j, --json             print one JSON object\n"
	      " -w, --watch SECONDS    print per-second rates every SECONDS until interrupted\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n", stdout);
	exit(TK_EXIT_OK);
}

/*
 * Links to report, in output order: -i order, else dump order without lo.
 * A name given with -i that does not exist is a usage error, unless
 * missing_ok (a link removed while watching).
 */
static size_t select_links(const struct nl_links *links, const struct options *o,
			   int missing_ok, const struct nl_link **out)
{
	size_t n = 0;

	if (o->nnames) {
		for (size_t i = 0; i < o->nnames; i++) {
			const struct nl_link *l = nl_links_find(links, o->names[i]);
			int dup = 0;

			if (!l && missing_ok)
				continue;
			if (!l)
				msg_die(TK_EXIT_USAGE, "%s: no such interface", o->names[i]);
			for (size_t k = 0; k < n; k++)
				dup |= out[k] == l;
			if (!dup)
				out[n++] = l;
		}
		return n;
	}
	for (size_t i = 0; i < links->n; i++)
		if (o->all || !(links->v[i].flags & IFF_LOOPBACK))
			out[n++] = &links->v[i];
	return n;
}

/* speed and duplex from the session's ethtool dump; the driver by ioctl */
static void get_extra(struct nl_session *nls, const struct nl_link *l, struct link_extra *x)
{
	/* no ethtool support (lo, some virtual links) reads as unknown */
	x->speed_mbps = l->has_ethtool ? l->speed_mbps : NL_SPEED_UNKNOWN;
	x->duplex = l->has_ethtool ? l->duplex : NL_DUPLEX_UNKNOWN;
	if (nl_session_driver(nls, l->name, x->driver, sizeof(x->driver)) < 0)
		x->driver[0] = '\0';
}

static const char *family_name(uint8_t family)
{
	return family == AF_INET ? "inet" : "inet6";
}

static void print_json(const struct nl_link **sel, const struct link_extra *extra, size_t n)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_array_begin(&j, "interfaces");
	for (size_t i = 0; i < n; i++) {
		const struct nl_link *l = sel[i];
		const struct link_extra *x = &extra[i];
		const char *flags[16];
		size_t nflags = nl_flag_names(l->flags, flags, ARRAY_SIZE(flags));
		char sbuf[8];

		json_object_begin(&j, NULL);
		json_string(&j, "name", l->name);
		json_i64(&j, "ifindex", l->ifindex);
		json_string(&j, "kind", l->kind[0] ? l->kind : NULL);
		json_string(&j, "state", nl_operstate_name(l->operstate));
		json_array_begin(&j, "flags");
		for (size_t f = 0; f < nflags; f++)
			json_string(&j, NULL, flags[f]);
		json_array_end(&j);
		json_u64(&j, "mtu", l->mtu);
		json_u64(&j, "txqueuelen", l->txqlen);
		json_string(&j, "qdisc", l->qdisc[0] ? l->qdisc : NULL);
		if (x->speed_mbps == NL_SPEED_UNKNOWN)
			json_null(&j, "speed_mbps");
		else
			json_i64(&j, "speed_mbps", x->speed_mbps);
		json_string(&j, "duplex", nl_duplex_name(x->duplex));
		json_string(&j, "driver", x->driver[0] ? x->driver : NULL);
		json_array_begin(&j, "addresses");
		for (size_t a = 0; a < l->naddrs; a++) {
			const struct nl_addr *ad = &l->addrs[a];

			json_object_begin(&j, NULL);
			json_string(&j, "family", family_name(ad->family));
			json_string(&j, "address", ad->text);
			json_u64(&j, "prefixlen", ad->prefixlen);
			json_string(&j, "scope", nl_scope_name(ad->scope, sbuf, sizeof(sbuf)));
			json_object_end(&j);
		}
		json_array_end(&j);
		if (!l->has_stats) {
			json_null(&j, "stats");
		} else {
			json_object_begin(&j, "stats");
			json_u64(&j, "rx_bytes", l->stats.rx_bytes);
			json_u64(&j, "rx_packets", l->stats.rx_packets);
			json_u64(&j, "rx_errors", l->stats.rx_errors);
			json_u64(&j, "rx_dropped", l->stats.rx_dropped);
			json_u64(&j, "tx_bytes", l->stats.tx_bytes);
			json_u64(&j, "tx_packets", l->stats.tx_packets);
			json_u64(&j, "tx_errors", l->stats.tx_errors);
			json_u64(&j, "tx_dropped", l->stats.tx_dropped);
			json_object_end(&j);
		}
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
}

/* "1.5 MiB" -> "1.5MiB": one field a column, for awk and cut. */
static char *squeeze(char *s)
{
	char *sp = strchr(s, ' ');

	if (sp)
		memmove(sp, sp + 1, strlen(sp + 1) + 1);
	return s;
}

enum {
	COL_NAME, COL_STATE, COL_MTU, COL_SPEED, COL_DUPLEX, COL_DRIVER, COL_QDISC,
	COL_TXQLEN, COL_RXB, COL_RXP, COL_RXE, COL_RXD, COL_TXB, COL_TXP, COL_TXE,
	COL_TXD, COL_ADDR, NCOLS
};

static const char *const col_names[NCOLS] = {
	"NAME", "STATE", "MTU", "SPEED", "DUPLEX", "DRIVER", "QDISC", "TXQLEN",
	"RX", "RX-PKTS", "RX-ERR", "RX-DROP", "TX", "TX-PKTS", "TX-ERR", "TX-DROP",
	"ADDRESSES",
};

static char *fmt_u64(uint64_t v)
{
	return xasprintf("%llu", (unsigned long long)v);
}

static char *fmt_size(uint64_t v)
{
	char buf[32];

	return xstrdup(squeeze(units_format_size(v, buf, sizeof(buf))));
}

static char *fmt_addresses(const struct nl_link *l)
{
	size_t len = 1;
	char *s, *p;

	if (!l->naddrs)
		return xstrdup("-");
	for (size_t i = 0; i < l->naddrs; i++)
		len += strlen(l->addrs[i].text) + 5;
	p = s = xmalloc(len);
	for (size_t i = 0; i < l->naddrs; i++)
		p += snprintf(p, len - (size_t)(p - s), "%s%s/%u", i ? "," : "",
			      l->addrs[i].text, l->addrs[i].prefixlen);
	return s;
}

static void print_table(const struct nl_link **sel, const struct link_extra *extra, size_t n)
{
	char *(*cells)[NCOLS] = xcalloc(n ? n : 1, sizeof(*cells));
	size_t width[NCOLS];

	for (size_t c = 0; c < NCOLS; c++)
		width[c] = strlen(col_names[c]);
	for (size_t i = 0; i < n; i++) {
		const struct nl_link *l = sel[i];
		const struct link_extra *x = &extra[i];
		char **row = cells[i];
		char buf[32];

		row[COL_NAME] = xstrdup(l->name);
		row[COL_STATE] = xstrdup(nl_operstate_name(l->operstate));
		row[COL_MTU] = fmt_u64(l->mtu);
		row[COL_SPEED] = x->speed_mbps == NL_SPEED_UNKNOWN ? xstrdup("unknown") :
			xstrdup(squeeze(units_format_rate((uint64_t)x->speed_mbps * 1000000,
							  buf, sizeof(buf))));
		row[COL_DUPLEX] = xstrdup(nl_duplex_name(x->duplex));
		row[COL_DRIVER] = xstrdup(x->driver[0] ? x->driver : "-");
		row[COL_QDISC] = xstrdup(l->qdisc[0] ? l->qdisc : "-");
		row[COL_TXQLEN] = fmt_u64(l->txqlen);
		if (l->has_stats) {
			row[COL_RXB] = fmt_size(l->stats.rx_bytes);
			row[COL_RXP] = fmt_u64(l->stats.rx_packets);
			row[COL_RXE] = fmt_u64(l->stats.rx_errors);
			row[COL_RXD] = fmt_u64(l->stats.rx_dropped);
			row[COL_TXB] = fmt_size(l->stats.tx_bytes);
			row[COL_TXP] = fmt_u64(l->stats.tx_packets);
			row[COL_TXE] = fmt_u64(l->stats.tx_errors);
			row[COL_TXD] = fmt_u64(l->stats.tx_dropped);
		} else {
			for (size_t c = COL_RXB; c <= COL_TXD; c++)
				row[c] = xstrdup("-");
		}
		row[COL_ADDR] = fmt_addresses(l);
		for (size_t c = 0; c < NCOLS; c++)
			if (strlen(row[c]) > width[c])
				width[c] = strlen(row[c]);
	}

	for (size_t i = 0; i <= n; i++) {
		for (size_t c = 0; c < NCOLS; c++) {
			const char *s = i == 0 ? col_names[c] : cells[i - 1][c];

			if (c + 1 == NCOLS)
				printf("%s\n", s);
			else
				printf("%-*s  ", (int)width[c], s);
		}
	}
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < NCOLS; c++)
			free(cells[i][c]);
	free(cells);
}

static void dump_links(struct nl_session *nls, struct nl_links *links, int with_addrs)
{
	int rc = nl_session_links(nls, links);

	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "cannot dump network links");
	if (with_addrs && (rc = nl_session_addrs(nls, links)) < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "cannot dump addresses");
}

static int report(const struct options *o)
{
	struct nl_session *nls;
	struct nl_links links;
	const struct nl_link **sel;
	struct link_extra *extra;
	size_t n;

	/* one session: a link dump, an address dump, one ethtool dump */
	nl_session_open(&nls);
	dump_links(nls, &links, 1);
	nl_session_ethtool(nls, &links);
	sel = xcalloc(links.n + o->nnames + 1, sizeof(*sel));
	n = select_links(&links, o, 0, sel);
	extra = xcalloc(n ? n : 1, sizeof(*extra));
	for (size_t i = 0; i < n; i++)
		get_extra(nls, sel[i], &extra[i]);
	nl_session_close(nls);

	if (o->json)
		print_json(sel, extra, n);
	else
		print_table(sel, extra, n);

	free(extra);
	free(sel);
	nl_links_free(&links);
	return TK_EXIT_OK;
}

/* Wait until deadline; returns 1 when SIGINT or SIGTERM arrived instead. */
static int wait_until(uint64_t deadline, const sigset_t *stopset)
{
	for (;;) {
		uint64_t now = mono_ns();
		struct timespec left;

		if (now >= deadline)
			return 0;
		left.tv_sec = (time_t)((deadline - now) / NS_PER_SEC);
		left.tv_nsec = (long)((deadline - now) % NS_PER_SEC);
		if (sigtimedwait(stopset, NULL, &left) >= 0)
			return 1;
		if (errno != EAGAIN && errno != EINTR)
			msg_die_errno(TK_EXIT_FAILURE, errno, "cannot wait for the next interval");
	}
}

/* Counters go backwards when a driver resets them: count that as no traffic. */
static double per_sec(uint64_t now, uint64_t before, double secs)
{
	return now >= before ? (double)(now - before) / secs : 0.0;
}

struct rates {
	double rx_bytes, tx_bytes, rx_packets, tx_packets;
	double rx_errors, tx_errors, rx_dropped, tx_dropped;
};

static void compute_rates(const struct nl_stats *a, const struct nl_stats *b,
			  double secs, struct rates *r)
{
	r->rx_bytes = per_sec(b->rx_bytes, a->rx_bytes, secs);
	r->tx_bytes = per_sec(b->tx_bytes, a->tx_bytes, secs);
	r->rx_packets = per_sec(b->rx_packets, a->rx_packets, secs);
	r->tx_packets = per_sec(b->tx_packets, a->tx_packets, secs);
	r->rx_errors = per_sec(b->rx_errors, a->rx_errors, secs);
	r->tx_errors = per_sec(b->tx_errors, a->tx_errors, secs);
	r->rx_dropped = per_sec(b->rx_dropped, a->rx_dropped, secs);
	r->tx_dropped = per_sec(b->tx_dropped, a->tx_dropped, secs);
}

static char *fmt_bitrate(double bytes_per_sec, char *buf, size_t len)
{
	return squeeze(units_format_rate((uint64_t)(bytes_per_sec * 8.0 + 0.5), buf, len));
}

static void print_rates(const struct nl_links *before, const struct nl_links *after,
			const struct options *o, double secs, size_t width)
{
	static int blocks;
	const struct nl_link **sel = xcalloc(after->n + o->nnames + 1, sizeof(*sel));
	size_t n = select_links(after, o, 1, sel);
	struct json j;

	/* a blank line between the blocks of several interfaces, as sar(1) does */
	if (!o->json && n > 1 && blocks++)
		putchar('\n');
	if (o->json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_double(&j, "interval_sec", secs, 3);
		json_array_begin(&j, "interfaces");
	}
	for (size_t i = 0; i < n; i++) {
		const struct nl_link *b = sel[i];
		const struct nl_link *a = nl_links_find_index(before, b->ifindex);
		struct rates r;
		char rx[32], tx[32];

		/* a link that appeared during the interval has no rate yet */
		if (!a || !a->has_stats || !b->has_stats)
			continue;
		compute_rates(&a->stats, &b->stats, secs, &r);
		if (o->json) {
			json_object_begin(&j, NULL);
			json_string(&j, "name", b->name);
			json_double(&j, "rx_bytes_per_sec", r.rx_bytes, 1);
			json_double(&j, "tx_bytes_per_sec", r.tx_bytes, 1);
			json_double(&j, "rx_packets_per_sec", r.rx_packets, 1);
			json_double(&j, "tx_packets_per_sec", r.tx_packets, 1);
			json_double(&j, "rx_errors_per_sec", r.rx_errors, 1);
			json_double(&j, "tx_errors_per_sec", r.tx_errors, 1);
			json_double(&j, "rx_dropped_per_sec", r.rx_dropped, 1);
			json_double(&j, "tx_dropped_per_sec", r.tx_dropped, 1);
			json_object_end(&j);
		} else {
			printf("%-*s  %12s  %12s  %10.1f  %10.1f  %8.1f  %8.1f  %9.1f  %9.1f\n",
			       (int)width, b->name,
			       fmt_bitrate(r.rx_bytes, rx, sizeof(rx)),
			       fmt_bitrate(r.tx_bytes, tx, sizeof(tx)),
			       r.rx_packets, r.tx_packets, r.rx_errors, r.tx_errors,
			       r.rx_dropped, r.tx_dropped);
		}
	}
	if (o->json) {
		json_array_end(&j);
		json_object_end(&j);
	}
	free(sel);
	fflush(stdout);
}

static int watch(const struct options *o)
{
	struct nl_links before, after;
	sigset_t stopset;
	uint64_t t0, t1, deadline;
	size_t width = strlen("NAME");

	/* block the stop signals and take them synchronously: no race with the wait */
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGINT);
	sigaddset(&stopset, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &stopset, NULL) < 0)
		msg_die_errno(TK_EXIT_FAILURE, errno, "cannot block signals");

	struct nl_session *nls;
	nl_session_open(&nls);
	dump_links(nls, &before, 0);
	t0 = mono_ns();
	{
		/* check -i names now and size the name column */
		const struct nl_link **sel = xcalloc(before.n + o->nnames + 1, sizeof(*sel));
		size_t n = select_links(&before, o, 0, sel);

		for (size_t i = 0; i < n; i++)
			if (strlen(sel[i]->name) > width)
				width = strlen(sel[i]->name);
		free(sel);
	}
	if (!o->json) {
		printf("%-*s  %12s  %12s  %10s  %10s  %8s  %8s  %9s  %9s\n", (int)width,
		       "NAME", "RX", "TX", "RX-PKT/S", "TX-PKT/S", "RX-ERR/S", "TX-ERR/S",
		       "RX-DROP/S", "TX-DROP/S");
		fflush(stdout);
	}

	deadline = t0;
	for (;;) {
		deadline += o->watch_ns;
		if (wait_until(deadline, &stopset))
			break;
		dump_links(nls, &after, 0);
		t1 = mono_ns();
		print_rates(&before, &after, o, (double)(t1 - t0) / (double)NS_PER_SEC, width);
		nl_links_free(&before);
		before = after;
		t0 = t1;
	}
	nl_links_free(&before);
	nl_session_close(nls);
	return TK_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "all",       no_argument,       NULL, 'a' },
		{ "json",      no_argument,       NULL, 'j' },
		{ "watch",     required_argument, NULL, 'w' },
		{ "help",      no_argument,       NULL, 'h' },
		{ "version",   no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { 0 };
	int c, rc;

	msg_init(argv[0]);
	close_stdout_atexit();

	o.names = xcalloc((size_t)argc, sizeof(*o.names));
	while ((c = getopt_long(argc, argv, "i:ajw:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (!*optarg) {
				msg_warn("empty interface name");
				usage_hint();
			}
			o.names[o.nnames++] = optarg;
			break;
		case 'a':
			o.all = 1;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'w':
			o.watch_ns = optval_or_die(OPTVAL_SECONDS, "--watch", optarg, 1, WATCH_MAX_NS);
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			usage_hint();
		}
	}
	if (optind < argc) {
		msg_warn("unexpected argument: '%s'", argv[optind]);
		usage_hint();
	}

	rc = o.watch_ns ? watch(&o) : report(&o);
	free(o.names);
	return rc;
}
