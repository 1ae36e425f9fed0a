/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nicval.h"
#include "nl.h"
#include "xalloc.h"

/* the Makefile passes configure's pkglibexecdir; the fuzz build compiles without it */
#ifndef PKGLIBEXECDIR
#define PKGLIBEXECDIR "/usr/libexec/tunekit"
#endif

static const struct {
	enum nic_attr attr;
	const char *rel;   /* below "ethtool:DEV/" */
	const char *words; /* for messages */
	int ring;          /* a ring (RINGS_GET/SET), else coalescing */
	int boolean;       /* 0 or 1 */
	unsigned bit;      /* NL_RINGS_* or NL_COALESCE_* */
} attrs[] = {
	{ NIC_RING_RX, "rings/rx", "ring size rx", 1, 0, NL_RINGS_RX },
	{ NIC_RING_TX, "rings/tx", "ring size tx", 1, 0, NL_RINGS_TX },
	{ NIC_COAL_RX_USECS, "coalesce/rx-usecs", "coalescing rx-usecs", 0, 0, NL_COALESCE_RX_USECS },
	{ NIC_COAL_RX_FRAMES, "coalesce/rx-frames", "coalescing rx-frames", 0, 0, NL_COALESCE_RX_FRAMES },
	{ NIC_COAL_TX_USECS, "coalesce/tx-usecs", "coalescing tx-usecs", 0, 0, NL_COALESCE_TX_USECS },
	{ NIC_COAL_TX_FRAMES, "coalesce/tx-frames", "coalescing tx-frames", 0, 0, NL_COALESCE_TX_FRAMES },
	{ NIC_COAL_ADAPTIVE_RX, "coalesce/adaptive-rx", "coalescing adaptive-rx", 0, 1, NL_COALESCE_ADAPTIVE_RX },
	{ NIC_COAL_ADAPTIVE_TX, "coalesce/adaptive-tx", "coalescing adaptive-tx", 0, 1, NL_COALESCE_ADAPTIVE_TX },
};

#define NATTRS (sizeof(attrs) / sizeof(attrs[0]))
#define COALESCE_DIR "coalesce/"

int nic_key_is(const char *key)
{
	return key && !strncmp(key, NIC_KEY_PREFIX, strlen(NIC_KEY_PREFIX));
}

const char *nic_attr_rel(enum nic_attr attr)
{
	return (unsigned)attr < NATTRS ? attrs[attr].rel : NULL;
}

const char *nic_attr_coalesce_name(enum nic_attr attr)
{
	if ((unsigned)attr >= NATTRS || attrs[attr].ring)
		return NULL;
	return attrs[attr].rel + strlen(COALESCE_DIR);
}

int nic_coalesce_name_parse(const char *name, enum nic_attr *attr)
{
	for (size_t i = 0; i < NATTRS; i++)
		if (!attrs[i].ring && !strcmp(name, attrs[i].rel + strlen(COALESCE_DIR))) {
			*attr = attrs[i].attr;
			return 0;
		}
	return -EINVAL;
}

const char *nic_attr_words(enum nic_attr attr)
{
	return (unsigned)attr < NATTRS ? attrs[attr].words : "setting";
}

int nic_key_parse(const char *key, struct nic_key *k, const char **why)
{
	struct nic_key tmp;
	const char *reason = NULL;
	if (!k)
		k = &tmp;
	memset(k, 0, sizeof(*k));
	if (!nic_key_is(key)) {
		reason = "not an ethtool key (ethtool:DEV/...)";
		goto bad;
	}
	const char *rest;
	if (sysfs_key_dev(key + strlen(NIC_KEY_PREFIX), "ethtool key outside the schema: no setting after the device",
			  k->dev, &rest, &reason) < 0)
		goto bad;
	for (size_t i = 0; i < NATTRS; i++)
		if (!strcmp(rest, attrs[i].rel)) {
			k->attr = attrs[i].attr;
			return 0;
		}
	reason = "ethtool key outside the schema: rings/rx, rings/tx or coalesce/ rx-usecs, rx-frames, "
		 "tx-usecs, tx-frames, adaptive-rx, adaptive-tx";
bad:
	if (why)
		*why = reason;
	return -EINVAL;
}

int nic_key_make(char *out, size_t len, const char *dev, enum nic_attr attr)
{
	if (!sysfs_dev_name_valid(dev) || (unsigned)attr >= NATTRS)
		return -EINVAL;
	int n = snprintf(out, len, NIC_KEY_PREFIX "%s/%s", dev, attrs[attr].rel);
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

/* A u32 in decimal, nothing else (no sign, no blanks, no 0x). */
static int parse_u32(const char *s, uint32_t *v)
{
	size_t n = strlen(s);
	if (n == 0 || n > 10 || strspn(s, "0123456789") != n)
		return -EINVAL;
	unsigned long long x = strtoull(s, NULL, 10);
	if (x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

/* value of attribute a as a number. 0 or -EINVAL (*why). */
static int value_parse(enum nic_attr a, const char *value, uint32_t *v, const char **why)
{
	if (parse_u32(value, v) < 0) {
		*why = "not a decimal number from 0 to 4294967295";
		return -EINVAL;
	}
	if (attrs[a].boolean && *v > 1) {
		*why = "adaptive coalescing is 0 (off) or 1 (on)";
		return -EINVAL;
	}
	return 0;
}

int nic_value_normalize(const char *key, const char *value, char *out, size_t outlen, const char **why)
{
	struct nic_key k;
	const char *reason = NULL;
	uint32_t v;
	int rc = nic_key_parse(key, &k, &reason);
	if (rc == 0)
		rc = value_parse(k.attr, value, &v, &reason);
	if (rc == 0 && (size_t)snprintf(out, outlen, "%" PRIu32, v) >= outlen) {
		reason = "value too long";
		rc = -EINVAL;
	}
	if (rc && why)
		*why = reason;
	return rc;
}

int nic_value_equal(const char *key, const char *a, const char *b)
{
	char na[16], nb[16];
	if (nic_value_normalize(key, a, na, sizeof(na), NULL) < 0 || nic_value_normalize(key, b, nb, sizeof(nb), NULL) < 0)
		return !strcmp(a, b);
	return !strcmp(na, nb);
}

/* The device's live value and maximum of k. 0, -EOPNOTSUPP (the driver lacks it) or -errno. */
static int get(const struct nic_key *k, uint32_t *value, uint32_t *max)
{
	struct nl_session *s;
	struct nl_rings r = { 0 };
	struct nl_coalesce c = { 0 };
	unsigned bit = attrs[k->attr].bit;
	nl_session_open(&s);
	int rc = attrs[k->attr].ring ? nl_session_rings(s, k->dev, &r) : nl_session_coalesce(s, k->dev, &c);
	nl_session_close(s);
	if (rc < 0)
		return rc;
	/* a setting the driver does not have is left out of the reply */
	if (!((attrs[k->attr].ring ? r.present : c.present) & bit))
		return -EOPNOTSUPP;
	*max = UINT32_MAX;
	switch (k->attr) {
	case NIC_RING_RX:
		*value = r.rx, *max = r.rx_max;
		break;
	case NIC_RING_TX:
		*value = r.tx, *max = r.tx_max;
		break;
	case NIC_COAL_RX_USECS:
		*value = c.rx_usecs;
		break;
	case NIC_COAL_RX_FRAMES:
		*value = c.rx_frames;
		break;
	case NIC_COAL_TX_USECS:
		*value = c.tx_usecs;
		break;
	case NIC_COAL_TX_FRAMES:
		*value = c.tx_frames;
		break;
	case NIC_COAL_ADAPTIVE_RX:
		*value = c.adaptive_rx, *max = 1;
		break;
	case NIC_COAL_ADAPTIVE_TX:
		*value = c.adaptive_tx, *max = 1;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

int nic_probe(const char *key, uint32_t *max)
{
	struct nic_key k;
	uint32_t v, m;
	if (nic_key_parse(key, &k, NULL) < 0)
		return -EINVAL;
	int rc = get(&k, &v, &m);
	if (rc == -ENODEV)
		rc = -ENOENT;
	if (rc == 0 && max)
		*max = m;
	return rc;
}

void nic_driver(const char *dev, char *out, size_t len)
{
	if (nl_link_driver(dev, out, len) < 0)
		snprintf(out, len, "unknown driver");
}

int nic_value_check(const char *key, const char *value, char *why, size_t whylen)
{
	struct nic_key k;
	const char *reason = NULL;
	char norm[16];
	uint32_t max;
	if (nic_key_parse(key, &k, &reason) < 0 || nic_value_normalize(key, value, norm, sizeof(norm), &reason) < 0) {
		snprintf(why, whylen, "%s", reason);
		return -EINVAL;
	}
	int rc = nic_probe(key, &max);
	if (rc == -EOPNOTSUPP) {
		char drv[32];
		nic_driver(k.dev, drv, sizeof(drv));
		snprintf(why, whylen, "%s not supported by the driver (%s)", attrs[k.attr].words, drv);
	} else if (rc == -ENOENT) {
		snprintf(why, whylen, "no such interface");
	} else if (rc < 0) {
		snprintf(why, whylen, "cannot read the %s from the driver: %s", attrs[k.attr].words, strerror(-rc));
	} else if (strtoul(norm, NULL, 10) > max) {
		snprintf(why, whylen, "%s above the driver's maximum %" PRIu32, norm, max);
		rc = -EINVAL;
	}
	return rc;
}

int nic_read(const char *key, char **value)
{
	struct nic_key k;
	uint32_t v, max;
	if (nic_key_parse(key, &k, NULL) < 0)
		return -EINVAL;
	int rc = get(&k, &v, &max);
	if (rc == 0)
		*value = xasprintf("%" PRIu32, v);
	return rc;
}

int nic_write(const char *key, const char *value)
{
	struct nic_key k;
	const char *why;
	uint32_t v;
	if (nic_key_parse(key, &k, NULL) < 0 || value_parse(k.attr, value, &v, &why) < 0)
		return -EINVAL;
	struct nl_session *s;
	struct nl_rings r = { 0 };
	struct nl_coalesce c = { 0 };
	switch (k.attr) {
	case NIC_RING_RX:
		r.rx = v;
		break;
	case NIC_RING_TX:
		r.tx = v;
		break;
	case NIC_COAL_RX_USECS:
		c.rx_usecs = v;
		break;
	case NIC_COAL_RX_FRAMES:
		c.rx_frames = v;
		break;
	case NIC_COAL_TX_USECS:
		c.tx_usecs = v;
		break;
	case NIC_COAL_TX_FRAMES:
		c.tx_frames = v;
		break;
	case NIC_COAL_ADAPTIVE_RX:
		c.adaptive_rx = (uint8_t)v;
		break;
	case NIC_COAL_ADAPTIVE_TX:
		c.adaptive_tx = (uint8_t)v;
		break;
	default:
		return -EINVAL;
	}
	nl_session_open(&s);
	int rc = attrs[k.attr].ring ? nl_session_rings_set(s, k.dev, &r, attrs[k.attr].bit) :
				      nl_session_coalesce_set(s, k.dev, &c, attrs[k.attr].bit);
	nl_session_close(s);
	return rc;
}

int nic_mode(const char *key, unsigned *mode)
{
	int rc = nic_probe(key, NULL);
	if (rc == 0)
		*mode = S_IFREG | 0644;
	return rc;
}

const char *nic_set_program(void)
{
	return PKGLIBEXECDIR "/tunekit-nicset";
}

int nic_arg_parse(const char *dev, const char *arg, int canonical_only, char **key, char **value,
		  const char **why)
{
	const char *eq = strchr(arg, '=');
	const char *reason = NULL;
	char norm[16];
	*key = *value = NULL;
	if (!eq || eq == arg) {
		reason = "not a SETTING=VALUE argument";
		goto bad;
	}
	if (!sysfs_dev_name_valid(dev)) {
		reason = "invalid interface name (allowed: A-Z a-z 0-9 _ . @ + -, not . and no ..)";
		goto bad;
	}
	char *k = xasprintf(NIC_KEY_PREFIX "%s/%.*s", dev, (int)(eq - arg), arg);
	if (nic_key_parse(k, NULL, &reason) < 0 || nic_value_normalize(k, eq + 1, norm, sizeof(norm), &reason) < 0) {
		free(k);
		goto bad;
	}
	if (canonical_only && strcmp(norm, eq + 1)) {
		free(k);
		reason = "value not in tunekit's spelling (decimal without leading zeros)";
		goto bad;
	}
	*key = k;
	*value = xstrdup(norm);
	return 0;
bad:
	if (why)
		*why = reason;
	return -EINVAL;
}
