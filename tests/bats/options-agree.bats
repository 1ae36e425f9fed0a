#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# --help, the man page and the bash completion of every tool name the same
# long options; man pages sit in the section their tool belongs to (8 for
# the tools that change or check the system, 1 for the rest, 5 for file
# formats, 7 for the overview) and every cross-reference to a tunekit page
# names a page that exists.

load helpers

# the tools that change or check the system (Debian policy 12.1: section 8)
ADMIN_TOOLS="nettune nettune-backup nettune-buffers nettune-cc nettune-dns nettune-queues"

setup() {
	require_cmd mandoc
	MAN=$TUNEKIT_SRCDIR/man
	COMP=$TUNEKIT_SRCDIR/contrib/bash-completion
}

# help_opts TOOL [CMD]: the long options --help defines: at the start of an
# option line (after its short forms) or in a [--option ...] of a usage line;
# an option of another program quoted in a description is not one
help_opts() {
	"$@" --help 2>&1 | sed -E 's/\[[^]]*\]/\n&\n/g; s/\|/\n /g' |
		grep -oE -- '^ *(-[A-Za-z0-9], )*--[a-z][a-z0-9-]*|^\[--[a-z][a-z0-9-]*' |
		grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# tool_help_opts TOOL: for nettune, its --help and its commands' usage lines
tool_help_opts() {
	if [ "$1" = nettune ]; then
		{
			help_opts nettune
			for c in $(nettune --help | sed -n '/^Commands:/,/^$/p' | awk '/^ [a-z]/ { print $1 }'); do
				# restore, compare and config hand --help to the tool behind
				# them: only nettune's own usage line counts
				[ "$c" = help ] || nettune "$c" --help 2>&1 | grep '^Usage: nettune ' |
					sed -E 's/\[[^]]*\]/\n&\n/g; s/\|/\n[/g' | grep -oE -- '^\[--[a-z][a-z0-9-]*' |
					grep -oE -- '--[a-z][a-z0-9-]*'
			done
		} | sort -u
	else
		help_opts "$1"
	fi
}

# man_page TOOL: its page in section 1 or 8
man_page() {
	ls "$MAN/$1".[18] 2>/dev/null | head -1
}

# man_all PAGE: every --option the rendered page mentions
man_all() {
	mandoc -T ascii "$1" | col -b | grep -oE -- '(^|[^a-z0-9-])--[a-z][a-z0-9-]*' |
		grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# man_items PAGE: the long options the page documents, from its .It lines
# (.It Fl a , Fl \-all / .It Fl p , -profile Ar name / .It Fl -prom Ar file)
man_items() {
	awk '/^\.It / && / Fl / {
		for (i = 2; i <= NF; i++) {
			w = $i
			sub(/^\\-/, "-", w)
			if (w ~ /^-[a-z][a-z0-9-]+$/ && $(i - 1) != "Ar")
				print "-" w
		}
	}' "$1" | sort -u
}

# comp_opts TOOL: the long options the completion offers
comp_opts() {
	grep -oE -- '--[a-z][a-z0-9-]*' "$COMP/$1" | sort -u
}

# agree TOOL: fails naming every option one of the three lacks
agree() {
	local t=$1 page h m mi c bad=
	page=$(man_page "$t")
	[ -n "$page" ] || fail "$t: no man page in section 1 or 8"
	[ -f "$COMP/$t" ] || fail "$t: no bash completion"
	h=$(tool_help_opts "$t")
	[ -n "$h" ] || fail "$t --help names no long option"
	m=$(man_all "$page")
	mi=$(man_items "$page")
	c=$(comp_opts "$t")
	[ -n "$mi" ] || fail "$page: no .It Fl item found"
	for o in $(comm -23 <(echo "$h") <(echo "$m")); do bad+=" $o(in --help, not in ${page##*/})"; done
	for o in $(comm -13 <(echo "$h") <(echo "$mi")); do bad+=" $o(documented in ${page##*/}, not in --help)"; done
	for o in $(comm -23 <(echo "$h") <(echo "$c")); do bad+=" $o(in --help, not completed)"; done
	for o in $(comm -13 <(echo "$h") <(echo "$c")); do bad+=" $o(completed, not in --help)"; done
	[ -z "$bad" ] || fail "$t:$bad"
}

@test "options agree: nettune (all commands)" { agree nettune; }
@test "options agree: nettune-iface" { agree nettune-iface; }
@test "options agree: nettune-backup" { agree nettune-backup; }
@test "options agree: nettune-buffers" { agree nettune-buffers; }
@test "options agree: nettune-cc" { agree nettune-cc; }
@test "options agree: nettune-queues" { agree nettune-queues; }
@test "options agree: nettune-dns" { agree nettune-dns; }
@test "options agree: nettune-probe" { agree nettune-probe; }
@test "options agree: uringcp" { agree uringcp; }
@test "options agree: aiocp" { agree aiocp; }
@test "options agree: ioring-batch" { agree ioring-batch; }

@test "options agree: every completion has its tool's man page, every tool page its completion" {
	for f in "$COMP"/*; do
		[ -n "$(man_page "${f##*/}")" ] || fail "${f##*/}: completion without a man page"
	done
	for p in "$MAN"/*.[18]; do
		n=${p##*/}
		[ -f "$COMP/${n%.*}" ] || fail "$n: no completion"
	done
}

@test "man sections: administrative tools in 8, the rest in 1, formats in 5, the overview in 7; .Dt and .Os match" {
	for t in $ADMIN_TOOLS; do
		assert_file_exists "$MAN/$t.8"
		assert_file_not_exists "$MAN/$t.1"
	done
	for p in "$MAN"/*.1; do
		n=${p##*/}
		[[ " $ADMIN_TOOLS " != *" ${n%.1} "* ]] || fail "$n belongs in section 8"
	done
	assert_file_exists "$MAN/tunekit.conf.5"
	assert_file_exists "$MAN/tunekit-profile.5"
	assert_file_exists "$MAN/tunekit.7"
	for p in "$MAN"/*.[1-8]; do
		n=${p##*/}
		name=${n%.*} sec=${n##*.}
		run sed -n 's/^\.Dt //p' "$p"
		assert_output "$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]') $sec"
		run grep -c '^\.Os tunekit$' "$p"
		assert_output 1
		run grep -E '^\.Dd [A-Z][a-z]+ [0-9]{1,2}, 20[0-9]{2}$' "$p"
		assert_success
		run grep -c '^\.Sh JSON$' "$p"
		assert_output 0 # the JSON sections are all JSON OUTPUT
	done
}

@test "man pages: lint clean; every cross-reference to a tunekit page names an existing page" {
	run mandoc -T lint -W warning "$MAN"/*.[1-8]
	assert_success
	assert_output ""
	pages=$(cd "$MAN" && ls | sed -E 's/^(.*)\.([1-8])$/\1 \2/')
	ours=$(echo "$pages" | awk '{ print $1 }')
	refs=$(
		sed -n 's/.*Xr \([a-z.-]*\) \([0-9]\).*/\1 \2/p' "$MAN"/*.[1-8]
		grep -ohE '\b(nettune|nettune-[a-z]+|tunekit|tunekit[.-][a-z]+|uringcp|aiocp|ioring-batch)\([0-9]\)' \
			"$TUNEKIT_SRCDIR/README.md" "$TUNEKIT_SRCDIR"/utils/*.c "$TUNEKIT_SRCDIR"/utils/nettune \
			"$TUNEKIT_SRCDIR"/contrib/systemd/* | sed -E 's/^(.*)\(([0-9])\)$/\1 \2/'
	)
	[ -n "$refs" ] || fail "no cross-references found"
	while read -r name sec; do
		grep -qxF "$name" <<<"$ours" || continue
		grep -qxF "$name $sec" <<<"$pages" || fail "$name($sec) is referenced but the page is $(grep "^$name " <<<"$pages")"
	done <<<"$refs"
}
