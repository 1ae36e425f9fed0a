/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the netlink message parsers of lib/nl.c (link, address,
 * ethtool link modes, generic netlink family, ring sizes, coalescing). The first byte picks the
 * parser; the rest is one message whose nlmsg_len is forced to the input
 * size, as libmnl's receive loop guarantees before calling them.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "nl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 + sizeof(struct nlmsghdr) || size > 65536)
		return 0;
	uint8_t which = data[0];
	size--;
	/* netlink buffers are 4-byte aligned */
	uint32_t *buf = calloc(1, (size + 3) & ~(size_t)3);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size);
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	nlh->nlmsg_len = (uint32_t)size;

	struct nl_link link;
	struct nl_addr addr;
	int32_t speed;
	uint8_t duplex;
	uint16_t family;
	memset(&link, 0, sizeof(link));
	struct nl_rings rings;
	struct nl_coalesce coal;
	switch (which % 6) {
	case 0:
		nl_link_parse(nlh, &link);
		break;
	case 1:
		nl_addr_parse(nlh, &addr);
		break;
	case 2:
		nl_linkmodes_parse(nlh, &speed, &duplex);
		break;
	case 3:
		nl_genl_family_parse(nlh, &family);
		break;
	case 4:
		nl_rings_parse(nlh, &rings);
		break;
	default:
		nl_coalesce_parse(nlh, &coal);
		break;
	}
	free(buf);
	return 0;
}
