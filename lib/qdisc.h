/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Root qdiscs through rtnetlink (libmnl): dump them (RTM_GETQDISC), replace
 * one (RTM_NEWQDISC with NLM_F_CREATE|NLM_F_REPLACE) and put the previous
 * one back. An unknown kind comes back as -ENOENT.
 */
#ifndef TUNEKIT_QDISC_H
#define TUNEKIT_QDISC_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#define QDISC_KIND_MAX 32

struct qdisc_root {
	int ifindex;
	char ifname[IF_NAMESIZE];
	char kind[QDISC_KIND_MAX];
	uint32_t handle;      /* 0 for the default qdisc the kernel attached */
	void *options;        /* raw TCA_OPTIONS payload, to put it back */
	size_t options_len;
};

/* Root qdisc of every interface, sorted by interface name. 0 or -errno. */
int qdisc_root_list(struct qdisc_root **roots, size_t *n);
void qdisc_root_list_free(struct qdisc_root *roots, size_t n);

/* Root qdisc of one interface. 0, -ENODEV (no such interface) or -errno. */
int qdisc_root_get(const char *ifname, struct qdisc_root *out);
void qdisc_root_free(struct qdisc_root *q);

/*
 * Replace the root qdisc of ifindex with kind (default options). 0 or -errno;
 * -ENOENT: the kernel does not know kind. why (may be NULL) gets the
 * kernel's extended ack message, if any.
 */
int qdisc_replace_root(int ifindex, const char *kind, char *why, size_t whylen);

/*
 * Put a saved root back: the kernel's default (handle 0) by deleting ours,
 * anything else by replacing with its kind and saved options. 0 or -errno.
 */
int qdisc_restore_root(const struct qdisc_root *saved);

/*
 * Best guess whether the running kernel offers kind without trying it: in
 * use on an interface, one of the always built-in kinds, loaded
 * (/sys/module/sch_KIND) or listed in /lib/modules/RELEASE/modules.builtin
 * or modules.dep (read under --root). 1 yes, 0 not found.
 */
int qdisc_kind_available(const char *kind);

/*
 * The kinds the kernel or tunekit attaches by themselves (pfifo_fast,
 * noqueue, mq, fq_codel, pfifo, fq): replacing one loses no setup of the
 * user's. 1 yes, 0 no.
 */
int qdisc_kind_is_default(const char *kind);

/* What hangs under an interface's root qdisc besides itself. */
struct qdisc_tree {
	size_t nclasses;                 /* classes of any qdisc on it */
	size_t nfilters;                 /* filters on the root qdisc (by priority) */
	size_t nchildren;                /* qdiscs below the root (not ingress/clsact) */
	char child_kind[QDISC_KIND_MAX]; /* first child of a non-default kind, "" if none */
};

/* Count the classes, root filters and child qdiscs of ifindex. 0 or -errno. */
int qdisc_tree_get(int ifindex, struct qdisc_tree *t);

/*
 * Ask the kernel whether it knows kind, changing nothing: a child process
 * in a network namespace of its own puts kind on its lo. 1 known, 0
 * unknown (-ENOENT), -EPERM without CAP_SYS_ADMIN, other -errno: no answer.
 */
int qdisc_kind_probe(const char *kind);

#endif
