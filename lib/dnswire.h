/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS messages (RFC 1035, EDNS0 RFC 6891): build queries, parse replies.
 * Pure functions over buffers, no I/O. The parser takes untrusted input
 * (RFC 9267): compression pointers only point backwards and are capped,
 * labels are <= 63 bytes, names <= 255 bytes (checked while expanding),
 * section counts and RDLENGTH are never trusted beyond the buffer.
 * Functions return 0 or -errno: -EBADMSG for a malformed message,
 * -EINVAL for a bad argument, -EMSGSIZE when an output buffer is too small.
 */
#ifndef TUNEKIT_DNSWIRE_H
#define TUNEKIT_DNSWIRE_H

#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN     12
#define DNS_MAX_LABEL      63
#define DNS_MAX_NAME       255   /* wire form, root label included */
#define DNS_MAX_NAME_TEXT  1024  /* text form: 255 bytes, each up to "\DDD" */
#define DNS_MAX_POINTERS   32    /* compression jumps followed in one name */
#define DNS_EDNS_PAYLOAD   1232  /* advertised UDP payload (DNS flag day 2020) */
#define DNS_MAX_UDP        65535
#define DNS_QUERY_MAX      (DNS_HEADER_LEN + DNS_MAX_NAME + 4 + 11)

/* header flag bits */
#define DNS_FLAG_QR  0x8000
#define DNS_FLAG_AA  0x0400
#define DNS_FLAG_TC  0x0200
#define DNS_FLAG_RD  0x0100
#define DNS_FLAG_RA  0x0080
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)
#define DNS_RCODE(flags)  ((flags) & 0xf)

enum {
	DNS_OPCODE_QUERY = 0,
};

enum {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
};

enum {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_SRV = 33,
	DNS_TYPE_OPT = 41,
	DNS_CLASS_IN = 1,
};

struct dns_header {
	uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

/* What dns_parse() learned from a whole message. */
struct dns_msg {
	struct dns_header hdr;
	uint8_t qname[DNS_MAX_NAME]; /* first question, uncompressed wire form */
	size_t qname_len;            /* 0 when qdcount is 0 */
	uint16_t qtype, qclass;
	unsigned answers;            /* RRs in the answer section */
	unsigned answer_addrs;       /* A/AAAA RRs in the answer section */
	int has_opt;                 /* an OPT RR was in the additional section */
	uint16_t opt_payload;        /* its advertised UDP payload size */
	unsigned rcode;              /* 12-bit rcode (OPT extended bits included) */
};

/* Read the 12-byte header. 0 or -EBADMSG (short). */
int dns_header_read(const uint8_t *msg, size_t len, struct dns_header *h);

/*
 * Expand the (possibly compressed) name at *off into uncompressed wire form
 * out[DNS_MAX_NAME], length in *out_len; *off moves past the name as it
 * appears at that place. Pointers must point strictly backwards (before
 * the lowest offset visited so far), at most DNS_MAX_POINTERS of them.
 */
int dns_name_unpack(const uint8_t *msg, size_t len, size_t *off,
		    uint8_t out[DNS_MAX_NAME], size_t *out_len);

/*
 * Text name ("www.example.com", trailing dot optional, "." the root) to
 * uncompressed wire form. -EINVAL: empty label, label > 63, name > 255,
 * whitespace or control characters.
 */
int dns_name_from_text(const char *text, uint8_t out[DNS_MAX_NAME], size_t *out_len);

/* Wire name to text with a trailing dot; bytes outside [!-~] and '.', '\\'
 * inside labels are escaped as \DDD or \. (RFC 4343). -EMSGSIZE if small. */
int dns_name_to_text(const uint8_t *wire, size_t wire_len, char *text, size_t size);

/* Compare two uncompressed wire names, ASCII case-insensitively (RFC 4343). */
int dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/*
 * Build a query: header (id, RD if rd), one question, an OPT RR advertising
 * DNS_EDNS_PAYLOAD when edns. out must hold DNS_QUERY_MAX bytes.
 */
int dns_build_query(uint8_t *out, size_t size, size_t *len, uint16_t id,
		    const char *name, uint16_t qtype, int rd, int edns);

/* Rewrite the ID of a message built by dns_build_query. */
void dns_set_id(uint8_t *msg, uint16_t id);

/*
 * Walk a whole message: header, questions, every RR of the three sections
 * (name, type, class, TTL, RDLENGTH inside the buffer; names inside the
 * RDATA of NS/CNAME/PTR/MX/SOA/SRV expanded and checked too). 0 or -EBADMSG.
 * Bytes after the last counted RR are ignored.
 */
int dns_parse(const uint8_t *msg, size_t len, struct dns_msg *m);

/* Why a datagram is not the reply to a query (DNS_MATCH_OK when it is). */
enum dns_match {
	DNS_MATCH_OK = 0,
	DNS_MATCH_SHORT,     /* shorter than a header */
	DNS_MATCH_ID,        /* another ID */
	DNS_MATCH_NOT_REPLY, /* QR not set */
	DNS_MATCH_OPCODE,    /* another opcode */
	DNS_MATCH_QUESTION,  /* qdcount, name (case-insensitive), type or class differ */
	DNS_MATCH_MALFORMED, /* question section cannot be parsed */
};

/*
 * Does reply answer query (both full messages)? Checks ID, QR, opcode and
 * the question. A FORMERR or NOTIMP without a question section is accepted
 * (servers that do not understand the query may not echo it back).
 */
enum dns_match dns_reply_match(const uint8_t *query, size_t qlen,
			       const uint8_t *reply, size_t rlen);

/* Short name of a match result ("id", "question"...). */
const char *dns_match_name(enum dns_match m);

/* "NOERROR", "SERVFAIL"...; NULL for an unknown rcode. */
const char *dns_rcode_name(unsigned rcode);

/* Record type by name ("A", "aaaa", "TYPE65") or 0; and back (NULL if unknown). */
uint16_t dns_type_from_name(const char *name);
const char *dns_type_name(uint16_t type);

#endif
