package bench

import (
	"bytes"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// runCold times a child up to its ready line, and reports a child that
// fails or never says it is ready with what it printed on stderr.
func TestRunCold(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	for _, c := range []struct {
		name, script, err string
	}{
		{"ready", "echo loading; echo ready; echo after", ""},
		{"fails", "echo no such file >&2; exit 3", "cold start: exit status 3: no such file"},
		{"never ready", "echo loaded", "cold start: exited without printing ready"},
	} {
		t.Run(c.name, func(t *testing.T) {
			secs, _, err := runCold(exec.Command("sh", "-c", c.script))
			if c.err != "" {
				require.EqualError(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Positive(t, secs)
		})
	}
}

// ColdChild loads the model file saveCold writes and predicts with it.
func TestColdChild(t *testing.T) {
	m, err := Classifier("mobilenet", 32, nil)
	require.NoError(t, err)
	path, err := saveCold(t.TempDir(), "mobilenet", m, 32)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, ColdChild(path, 1, &out))
	require.Equal(t, ColdReady+"\n", out.String())
	require.Error(t, ColdChild(path+".missing", 1, &out))
}
