/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP sockets of this network namespace through NETLINK_SOCK_DIAG
 * (inet_diag), IPv4 and IPv6, with struct tcp_info (INET_DIAG_INFO), the
 * congestion control name (INET_DIAG_CONG) and memory (INET_DIAG_SKMEMINFO).
 */
#ifndef TUNEKIT_SOCKDIAG_H
#define TUNEKIT_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

/* "[ffff:...:1]:65535" fits */
#define SOCKDIAG_ADDR_MAX 56

/* Bits of the TCP states to dump (1 << TCP_ESTABLISHED etc.). */
#define SOCKDIAG_ESTABLISHED (1U << 1)
#define SOCKDIAG_ALL_STATES 0xfffU

struct sockdiag_conn {
	int family;                       /* AF_INET or AF_INET6 */
	uint8_t state;                    /* TCP_ESTABLISHED ... */
	char local[SOCKDIAG_ADDR_MAX];    /* "10.200.0.1:5001", "[::1]:22" */
	char peer[SOCKDIAG_ADDR_MAX];
	uint32_t inode;
	uint64_t cookie;                  /* stable id across two dumps */
	int has_info;                     /* info valid (zero-filled past info_len) */
	size_t info_len;                  /* bytes the kernel sent */
	struct tcp_info info;
	char cong[16];                    /* "" when not reported */
	int has_skmem;
	uint32_t skmem[SK_MEMINFO_VARS];  /* SK_MEMINFO_RCVBUF, _SNDBUF ... */
};

/* All TCP sockets in states (a SOCKDIAG_* mask), v4 then v6. 0 or -errno. */
int sockdiag_tcp_list(unsigned states, struct sockdiag_conn **conns, size_t *n);

/* Find a socket by cookie in a list, NULL if gone. */
const struct sockdiag_conn *sockdiag_find(const struct sockdiag_conn *conns, size_t n,
					  uint64_t cookie);

/* Name of a TCP state ("ESTAB", "LISTEN" ...). */
const char *sockdiag_state_name(uint8_t state);

#endif
