package imagedata

import (
	"math"
	"testing"
)

// transformFromParams reads get_random_transform's dict as the script wrote it.
func transformFromParams(p map[string]any) Transform {
	f := func(k string, def float64) float64 {
		if v, ok := p[k].(float64); ok {
			return v
		}
		return def
	}
	t := Transform{Theta: f("theta", 0), Tx: f("tx", 0), Ty: f("ty", 0), Shear: f("shear", 0),
		Zx: f("zx", 1), Zy: f("zy", 1)}
	t.FlipHorizontal, _ = p["flip_horizontal"].(bool)
	t.FlipVertical, _ = p["flip_vertical"].(bool)
	if v, ok := p["channel_shift_intensity"].(float64); ok {
		t.ChannelShift, t.HasChannelShift = v, true
	}
	if v, ok := p["brightness"].(float64); ok {
		t.Brightness, t.HasBrightness = v, true
	}
	return t
}

func maxAbsDiff(a, b []float32) (float64, int) {
	worst, at := 0.0, -1
	for i := range a {
		if d := math.Abs(float64(a[i] - b[i])); d > worst {
			worst, at = d, i
		}
	}
	return worst, at
}

func TestApplyTransformMatchesKeras(t *testing.T) {
	m := loadManifest(t)
	src := loadF32(t, "aug_src_c.f32")
	for _, c := range m.Augment {
		t.Run(c.Name, func(t *testing.T) {
			var a Augment
			if s, ok := c.Generator["fill_mode"].(string); ok {
				mode, err := ParseFillMode(s)
				if err != nil {
					t.Fatal(err)
				}
				a.FillMode = mode
			}
			a.Cval, _ = c.Generator["cval"].(float64)
			got := a.Apply(src, c.Height, c.Width, transformFromParams(c.Params), nil)
			want := loadF32(t, c.Out)
			d, at := maxAbsDiff(got, want)
			t.Logf("max difference from keras_preprocessing: %g", d)
			if d > 1e-4 { // bit-exact on amd64; the margin allows fused multiply-adds elsewhere
				p := at / 3
				t.Errorf("differs from keras_preprocessing by %g at row %d col %d channel %d (got %v, want %v)",
					d, p/c.Width, p%c.Width, at%3, got[at], want[at])
			}
		})
	}
}
