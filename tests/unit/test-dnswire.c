/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/dnswire: query building, name handling and the hardened parser. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "dnswire.h"
#include "tap.h"

static uint8_t msg[4096];

/* A header with the given counts at msg[0..11]; returns 12. */
static size_t header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	uint16_t v[6] = { id, flags, qd, an, ns, ar };
	for (int i = 0; i < 6; i++) {
		msg[2 * i] = (uint8_t)(v[i] >> 8);
		msg[2 * i + 1] = (uint8_t)v[i];
	}
	return DNS_HEADER_LEN;
}

static size_t put_bytes(size_t off, const void *p, size_t n)
{
	memcpy(msg + off, p, n);
	return off + n;
}

static size_t put16(size_t off, uint16_t v)
{
	msg[off] = (uint8_t)(v >> 8);
	msg[off + 1] = (uint8_t)v;
	return off + 2;
}

static int unpack_at(size_t len, size_t off, size_t *out_len)
{
	uint8_t out[DNS_MAX_NAME];
	size_t o = off, n = 0;
	int rc = dns_name_unpack(msg, len, &o, out, &n);
	if (out_len)
		*out_len = n;
	return rc;
}

static void test_build_query(void)
{
	uint8_t q[DNS_QUERY_MAX];
	size_t len;
	struct dns_msg m;

	is_int(dns_build_query(q, sizeof(q), &len, 0xbeef, "www.example.com", DNS_TYPE_A, 1, 1), 0,
	       "build query with EDNS");
	is_int((long long)len, 12 + 17 + 4 + 11, "query length: header, name, type/class, OPT");
	is_int(q[0] << 8 | q[1], 0xbeef, "query ID");
	is_int(q[2] << 8 | q[3], DNS_FLAG_RD, "RD set, QR clear, opcode QUERY");
	is_int(dns_parse(q, len, &m), 0, "own query parses");
	ok(m.has_opt && m.opt_payload == DNS_EDNS_PAYLOAD, "OPT advertises 1232 bytes");
	is_int(m.hdr.arcount, 1, "OPT counted in ARCOUNT");
	is_int(dns_build_query(q, sizeof(q), &len, 1, "example.com.", DNS_TYPE_AAAA, 1, 0), 0,
	       "build query without EDNS");
	is_int((long long)len, 12 + 13 + 4, "no OPT appended");
	is_int(dns_build_query(q, 20, &len, 1, "example.com", DNS_TYPE_A, 1, 1), -EMSGSIZE,
	       "small buffer: -EMSGSIZE");
	dns_set_id(q, 0x1234);
	is_int(q[0] << 8 | q[1], 0x1234, "dns_set_id rewrites the ID");
}

static void test_name_text(void)
{
	uint8_t w[DNS_MAX_NAME];
	size_t n;
	char label63[64], label64[65], name[400], text[DNS_MAX_NAME_TEXT];

	memset(label63, 'a', 63);
	label63[63] = '\0';
	memset(label64, 'a', 64);
	label64[64] = '\0';
	is_int(dns_name_from_text(label63, w, &n), 0, "63-byte label accepted");
	is_int(dns_name_from_text(label64, w, &n), -EINVAL, "64-byte label rejected");
	/* 4 labels: 63+63+63+61 chars = 250 + 3 dots; wire 1+63+1+63+1+63+1+61+1 = 255 */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label63, label63, label63, label63);
	is_int(dns_name_from_text(name, w, &n), 0, "255-byte wire name accepted");
	is_int((long long)n, 255, "wire length 255");
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label63, label63, label63, label63);
	is_int(dns_name_from_text(name, w, &n), -EINVAL, "256-byte wire name rejected");
	is_int(dns_name_from_text("a..b", w, &n), -EINVAL, "empty label rejected");
	is_int(dns_name_from_text(".a", w, &n), -EINVAL, "leading dot rejected");
	is_int(dns_name_from_text("a b", w, &n), -EINVAL, "space rejected");
	is_int(dns_name_from_text("", w, &n), -EINVAL, "empty name rejected");
	is_int(dns_name_from_text(".", w, &n), 0, "root accepted");
	is_int((long long)n, 1, "root is one byte");
	is_int(dns_name_from_text("a\\.b.c", w, &n), 0, "escaped dot accepted");
	is_int(w[0], 3, "escaped dot stays inside the label");
	dns_name_to_text(w, n, text, sizeof(text));
	is_str(text, "a\\.b.c.", "escaped dot printed back");
	dns_name_from_text("x\\007y.Example", w, &n);
	dns_name_to_text(w, n, text, sizeof(text));
	is_str(text, "x\\007y.Example.", "control byte printed as \\DDD, case kept");
	is_int(dns_name_to_text(w, n, text, 5), -EMSGSIZE, "small text buffer: -EMSGSIZE");
}

static void test_name_equal(void)
{
	uint8_t a[DNS_MAX_NAME], b[DNS_MAX_NAME];
	size_t an, bn;
	dns_name_from_text("WwW.ExAmPlE.cOm", a, &an);
	dns_name_from_text("www.example.com.", b, &bn);
	ok(dns_name_equal(a, an, b, bn), "names compare case-insensitively");
	dns_name_from_text("www.example.org", b, &bn);
	ok(!dns_name_equal(a, an, b, bn), "different names differ");
	dns_name_from_text("w\\219w.example.com", a, &an);
	dns_name_from_text("w\\251w.example.com", b, &bn);
	ok(!dns_name_equal(a, an, b, bn), "bytes above 127 are not folded");
}

static void test_compression(void)
{
	size_t off, n;

	/* "a." at 12, a pointer to it at 15 */
	off = header(1, 0, 0, 0, 0, 0);
	off = put_bytes(off, "\001a\000", 3);
	msg[off++] = 0xc0;
	msg[off++] = 12;
	is_int(unpack_at(off, 15, &n), 0, "backward pointer followed");
	is_int((long long)n, 3, "expanded name length");
	{
		size_t o = 15;
		uint8_t out[DNS_MAX_NAME];
		dns_name_unpack(msg, off, &o, out, &n);
		is_int((long long)o, 17, "offset moves past the pointer, not the target");
	}

	/* pointer to itself */
	off = header(1, 0, 0, 0, 0, 0);
	msg[off++] = 0xc0;
	msg[off++] = 12;
	is_int(unpack_at(off, 12, NULL), -EBADMSG, "pointer to itself rejected");

	/* forward pointer */
	off = header(1, 0, 0, 0, 0, 0);
	msg[off++] = 0xc0;
	msg[off++] = 14;
	off = put_bytes(off, "\001a\000", 3);
	is_int(unpack_at(off, 12, NULL), -EBADMSG, "forward pointer rejected");

	/* a label then a pointer back to that same name's start: a loop */
	off = header(1, 0, 0, 0, 0, 0);
	off = put_bytes(off, "\001a", 2);
	msg[off++] = 0xc0;
	msg[off++] = 12;
	is_int(unpack_at(off, 12, NULL), -EBADMSG, "loop through a label rejected");

	/* two pointers bouncing: 14 -> 12 -> 14 */
	off = header(1, 0, 0, 0, 0, 0);
	msg[off++] = 0xc0;
	msg[off++] = 14;
	msg[off++] = 0xc0;
	msg[off++] = 12;
	is_int(unpack_at(off, 14, NULL), -EBADMSG, "two-pointer loop rejected");

	/* chains of pointers: DNS_MAX_POINTERS followed, one more rejected */
	off = header(1, 0, 0, 0, 0, 0);
	off = put_bytes(off, "\001a\000", 3);
	size_t prev = 12, start[40];
	for (int i = 0; i < 40; i++) {
		start[i] = off;
		msg[off++] = (uint8_t)(0xc0 | prev >> 8);
		msg[off++] = (uint8_t)prev;
		prev = start[i];
	}
	is_int(unpack_at(off, start[DNS_MAX_POINTERS - 1], NULL), 0, "chain of 32 pointers followed");
	is_int(unpack_at(off, start[DNS_MAX_POINTERS], NULL), -EBADMSG, "chain of 33 pointers rejected (jump cap)");

	/* truncated pointer, truncated label, missing root */
	off = header(1, 0, 0, 0, 0, 0);
	msg[off++] = 0xc0;
	is_int(unpack_at(off, 12, NULL), -EBADMSG, "pointer cut after one byte rejected");
	off = header(1, 0, 0, 0, 0, 0);
	off = put_bytes(off, "\005ab", 3);
	is_int(unpack_at(off, 12, NULL), -EBADMSG, "label running past the buffer rejected");
	off = header(1, 0, 0, 0, 0, 0);
	off = put_bytes(off, "\001a", 2);
	is_int(unpack_at(off, 12, NULL), -EBADMSG, "name without root label rejected");

	/* label types 01 and 10 */
	off = header(1, 0, 0, 0, 0, 0);
	off = put_bytes(off, "\101a\000", 3);
	is_int(unpack_at(off, 12, NULL), -EBADMSG, "extended label type 0x40 rejected");
	off = header(1, 0, 0, 0, 0, 0);
	off = put_bytes(off, "\201a\000", 3);
	is_int(unpack_at(off, 12, NULL), -EBADMSG, "reserved label type 0x80 rejected");
}

/* Segments of one 63-byte label each, every one pointing to the previous. */
static void test_long_names(void)
{
	size_t off = header(1, 0, 0, 0, 0, 0), seg[5], n;
	uint8_t lab[64];
	lab[0] = 63;
	memset(lab + 1, 'x', 63);
	/* root-terminated base "x{61}." (63 bytes) so 3 x 64 + 63 = 255 */
	seg[0] = off;
	msg[off++] = 61;
	memset(msg + off, 'y', 61);
	off += 61;
	msg[off++] = 0;
	for (int i = 1; i < 5; i++) {
		seg[i] = off;
		off = put_bytes(off, lab, 64);
		msg[off++] = (uint8_t)(0xc0 | seg[i - 1] >> 8);
		msg[off++] = (uint8_t)seg[i - 1];
	}
	is_int(unpack_at(off, seg[3], &n), 0, "255-byte name through pointers accepted");
	is_int((long long)n, 255, "expanded to 255 bytes");
	is_int(unpack_at(off, seg[4], NULL), -EBADMSG, "name over 255 bytes through pointers rejected");
}

/* A reply to "example.com A": question + one A answer (pointer to the qname). */
static size_t reply(uint16_t id, uint16_t flags, uint16_t an, int with_answer)
{
	size_t off = header(id, flags, 1, an, 0, 0);
	off = put_bytes(off, "\007example\003com\000", 13);
	off = put16(off, DNS_TYPE_A);
	off = put16(off, DNS_CLASS_IN);
	if (with_answer) {
		msg[off++] = 0xc0;
		msg[off++] = 12;
		off = put16(off, DNS_TYPE_A);
		off = put16(off, DNS_CLASS_IN);
		off = put_bytes(off, "\0\0\1\0", 4);
		off = put16(off, 4);
		off = put_bytes(off, "\300\000\002\001", 4);
	}
	return off;
}

static void test_parse(void)
{
	struct dns_msg m;
	size_t len;

	len = reply(7, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA, 1, 1);
	is_int(dns_parse(msg, len, &m), 0, "well-formed reply parses");
	is_int(m.answers, 1, "one answer");
	is_int(m.answer_addrs, 1, "one address answer");
	is_int(m.qtype, DNS_TYPE_A, "question type");

	len = reply(7, DNS_FLAG_QR, 5, 1);
	is_int(dns_parse(msg, len, &m), -EBADMSG, "ANCOUNT beyond the buffer rejected");
	len = reply(7, DNS_FLAG_QR, 1, 1);
	msg[len - 6] = 0;
	msg[len - 5] = 200;
	is_int(dns_parse(msg, len, &m), -EBADMSG, "RDLENGTH beyond the buffer rejected");
	len = reply(7, DNS_FLAG_QR, 1, 1);
	msg[len - 5] = 3;
	is_int(dns_parse(msg, len - 1, &m), -EBADMSG, "A record with 3 bytes of RDATA rejected");
	len = reply(7, DNS_FLAG_QR, 0, 0);
	msg[4] = 0xff;
	msg[5] = 0xff;
	is_int(dns_parse(msg, len, &m), -EBADMSG, "QDCOUNT 65535 in a short message rejected");
	is_int(dns_parse(msg, 11, &m), -EBADMSG, "message shorter than a header rejected");

	/* answer whose owner name is a compression loop */
	len = reply(7, DNS_FLAG_QR, 1, 1);
	msg[29] = 0xc0;
	msg[30] = 29;
	is_int(dns_parse(msg, len, &m), -EBADMSG, "answer with a looping owner name rejected");

	/* CNAME whose target runs past RDLENGTH */
	len = reply(7, DNS_FLAG_QR, 1, 0);
	msg[len++] = 0xc0;
	msg[len++] = 12;
	len = put16(len, DNS_TYPE_CNAME);
	len = put16(len, DNS_CLASS_IN);
	len = put_bytes(len, "\0\0\0\1", 4);
	len = put16(len, 3);
	len = put_bytes(len, "\003www\300\014", 6);
	is_int(dns_parse(msg, len, &m), -EBADMSG, "CNAME target crossing RDLENGTH rejected");

	/* OPT with extended rcode bits: BADVERS = 16 */
	len = reply(7, DNS_FLAG_QR, 0, 0);
	msg[11] = 1;
	msg[len++] = 0;
	len = put16(len, DNS_TYPE_OPT);
	len = put16(len, 1232);
	len = put_bytes(len, "\001\000\000\000", 4);
	len = put16(len, 0);
	is_int(dns_parse(msg, len, &m), 0, "reply with OPT parses");
	is_int(m.rcode, 16, "extended rcode combined from OPT");
	is_int(m.opt_payload, 1232, "OPT payload read");
	msg[7] = 1;	/* now the OPT sits in the answer section */
	msg[11] = 0;
	is_int(dns_parse(msg, len, &m), -EBADMSG, "OPT outside the additional section rejected");
}

static void test_match(void)
{
	uint8_t q[DNS_QUERY_MAX], r[512];
	size_t qlen, rlen;

	dns_build_query(q, sizeof(q), &qlen, 0x4242, "ExAmPlE.CoM", DNS_TYPE_A, 1, 1);
	rlen = reply(0x4242, DNS_FLAG_QR | DNS_FLAG_RD, 1, 1);
	memcpy(r, msg, rlen);
	is_int(dns_reply_match(q, qlen, r, rlen), DNS_MATCH_OK, "reply matches (question case-insensitive)");
	r[1] ^= 1;
	is_int(dns_reply_match(q, qlen, r, rlen), DNS_MATCH_ID, "other ID: no match");
	r[1] ^= 1;
	r[2] &= 0x7f;
	is_int(dns_reply_match(q, qlen, r, rlen), DNS_MATCH_NOT_REPLY, "QR clear: no match");
	r[2] |= 0x80;
	r[2] |= 0x10; /* opcode 2 */
	is_int(dns_reply_match(q, qlen, r, rlen), DNS_MATCH_OPCODE, "other opcode: no match");
	r[2] &= (uint8_t)~0x10;
	r[13] = 'f';
	is_int(dns_reply_match(q, qlen, r, rlen), DNS_MATCH_QUESTION, "other name: no match");
	r[13] = 'e';
	r[26] = DNS_TYPE_AAAA;
	is_int(dns_reply_match(q, qlen, r, rlen), DNS_MATCH_QUESTION, "other type: no match");
	r[26] = DNS_TYPE_A;
	is_int(dns_reply_match(q, qlen, r, 5), DNS_MATCH_SHORT, "runt: no match");
	is_int(dns_reply_match(q, qlen, r, 20), DNS_MATCH_MALFORMED, "question cut short: no match");
	r[12] = 0xc0;
	r[13] = 12;
	is_int(dns_reply_match(q, qlen, r, rlen), DNS_MATCH_MALFORMED, "question with a pointer loop: no match");

	/* FORMERR without a question is accepted, SERVFAIL without one is not */
	rlen = header(0x4242, DNS_FLAG_QR | DNS_RCODE_FORMERR, 0, 0, 0, 0);
	is_int(dns_reply_match(q, qlen, msg, rlen), DNS_MATCH_OK, "FORMERR without question matches");
	rlen = header(0x4242, DNS_FLAG_QR | DNS_RCODE_SERVFAIL, 0, 0, 0, 0);
	is_int(dns_reply_match(q, qlen, msg, rlen), DNS_MATCH_QUESTION, "SERVFAIL without question: no match");
	is_str(dns_match_name(DNS_MATCH_ID), "id", "match names");
}

static void test_names(void)
{
	is_int(dns_type_from_name("aaaa"), DNS_TYPE_AAAA, "type by name, any case");
	is_int(dns_type_from_name("TYPE65"), 65, "TYPEnnn");
	is_int(dns_type_from_name("TYPE41"), 0, "OPT is not a question type");
	is_int(dns_type_from_name("TYPE70000"), 0, "TYPE over 65535 rejected");
	is_int(dns_type_from_name("BOGUS"), 0, "unknown type rejected");
	is_str(dns_rcode_name(DNS_RCODE_SERVFAIL), "SERVFAIL", "rcode name");
	ok(dns_rcode_name(99) == NULL, "unknown rcode has no name");
}

int main(void)
{
	test_build_query();
	test_name_text();
	test_name_equal();
	test_compression();
	test_long_names();
	test_parse();
	test_match();
	test_names();
	return done_testing();
}
