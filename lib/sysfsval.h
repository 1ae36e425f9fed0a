/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Network device queue settings under sysfs, managed by the engine as keys
 * beside the sysctls (doc/design.md, "Queue settings"). A fixed schema, so
 * no input can name any other sysfs or proc file:
 *
 *   sysfs:net/DEV/tx_queue_len               decimal (txqueuelen)
 *   sysfs:net/DEV/queues/rx-N/rps_cpus        CPU mask (hex, comma groups)
 *   sysfs:net/DEV/queues/rx-N/rps_flow_cnt    decimal
 *   sysfs:net/DEV/queues/tx-N/xps_cpus        CPU mask
 *
 * DEV follows the kernel's dev_valid_name() (1-15 bytes, not ".", no
 * '/', ':' or blanks), narrowed: no ".." anywhere and, because it lands in
 * a udev rule, only the bytes [A-Za-z0-9_.@+-]. N is decimal without leading zeros. The file is
 * $TUNEKIT_SYS/class/net/DEV/... (default /sys).
 *
 * Values are kept canonical so a read-back compares right: masks in
 * lowercase hex without leading zeros, grouped by 8 digits from the right
 * with commas as the kernel reads them ("00000003" -> "3",
 * "1,00000003" stays); numbers without leading zeros.
 *
 * Persisted across reboots by a udev rule file (TK_UDEV_RULES), one
 * attribute a line, matching the interface by name on "add" (and "move",
 * the event of a rename). The same file holds the ethtool keys (rings,
 * coalescing; nicval.h): one RUN+= line a device, of tunekit-nicset at its
 * compiled-in path with the device and its settings, nothing else.
 */
#ifndef TUNEKIT_SYSFSVAL_H
#define TUNEKIT_SYSFSVAL_H

#include <stddef.h>

#include "kvconf.h"

#define SYSFS_KEY_PREFIX "sysfs:"
#define SYSFS_DEV_MAX 15 /* IFNAMSIZ - 1 */
#define TK_UDEV_RULES "/etc/udev/rules.d/90-tunekit-queues.rules"

enum sysfs_attr { SYSFS_TX_QUEUE_LEN, SYSFS_RPS_CPUS, SYSFS_RPS_FLOW_CNT, SYSFS_XPS_CPUS };

struct sysfs_key {
	char dev[SYSFS_DEV_MAX + 1];
	enum sysfs_attr attr;
	unsigned queue;  /* rx-N / tx-N (not for tx_queue_len) */
	char rel[64];    /* path below class/net/DEV: "queues/rx-0/rps_cpus" */
};

/* 1 if key is meant as a sysfs key (starts with SYSFS_KEY_PREFIX). */
int sysfs_key_is(const char *key);

/* 1 if name is a valid interface name by the rules above. */
int sysfs_dev_name_valid(const char *name);

/*
 * The "DEV/" segment at the start of p (the part of a key after its prefix)
 * into dev (SYSFS_DEV_MAX + 1 bytes), validated as above; *rest points past
 * the slash. 0, or -EINVAL with *why (no_rest when there is no slash).
 */
int sysfs_key_dev(const char *p, const char *no_rest, char *dev, const char **rest, const char **why);

/* Parse and validate key (k may be NULL). 0 or -EINVAL with *why (may be NULL). */
int sysfs_key_parse(const char *key, struct sysfs_key *k, const char **why);

/* Compose the key of dev/attr/queue into out. 0 or -EINVAL (bad name, too small). */
int sysfs_key_make(char *out, size_t len, const char *dev, enum sysfs_attr attr, unsigned queue);

/* The sysfs root: $TUNEKIT_SYS or "/sys" (not allocated). */
const char *sysfs_root(void);

/* Absolute path of the key's file (allocated), or NULL on a bad key. */
char *sysfs_key_path(const char *key);

/*
 * Canonical form of value for key (see above) into out. 0, or -EINVAL
 * (*why set) for a malformed value or one that does not fit.
 */
int sysfs_value_normalize(const char *key, const char *value, char *out, size_t outlen, const char **why);

/* 1 if the two values are the same setting of key (both normalised). */
int sysfs_value_equal(const char *key, const char *a, const char *b);

/* Read the key's value, canonical. 0 or -errno (-EINVAL bad key). */
int sysfs_read(const char *key, char **value);
/* Write value (normalised first) to the key. 0 or -errno. */
int sysfs_write(const char *key, const char *value);
/* stat mode of the key's file. 0 or -errno. */
int sysfs_mode(const char *key, unsigned *mode);

/*
 * The udev rule file: parse its lines back into keys (appending to list;
 * comments and blank lines skipped): ATTR lines into sysfs keys, the RUN
 * line of a device (nic_set_program(), the device, each setting once in
 * its canonical spelling, one line a device) into ethtool keys. Any other
 * line, another program or argument: -EINVAL, err filled, list untouched.
 */
int sysfs_udev_parse(const char *buf, size_t len, struct kv_list *list, struct kv_error *err);
/* The rule file for the sysfs and ethtool keys of list (others ignored), sorted. Allocated. */
char *sysfs_udev_format(const struct kv_list *list);

#endif
