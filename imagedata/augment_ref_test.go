package imagedata

import (
	"math"
	"slices"
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

// TestRandomTransformMatchesKeras: from np.random.seed(2024), the parameters
// Keras' get_random_transform draws, for float, integer and list ranges.
func TestRandomTransformMatchesKeras(t *testing.T) {
	m := loadManifest(t)
	if len(m.RandomTransform) != 3 {
		t.Fatalf("%d generators in the manifest, want 3", len(m.RandomTransform))
	}
	augs := map[string]Augment{
		"floats": {RotationRange: 33, WidthShiftRange: 0.2, HeightShiftRange: 7.5, ShearRange: 12,
			ZoomRange: [2]float64{0.7, 1.1}, HorizontalFlip: true, VerticalFlip: true,
			ChannelShiftRange: 15, BrightnessRange: [2]float64{0.5, 1.5}},
		"int_shifts":  {WidthShiftChoices: ShiftChoices(5), HeightShiftChoices: ShiftChoices(1), HorizontalFlip: true},
		"list_shifts": {WidthShiftChoices: []float64{0.1, 0.25, 0.5}, HeightShiftChoices: []float64{3, 8}},
	}
	for _, g := range m.RandomTransform {
		a, ok := augs[g.Name]
		if !ok {
			t.Fatalf("no Augment for %q", g.Name)
		}
		r := NewRand(g.Seed)
		for i, d := range g.Draws {
			got := a.RandomTransform(r, g.Shape[0], g.Shape[1])
			d["flip_horizontal"] = d["flip_horizontal"] != 0.0
			d["flip_vertical"] = d["flip_vertical"] != 0.0
			if want := transformFromParams(d); got != want {
				t.Fatalf("%s draw %d:\n got %+v\nwant %+v", g.Name, i, got, want)
			}
		}
	}
}

// TestStandardizeMatchesKeras: samplewise centring and normalisation, with
// numpy's float32 pairwise sums.
func TestStandardizeMatchesKeras(t *testing.T) {
	m := loadManifest(t)
	if len(m.Standardize) == 0 {
		t.Fatal("no standardize cases in the manifest")
	}
	src := loadF32(t, "aug_src_c.f32")
	for _, c := range m.Standardize {
		a := Augment{}
		a.SamplewiseCenter, _ = c.Generator["samplewise_center"].(bool)
		a.SamplewiseStdNormalization, _ = c.Generator["samplewise_std_normalization"].(bool)
		a.Rescale, _ = c.Generator["rescale"].(float64)
		x := slices.Clone(src)
		a.Standardize(x, c.Height, c.Width)
		d, at := maxAbsDiff(x, loadF32(t, c.Out))
		t.Logf("%s: largest difference from Keras %g", c.Name, d)
		if d > 1e-6 {
			t.Errorf("%s: differs by %g at %d", c.Name, d, at)
		}
	}
}
