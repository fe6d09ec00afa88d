package main

import (
	"flag"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitArgs(t *testing.T) {
	newFS := func() *flag.FlagSet {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.Bool("json", false, "")
		fs.String("out", "", "")
		var include bool
		k := 5
		fs.Var(&topFlag{include: &include, k: &k}, "top", "")
		return fs
	}
	for _, tc := range []struct {
		args, flags, positional []string
	}{
		{[]string{"a.h5", "--json"}, []string{"--json"}, []string{"a.h5"}},
		{[]string{"a", "--out", "x", "b"}, []string{"--out", "x"}, []string{"a", "b"}},
		{[]string{"--out=x", "a"}, []string{"--out=x"}, []string{"a"}},
		{[]string{"-out", "-odd-name"}, []string{"-out", "-odd-name"}, nil},
		{[]string{"a", "--", "--json", "-b"}, nil, []string{"a", "--json", "-b"}},
		{[]string{"-", "--json"}, []string{"--json"}, []string{"-"}},
		{[]string{"--top", "3", "img.jpg"}, []string{"--top=3"}, []string{"img.jpg"}},
		{[]string{"--top", "img.jpg"}, []string{"--top"}, []string{"img.jpg"}},
		{[]string{"img.jpg", "--top"}, []string{"--top"}, []string{"img.jpg"}},
		{[]string{"--nosuch", "a"}, []string{"--nosuch"}, []string{"a"}},
		{[]string{"--json", "true.jpg"}, []string{"--json"}, []string{"true.jpg"}},
	} {
		flags, positional := splitArgs(newFS(), tc.args)
		require.Equal(t, tc.flags, flags, "%v", tc.args)
		require.Equal(t, tc.positional, positional, "%v", tc.args)
	}
}

// Flags go before or after the positional arguments of every command.
func TestFlagsAfterPositionalArguments(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "")
	out := fs.String("out", "", "")
	var include bool
	k := 5
	fs.Var(&topFlag{include: &include, k: &k}, "top", "")
	pos, err := parseFlags(fs, []string{"DIR", "--out", "o.csv", "IMG", "--json", "--top", "2", "--", "-x.jpg"})
	require.NoError(t, err)
	require.Equal(t, []string{"DIR", "IMG", "-x.jpg"}, pos)
	require.True(t, *asJSON)
	require.Equal(t, "o.csv", *out)
	require.True(t, include)
	require.Equal(t, 2, k)

	_, err = parseFlags(fs, []string{"a", "--nosuch"})
	require.ErrorIs(t, err, errFlagsReported)
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		stdout, _, code := runCLI(t, args...)
		require.Equal(t, 0, code)
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		require.Len(t, lines, 3, stdout)
		require.True(t, strings.HasPrefix(lines[0], "keel "), lines[0])
		require.Contains(t, lines[1], runtime.Version())
		require.True(t, strings.HasPrefix(lines[2], "kernels "), lines[2])
	}
	var b strings.Builder
	printVersion(&b, &debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}})
	require.True(t, strings.HasPrefix(b.String(), "keel v1.2.3 (commit 0123456789ab, modified)\ngo go1.99 "), b.String())
}
