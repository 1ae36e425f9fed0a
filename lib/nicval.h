/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ring sizes and interrupt coalescing of network devices, managed by the
 * engine as keys beside the sysctls and the sysfs queue settings
 * (doc/design.md, "Queue settings"), read and changed over ethtool netlink
 * (lib/nl.c). A fixed schema, nothing else parses:
 *
 *   ethtool:DEV/rings/rx                 decimal u32 (RX ring entries)
 *   ethtool:DEV/rings/tx                 decimal u32
 *   ethtool:DEV/coalesce/rx-usecs        decimal u32
 *   ethtool:DEV/coalesce/rx-frames       decimal u32
 *   ethtool:DEV/coalesce/tx-usecs        decimal u32
 *   ethtool:DEV/coalesce/tx-frames       decimal u32
 *   ethtool:DEV/coalesce/adaptive-rx     0 or 1
 *   ethtool:DEV/coalesce/adaptive-tx     0 or 1
 *
 * DEV follows sysfs_dev_name_valid() (sysfsval.h). Values are canonical:
 * decimal without leading zeros.
 *
 * A driver may lack a setting: no operation at all (EOPNOTSUPP on GET, veth),
 * or a value absent from the GET reply (the kernel leaves out what the
 * driver does not support: tap has coalescing rx-frames only). Such a key
 * is "unsupported" (-EOPNOTSUPP): reported, skipped, never changed.
 *
 * Persisted by one line a device in the udev rule file (sysfsval.h):
 *   ACTION=="add|move", SUBSYSTEM=="net", KERNEL=="DEV", RUN+="NICSET DEV REL=VALUE ..."
 * NICSET is nic_set_program(), the compiled-in tunekit-nicset, REL the key
 * without "ethtool:DEV/" (nic_arg_parse).
 */
#ifndef TUNEKIT_NICVAL_H
#define TUNEKIT_NICVAL_H

#include <stddef.h>
#include <stdint.h>

#include "sysfsval.h"

#define NIC_KEY_PREFIX "ethtool:"

enum nic_attr {
	NIC_RING_RX,
	NIC_RING_TX,
	NIC_COAL_RX_USECS,
	NIC_COAL_RX_FRAMES,
	NIC_COAL_TX_USECS,
	NIC_COAL_TX_FRAMES,
	NIC_COAL_ADAPTIVE_RX,
	NIC_COAL_ADAPTIVE_TX,
	NIC_NATTR
};

struct nic_key {
	char dev[SYSFS_DEV_MAX + 1];
	enum nic_attr attr;
};

/* 1 if key is meant as an ethtool key (starts with NIC_KEY_PREFIX). */
int nic_key_is(const char *key);

/* Parse and validate key (k may be NULL). 0 or -EINVAL with *why (may be NULL). */
int nic_key_parse(const char *key, struct nic_key *k, const char **why);

/* Compose the key of dev/attr into out. 0 or -EINVAL (bad name, too small). */
int nic_key_make(char *out, size_t len, const char *dev, enum nic_attr attr);

/* "rings/rx", "coalesce/rx-usecs"...: the key below "ethtool:DEV/". */
const char *nic_attr_rel(enum nic_attr attr);
/* The name of a --coalesce setting ("rx-usecs"); NULL for a ring. */
const char *nic_attr_coalesce_name(enum nic_attr attr);
/* The attribute of a --coalesce name. 0 or -EINVAL. */
int nic_coalesce_name_parse(const char *name, enum nic_attr *attr);
/* Words for messages: "ring size rx", "coalescing rx-usecs". */
const char *nic_attr_words(enum nic_attr attr);

/* Canonical form of value for key into out. 0, or -EINVAL (*why set). */
int nic_value_normalize(const char *key, const char *value, char *out, size_t outlen, const char **why);

/* 1 if the two values are the same setting of key. */
int nic_value_equal(const char *key, const char *a, const char *b);

/*
 * What the device offers for key: 0 when supported (*max, if not NULL, the
 * driver's maximum for a ring, else UINT32_MAX), -EOPNOTSUPP when the
 * driver lacks it, -ENOENT when there is no such device, other -errno.
 */
int nic_probe(const char *key, uint32_t *max);

/*
 * value for key against the device: valid, supported, not above the
 * driver's maximum. 0; -EINVAL with why (room for a composed text, why
 * filled in every case but 0); -EOPNOTSUPP, -ENOENT or -errno from nic_probe.
 */
int nic_value_check(const char *key, const char *value, char *why, size_t whylen);

/* Read the key's live value, canonical. 0 or -errno (-EOPNOTSUPP: unsupported). */
int nic_read(const char *key, char **value);
/* Write value (normalised first) to the key, that setting alone. 0 or -errno. */
int nic_write(const char *key, const char *value);
/* S_IFREG | 0644 when the device has the setting, as a file would say. 0 or -errno. */
int nic_mode(const char *key, unsigned *mode);

/* The device's driver name ("veth", "tun") into out, or "unknown driver". */
void nic_driver(const char *dev, char *out, size_t len);

/* The program the udev rule runs: PKGLIBEXECDIR "/tunekit-nicset". */
const char *nic_set_program(void);

/*
 * One argument of tunekit-nicset and of its RUN line, "REL=VALUE" for
 * device dev, into *key ("ethtool:DEV/REL") and *value (canonical), both
 * allocated. canonical_only: refuse a value not in its canonical spelling
 * (the rule file holds only what tunekit wrote). 0 or -EINVAL (*why).
 */
int nic_arg_parse(const char *dev, const char *arg, int canonical_only, char **key, char **value,
		  const char **why);

#endif
