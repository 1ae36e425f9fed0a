/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/iperf3: reading iperf3 -J results (running it is tested in bats). */
#include "config.h"

#include <errno.h>

#include "iperf3.h"
#include "tap.h"

static int parse(const char *json, struct iperf3_result *res, char *err, size_t errlen)
{
	return iperf3_parse(json, strlen(json), res, err, errlen);
}

int main(void)
{
	struct iperf3_result r;
	char err[128];

	const char *tcp =
		"{\"start\":{\"test_start\":{\"protocol\":\"TCP\"}},\"intervals\":[{\"sum\":{\"bits_per_second\":1}}],"
		"\"end\":{\"sum_sent\":{\"seconds\":2.0001,\"bits_per_second\":9.5e9,\"retransmits\":12},"
		"\"sum_received\":{\"seconds\":2.0004,\"bits_per_second\":9.4e9}}}";
	is_int(parse(tcp, &r, err, sizeof(err)), 0, "TCP result parses");
	ok(r.sender_bps == 9.5e9 && r.receiver_bps == 9.4e9, "sender and receiver rates from end.sum_*");
	ok(r.have_retransmits && r.retransmits == 12, "retransmits 12");
	ok(r.seconds == 2.0004, "measured seconds from the receiver");

	const char *udp = "{\"end\":{\"sum_sent\":{\"bits_per_second\":1e6},\"sum_received\":{\"bits_per_second\":9e5}}}";
	is_int(parse(udp, &r, err, sizeof(err)), 0, "result without retransmits parses");
	ok(!r.have_retransmits && r.seconds == 0, "no retransmits, no seconds");

	const char *refused = "{\"start\":{},\"intervals\":[],\"end\":{},"
			      "\"error\":\"unable to connect to server: Connection refused\"}";
	is_int(parse(refused, &r, err, sizeof(err)), -ECONNABORTED, "iperf3's error is reported");
	is_str(err, "iperf3: unable to connect to server: Connection refused", "with its message");

	is_int(parse("iperf3: error - unable to connect", &r, err, sizeof(err)), -EPROTO, "text output refused");
	is_str(err, "iperf3 printed no JSON result", "saying there was no JSON");
	is_int(parse("{\"end\":{\"sum_sent\":{\"bits_per_second\":1}}}", &r, NULL, 0), -EPROTO,
	       "a result without sum_received is incomplete (err may be NULL)");
	is_int(parse("{\"end\":{\"sum_sent\":{\"bits_per_second\":\"fast\"},\"sum_received\":{}}}", &r, err,
		     sizeof(err)),
	       -EPROTO, "a rate that is not a number");
	return done_testing();
}
