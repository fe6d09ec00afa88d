package nn_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keelml/keel/zoo"
)

// TestSummaryZooTotals checks Summary's totals for the Keras applications
// with their tops against the parameter counts Keras reports (moving
// statistics non-trainable), and that a
// frozen backbone's parameters all count as non-trainable.
func TestSummaryZooTotals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 170M parameters")
	}
	for _, c := range []struct {
		name                string
		total, nonTrainable int
	}{
		{"vgg16", 138357544, 0},
		{"resnet50", 25636712, 53120},
		{"mobilenet", 4253864, 21888},
		{"mobilenet_v2", 3538984, 34112},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := zoo.New(c.name, zoo.Options{IncludeTop: true})
			if err != nil {
				t.Fatal(err)
			}
			s := m.Summary()
			want := fmt.Sprintf("Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n",
				commas(c.total), commas(c.total-c.nonTrainable), commas(c.nonTrainable))
			if !strings.Contains(s, want) {
				t.Fatalf("summary lacks %q; it ends:\n%s", want, s[max(0, len(s)-400):])
			}
			m.SetTrainable(false)
			total, trainable, non := m.ParamCounts()
			if total != c.total || trainable != 0 || non != c.total {
				t.Errorf("frozen: total %d trainable %d non-trainable %d", total, trainable, non)
			}
		})
	}
}

func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
