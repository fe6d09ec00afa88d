package main

import (
	"context"
	"errors"
	"testing"

	"github.com/keelml/keel/beam/featurize"
	"github.com/stretchr/testify/require"
)

// A misuse of the flags is a usage error (exit status 2) naming the flag,
// before any pipeline runs or any folder is made.
func TestRunUsage(t *testing.T) {
	for _, c := range []struct {
		opts featurize.Options
		want string
	}{
		{featurize.Options{}, "--model is required"},
		{featurize.Options{Model: "mobilenet", Input: "x/*", Output: t.TempDir() + "/out"}, "--weights FILE|imagenet is required"},
		{featurize.Options{Model: "mobilenet", Weights: "imagenet", Output: t.TempDir() + "/out"}, "--input GLOB|@LIST is required"},
	} {
		o = c.opts
		err := run(context.Background())
		var u usageError
		require.True(t, errors.As(err, &u), "%v", err)
		require.ErrorContains(t, err, c.want)
	}
}
