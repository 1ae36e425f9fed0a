/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the DNS message parser, the name expander and reply matching. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnswire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_msg m;
	uint8_t q[DNS_QUERY_MAX], name[DNS_MAX_NAME], again[DNS_MAX_NAME];
	char text[DNS_MAX_NAME_TEXT];
	size_t qlen, nlen, alen;

	if (dns_parse(data, size, &m) == 0 && m.qname_len) {
		/* a parsed question name prints and parses back to the same wire name */
		if (m.qname_len > DNS_MAX_NAME || dns_name_to_text(m.qname, m.qname_len, text, sizeof(text)) < 0)
			abort();
		if (dns_name_from_text(text, again, &alen) < 0 ||
		    !dns_name_equal(m.qname, m.qname_len, again, alen))
			abort();
	}
	/* every offset as the start of a name: never reads outside, never loops */
	for (size_t off = 0; off < size && off < 64; off++) {
		size_t o = off;
		if (dns_name_unpack(data, size, &o, name, &nlen) == 0 &&
		    (nlen == 0 || nlen > DNS_MAX_NAME || o > size || o <= off))
			abort();
	}
	if (dns_build_query(q, sizeof(q), &qlen, size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0,
			    "www.example.com", DNS_TYPE_A, 1, 1) == 0)
		(void)dns_reply_match(q, qlen, data, size);
	return 0;
}
