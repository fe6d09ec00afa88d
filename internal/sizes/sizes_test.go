package sizes

import "testing"

func TestBytes(t *testing.T) {
	for _, c := range []struct {
		n    float64
		want string
	}{
		{0, "0 bytes"}, {128, "128 bytes"}, {1000, "1 kB"}, {120e9, "120 GB"}, {10.8e9, "10.8 GB"}, {1e30, "1e+12 EB"},
	} {
		if got := Bytes(c.n); got != c.want {
			t.Errorf("Bytes(%g) = %q, want %q", c.n, got, c.want)
		}
	}
}
