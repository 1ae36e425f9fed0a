/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "c.h"
#include "dnswire.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int dns_header_read(const uint8_t *msg, size_t len, struct dns_header *h)
{
	if (!msg || len < DNS_HEADER_LEN)
		return -EBADMSG;
	h->id = get16(msg);
	h->flags = get16(msg + 2);
	h->qdcount = get16(msg + 4);
	h->ancount = get16(msg + 6);
	h->nscount = get16(msg + 8);
	h->arcount = get16(msg + 10);
	return 0;
}

int dns_name_unpack(const uint8_t *msg, size_t len, size_t *off,
		    uint8_t out[DNS_MAX_NAME], size_t *out_len)
{
	size_t pos = *off, lowest = *off, n = 0, after = 0;
	unsigned jumps = 0;

	for (;;) {
		if (pos >= len)
			return -EBADMSG;
		uint8_t c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return -EBADMSG;
			size_t target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			/* strictly before anything this name has used: no loops */
			if (target >= lowest || ++jumps > DNS_MAX_POINTERS)
				return -EBADMSG;
			if (!after)
				after = pos + 2;
			pos = lowest = target;
			continue;
		}
		if (c & 0xc0)	/* 0x40, 0x80: extended/reserved label types */
			return -EBADMSG;
		if (c == 0) {
			if (n + 1 > DNS_MAX_NAME)
				return -EBADMSG;
			out[n++] = 0;
			break;
		}
		/* c <= 63 here; the label plus the root byte must still fit */
		if (pos + 1 + c > len || n + 1 + c + 1 > DNS_MAX_NAME)
			return -EBADMSG;
		memcpy(out + n, msg + pos, 1 + (size_t)c);
		n += 1 + (size_t)c;
		pos += 1 + (size_t)c;
	}
	*off = after ? after : pos + 1;
	*out_len = n;
	return 0;
}

int dns_name_from_text(const char *text, uint8_t out[DNS_MAX_NAME], size_t *out_len)
{
	size_t n = 0, lab = 0;	/* lab: index of the current label's length byte */
	const char *p = text;

	if (!text || !*text)
		return -EINVAL;
	if (!strcmp(text, ".")) {
		out[0] = 0;
		*out_len = 1;
		return 0;
	}
	out[0] = 0;
	n = 1;
	while (*p) {
		unsigned ch = (unsigned char)*p;
		if (ch == '.') {
			if (n == lab + 1)	/* empty label */
				return -EINVAL;
			if (p[1] == '\0')
				break;
			lab = n;
			if (n >= DNS_MAX_NAME)
				return -EINVAL;
			out[n++] = 0;
			p++;
			continue;
		}
		if (ch == '\\') {
			p++;
			if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
			    p[2] >= '0' && p[2] <= '9') {
				ch = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
				     (unsigned)(p[2] - '0');
				if (ch > 255)
					return -EINVAL;
				p += 3;
			} else if (*p > ' ' && *p < 0x7f) {
				ch = (unsigned char)*p++;
			} else {
				return -EINVAL;
			}
		} else {
			if (ch <= ' ' || ch == 0x7f)
				return -EINVAL;
			p++;
		}
		if (out[lab] >= DNS_MAX_LABEL || n + 1 >= DNS_MAX_NAME)
			return -EINVAL;
		out[lab]++;
		out[n++] = (uint8_t)ch;
	}
	if (n == lab + 1)
		return -EINVAL;
	if (n >= DNS_MAX_NAME)
		return -EINVAL;
	out[n++] = 0;
	*out_len = n;
	return 0;
}

int dns_name_to_text(const uint8_t *wire, size_t wire_len, char *text, size_t size)
{
	size_t pos = 0, t = 0;

	if (size < 2)
		return -EMSGSIZE;
	if (wire_len == 0 || wire_len > DNS_MAX_NAME)
		return -EINVAL;
	if (wire[0] == 0) {
		text[0] = '.';
		text[1] = '\0';
		return 0;
	}
	while (pos < wire_len && wire[pos]) {
		size_t l = wire[pos];
		if (l > DNS_MAX_LABEL || pos + 1 + l >= wire_len)
			return -EINVAL;
		for (size_t i = 1; i <= l; i++) {
			unsigned ch = wire[pos + i];
			char esc[5];
			int k;
			if (ch == '.' || ch == '\\')
				k = snprintf(esc, sizeof(esc), "\\%c", (char)ch);
			else if (ch <= ' ' || ch >= 0x7f)
				k = snprintf(esc, sizeof(esc), "\\%03u", ch);
			else
				k = snprintf(esc, sizeof(esc), "%c", (char)ch);
			if (t + (size_t)k + 2 > size)
				return -EMSGSIZE;
			memcpy(text + t, esc, (size_t)k);
			t += (size_t)k;
		}
		text[t++] = '.';
		pos += 1 + l;
	}
	text[t] = '\0';
	return 0;
}

int dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return 0;
	for (size_t i = 0; i < alen; i++) {
		uint8_t x = a[i], y = b[i];
		/* length bytes are <= 63, never in 'A'..'Z': folding them is harmless */
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

int dns_build_query(uint8_t *out, size_t size, size_t *len, uint16_t id,
		    const char *name, uint16_t qtype, int rd, int edns)
{
	uint8_t wire[DNS_MAX_NAME];
	size_t wlen, n;
	int rc = dns_name_from_text(name, wire, &wlen);
	if (rc < 0)
		return rc;
	n = DNS_HEADER_LEN + wlen + 4 + (edns ? 11 : 0);
	if (n > size)
		return -EMSGSIZE;
	memset(out, 0, DNS_HEADER_LEN);
	put16(out, id);
	put16(out + 2, rd ? DNS_FLAG_RD : 0);
	put16(out + 4, 1);
	put16(out + 10, edns ? 1 : 0);
	memcpy(out + DNS_HEADER_LEN, wire, wlen);
	put16(out + DNS_HEADER_LEN + wlen, qtype);
	put16(out + DNS_HEADER_LEN + wlen + 2, DNS_CLASS_IN);
	if (edns) {
		uint8_t *o = out + DNS_HEADER_LEN + wlen + 4;
		o[0] = 0;			/* root owner */
		put16(o + 1, DNS_TYPE_OPT);
		put16(o + 3, DNS_EDNS_PAYLOAD);	/* class: UDP payload */
		memset(o + 5, 0, 4);		/* ext rcode, version 0, flags */
		put16(o + 9, 0);		/* no options */
	}
	*len = n;
	return 0;
}

void dns_set_id(uint8_t *msg, uint16_t id)
{
	put16(msg, id);
}

/* Names inside RDATA must be well formed and end exactly where they should. */
static int check_rdata(const uint8_t *msg, size_t end, size_t off, uint16_t type)
{
	uint8_t name[DNS_MAX_NAME];
	size_t nlen;
	int rc;

	switch (type) {
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR:
		rc = dns_name_unpack(msg, end, &off, name, &nlen);
		return rc < 0 ? rc : off == end ? 0 : -EBADMSG;
	case DNS_TYPE_MX:
		if (off + 2 > end)
			return -EBADMSG;
		off += 2;
		rc = dns_name_unpack(msg, end, &off, name, &nlen);
		return rc < 0 ? rc : off == end ? 0 : -EBADMSG;
	case DNS_TYPE_SRV:
		if (off + 6 > end)
			return -EBADMSG;
		off += 6;
		rc = dns_name_unpack(msg, end, &off, name, &nlen);
		return rc < 0 ? rc : off == end ? 0 : -EBADMSG;
	case DNS_TYPE_SOA:
		for (int i = 0; i < 2; i++) {
			rc = dns_name_unpack(msg, end, &off, name, &nlen);
			if (rc < 0)
				return rc;
		}
		return off + 20 == end ? 0 : -EBADMSG;
	case DNS_TYPE_A:
		return end - off == 4 ? 0 : -EBADMSG;
	case DNS_TYPE_AAAA:
		return end - off == 16 ? 0 : -EBADMSG;
	default:
		return 0;
	}
}

int dns_parse(const uint8_t *msg, size_t len, struct dns_msg *m)
{
	uint8_t name[DNS_MAX_NAME];
	size_t off = DNS_HEADER_LEN, nlen;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = dns_header_read(msg, len, &m->hdr)) < 0)
		return rc;
	m->rcode = DNS_RCODE(m->hdr.flags);

	for (unsigned i = 0; i < m->hdr.qdcount; i++) {
		if ((rc = dns_name_unpack(msg, len, &off, name, &nlen)) < 0)
			return rc;
		if (off + 4 > len)
			return -EBADMSG;
		if (i == 0) {
			memcpy(m->qname, name, nlen);
			m->qname_len = nlen;
			m->qtype = get16(msg + off);
			m->qclass = get16(msg + off + 2);
		}
		off += 4;
	}

	unsigned total = (unsigned)m->hdr.ancount + m->hdr.nscount + m->hdr.arcount;
	for (unsigned i = 0; i < total; i++) {
		if ((rc = dns_name_unpack(msg, len, &off, name, &nlen)) < 0)
			return rc;
		if (off + 10 > len)
			return -EBADMSG;
		uint16_t type = get16(msg + off);
		uint16_t cls = get16(msg + off + 2);
		uint32_t ttl = (uint32_t)get16(msg + off + 4) << 16 | get16(msg + off + 6);
		size_t rdlen = get16(msg + off + 8);
		off += 10;
		if (rdlen > len - off)
			return -EBADMSG;
		if (type == DNS_TYPE_OPT) {
			/* only one, in the additional section, owned by the root */
			if (i < (unsigned)m->hdr.ancount + m->hdr.nscount || m->has_opt ||
			    nlen != 1)
				return -EBADMSG;
			m->has_opt = 1;
			m->opt_payload = cls;
			m->rcode |= (ttl >> 24) << 4;
		} else if ((rc = check_rdata(msg, off + rdlen, off, type)) < 0) {
			return rc;
		}
		if (i < m->hdr.ancount) {
			m->answers++;
			if (cls == DNS_CLASS_IN && (type == DNS_TYPE_A || type == DNS_TYPE_AAAA))
				m->answer_addrs++;
		}
		off += rdlen;
	}
	return 0;
}

/* First question of a message: wire name, type, class; 0, 1 (none) or -EBADMSG. */
static int first_question(const uint8_t *msg, size_t len, uint8_t name[DNS_MAX_NAME],
			  size_t *nlen, uint16_t *type, uint16_t *cls, uint16_t *qdcount)
{
	size_t off = DNS_HEADER_LEN;
	*qdcount = get16(msg + 4);
	if (*qdcount == 0)
		return 1;
	if (dns_name_unpack(msg, len, &off, name, nlen) < 0 || off + 4 > len)
		return -EBADMSG;
	*type = get16(msg + off);
	*cls = get16(msg + off + 2);
	return 0;
}

enum dns_match dns_reply_match(const uint8_t *query, size_t qlen,
			       const uint8_t *reply, size_t rlen)
{
	struct dns_header qh, rh;
	uint8_t qn[DNS_MAX_NAME], rn[DNS_MAX_NAME];
	size_t qnl = 0, rnl = 0;
	uint16_t qt = 0, qc = 0, rt = 0, rc = 0, qqd, rqd;
	int qs, rs;

	if (dns_header_read(reply, rlen, &rh) < 0)
		return DNS_MATCH_SHORT;
	if (dns_header_read(query, qlen, &qh) < 0)
		return DNS_MATCH_MALFORMED;
	if (rh.id != qh.id)
		return DNS_MATCH_ID;
	if (!(rh.flags & DNS_FLAG_QR))
		return DNS_MATCH_NOT_REPLY;
	if (DNS_OPCODE(rh.flags) != DNS_OPCODE(qh.flags))
		return DNS_MATCH_OPCODE;
	qs = first_question(query, qlen, qn, &qnl, &qt, &qc, &qqd);
	rs = first_question(reply, rlen, rn, &rnl, &rt, &rc, &rqd);
	if (qs < 0 || rs < 0)
		return DNS_MATCH_MALFORMED;
	if (rs == 1 && (DNS_RCODE(rh.flags) == DNS_RCODE_FORMERR ||
			DNS_RCODE(rh.flags) == DNS_RCODE_NOTIMP))
		return DNS_MATCH_OK;
	if (qqd != rqd || qs != rs)
		return DNS_MATCH_QUESTION;
	if (qs == 0 && (qt != rt || qc != rc || !dns_name_equal(qn, qnl, rn, rnl)))
		return DNS_MATCH_QUESTION;
	return DNS_MATCH_OK;
}

const char *dns_match_name(enum dns_match m)
{
	static const char *const names[] = {
		[DNS_MATCH_OK] = "ok",
		[DNS_MATCH_SHORT] = "short",
		[DNS_MATCH_ID] = "id",
		[DNS_MATCH_NOT_REPLY] = "not-reply",
		[DNS_MATCH_OPCODE] = "opcode",
		[DNS_MATCH_QUESTION] = "question",
		[DNS_MATCH_MALFORMED] = "malformed",
	};
	return (unsigned)m < ARRAY_SIZE(names) ? names[m] : "unknown";
}

const char *dns_rcode_name(unsigned rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
	};
	if (rcode < ARRAY_SIZE(names))
		return names[rcode];
	if (rcode == 16)
		return "BADVERS";
	return NULL;
}

static const struct {
	uint16_t type;
	const char *name;
} types[] = {
	{ DNS_TYPE_A, "A" },         { DNS_TYPE_NS, "NS" },   { DNS_TYPE_CNAME, "CNAME" },
	{ DNS_TYPE_SOA, "SOA" },     { DNS_TYPE_PTR, "PTR" }, { DNS_TYPE_MX, "MX" },
	{ DNS_TYPE_TXT, "TXT" },     { DNS_TYPE_AAAA, "AAAA" }, { DNS_TYPE_SRV, "SRV" },
	{ 64, "SVCB" },              { 65, "HTTPS" },
};

uint16_t dns_type_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (!strcasecmp(name, types[i].name))
			return types[i].type;
	if (!strncasecmp(name, "TYPE", 4) && name[4] >= '0' && name[4] <= '9') {
		unsigned long v = 0;
		for (const char *p = name + 4; *p; p++) {
			if (*p < '0' || *p > '9')
				return 0;
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > 65535)
				return 0;
		}
		/* OPT is a pseudo type, never a question */
		return v == DNS_TYPE_OPT ? 0 : (uint16_t)v;
	}
	return 0;
}

const char *dns_type_name(uint16_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (types[i].type == type)
			return types[i].name;
	return NULL;
}
