package report

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteDrawsEveryPictureAndASelfContainedPage(t *testing.T) {
	dir := t.TempDir()
	run := handMadeRun(t, dir)
	out := filepath.Join(dir, "report")
	require.NoError(t, Write(out, run))

	for file, size := range map[string]image.Point{
		CurvesFile:    {curvesW, curvesH},
		ConfusionFile: {confusionSide(3), confusionSide(3)},
		ErrorsFile:    {gridCols*tileW + tileGap, 2*tileH + tileGap},
	} {
		img := readPNG(t, filepath.Join(out, file))
		require.Equal(t, size, img.Bounds().Size(), file)
		white := countColor(img, img.Bounds(), color.RGBA{255, 255, 255, 255}, 0)
		require.Less(t, white, size.X*size.Y*97/100, "%s is almost blank", file)
	}

	page, err := os.ReadFile(filepath.Join(out, IndexFile))
	require.NoError(t, err)
	html := string(page)
	require.Equal(t, 3, strings.Count(html, `src="data:image/png;base64,`), "the three pictures are inlined")
	require.NotContains(t, html, "http://")
	require.NotContains(t, html, "https://")
	var at []int
	for _, s := range run.Settings {
		i := strings.Index(html, "<th>"+s.Key+"</th><td>"+s.Value+"</td>")
		require.GreaterOrEqual(t, i, 0, s.Key)
		at = append(at, i)
	}
	require.True(t, slices.IsSorted(at), "settings in their given order")
	for _, want := range []string{"final val_accuracy</th><td class=\"num\">0.8000", "test accuracy</th><td class=\"num\">0.5600", "fine-tuning from epoch</th><td class=\"num\">5", "<th>dog</th><td class=\"num\">0.090</td><td class=\"num\">0.750</td><td class=\"num\">0.160</td><td class=\"num\">4</td>"} {
		require.Contains(t, html, want)
	}
}

func TestWriteDrawsOnlyWhatTheRunHas(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, Write(dir, Run{History: History{Loss: []float64{1, 0.5}, FineTuneStart: -1}}))
	_, err := os.Stat(filepath.Join(dir, ConfusionFile))
	require.True(t, os.IsNotExist(err), "no evaluation, no confusion matrix")
	readPNG(t, filepath.Join(dir, CurvesFile))
	page, err := os.ReadFile(filepath.Join(dir, IndexFile))
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(page), "data:image/png"))
	require.NotContains(t, string(page), "fine-tuning from")
}

// Every point is drawn in its series' colour where an axis mapping that is
// the same for training and validation puts it: y falls as the value grows,
// x advances one step per epoch. The fine-tuning line stands between the
// last head-only epoch and the first fine-tuned one.
func TestCurvesPointsLieWhereTheHistorySays(t *testing.T) {
	h := handMadeRun(t, t.TempDir()).History
	img, at, err := curves(h)
	require.NoError(t, err)
	panels := []struct {
		train, val string
		half       image.Rectangle
	}{
		{"loss", "val_loss", image.Rect(0, 0, curvesW/2, curvesH)},
		{"accuracy", "val_accuracy", image.Rect(curvesW/2, 0, curvesW, curvesH)},
	}
	values := map[string][]float64{"loss": h.Loss, "val_loss": h.ValLoss, "accuracy": h.Accuracy, "val_accuracy": h.ValAccuracy}
	for _, p := range panels {
		var vs, ys []float64
		for _, name := range []string{p.train, p.val} {
			want := trainColor
			if name == p.val {
				want = valColor
			}
			require.Len(t, at[name], h.Epochs(), name)
			for e, pt := range at[name] {
				require.True(t, pt.In(p.half), "%s epoch %d at %v is outside its panel", name, e+1, pt)
				found := false
				for _, d := range []image.Point{{0, 0}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
					found = found || nearColor(rgbAt(img, pt.Add(d)), want, 8)
				}
				require.True(t, found, "%s epoch %d: no %v pixel at %v (found %v)", name, e+1, want, pt, rgbAt(img, pt))
				vs, ys = append(vs, values[name][e]), append(ys, float64(pt.Y))
				if e > 0 {
					step := pt.X - at[name][e-1].X
					require.InDelta(t, at[p.train][1].X-at[p.train][0].X, step, 1, "%s: one step per epoch", name)
					require.Positive(t, step)
				}
				require.Equal(t, at[p.train][e].X, pt.X, "training and validation share the epoch axis")
			}
		}
		// One affine map, falling, from value to pixel row for both series.
		lo, hi := argMin(vs), argMax(vs)
		slope := (ys[hi] - ys[lo]) / (vs[hi] - vs[lo])
		require.Negative(t, slope, "%s: larger values are higher up", p.train)
		for i := range vs {
			require.InDelta(t, ys[lo]+slope*(vs[i]-vs[lo]), ys[i], 1.5, "%s panel, value %v", p.train, vs[i])
		}

		// The fine-tuning line: a tall run of its colour between epochs 4 and 5.
		x4, x5 := at[p.train][3].X, at[p.train][4].X
		best := 0
		for x := x4 + 1; x < x5; x++ {
			best = max(best, countColor(img, image.Rect(x, 0, x+1, curvesH), fineTuneColor, 10))
		}
		require.Greater(t, best, curvesH/2, "%s panel: no fine-tuning line between epochs 4 and 5", p.train)
		require.Zero(t, countColor(img, image.Rect(p.half.Min.X, 0, x4, curvesH), fineTuneColor, 10), "no fine-tuning colour before it")
	}
}

func argMin(v []float64) int { return slices.Index(v, slices.Min(v)) }
func argMax(v []float64) int { return slices.Index(v, slices.Max(v)) }

// Cells are coloured by their share of the true class, not by their count:
// the darker the cell, the larger the share; the count is written on it.
func TestConfusionColoursFollowRowShares(t *testing.T) {
	e := handMadeRun(t, t.TempDir()).Evaluation
	img, probes, err := confusion(e)
	require.NoError(t, err)
	shares := rowShares(e.Confusion)
	type cell struct {
		share     float64
		luminance float64
	}
	var cells []cell
	cellW, cellH := probes[0][1].X-probes[0][0].X, probes[1][0].Y-probes[0][0].Y
	require.Greater(t, cellW, 40)
	require.Greater(t, cellH, 40)
	for i, row := range probes {
		for j, pt := range row {
			got := rgbAt(img, pt)
			require.True(t, nearColor(got, blues(shares[i][j]), 2), "cell %d,%d: colour %v, want %v", i, j, got, blues(shares[i][j]))
			cells = append(cells, cell{shares[i][j], 0.299*float64(got.R) + 0.587*float64(got.G) + 0.114*float64(got.B)})
			if j > 0 {
				require.InDelta(t, cellW, pt.X-row[j-1].X, 1, "cells of one width")
			}
			if i > 0 {
				require.InDelta(t, cellH, pt.Y-probes[i-1][j].Y, 1, "true classes top to bottom, in order")
			}
			// The count: pixels unlike the fill around the cell's centre.
			centre := pt.Add(image.Pt(cellW/2-2, cellH/2-2))
			box := image.Rectangle{Min: centre.Sub(image.Pt(12, 8)), Max: centre.Add(image.Pt(12, 8))}
			fill := countColor(img, box, got, 30)
			require.Less(t, fill, box.Dx()*box.Dy()-10, "cell %d,%d has no count written", i, j)
		}
	}
	sort.Slice(cells, func(a, b int) bool { return cells[a].share < cells[b].share })
	for i := 1; i < len(cells); i++ {
		if cells[i].share > cells[i-1].share {
			require.Less(t, cells[i].luminance, cells[i-1].luminance, "share %v must be darker than %v", cells[i].share, cells[i-1].share)
		}
	}
	require.Equal(t, 0.75, shares[1][1], "the fixture ranks dog's 3 of 4 above cat's 50 of 100")
}

// The grid shows the most confident mistakes first, each image shrunk into
// its tile with its aspect ratio, and a tile for a file that is gone.
func TestErrorGridShowsTheMostConfidentFirst(t *testing.T) {
	ms := handMadeRun(t, t.TempDir()).Evaluation.Misclassified
	img := errorGrid(ms)
	require.Equal(t, image.Pt(gridCols*tileW+tileGap, 2*tileH+tileGap), img.Bounds().Size())
	centre := func(i int) image.Point {
		return image.Pt(tileGap+(i%gridCols)*tileW+thumbSide/2, tileGap+(i/gridCols)*tileH+thumbSide/2)
	}
	want := []color.RGBA{{20, 200, 40, 255}, {}, {30, 40, 210, 255}, {220, 20, 20, 255}, {230, 210, 30, 255}} // 0.97, 0.93 (gone), 0.88, 0.71, 0.52
	for i, c := range want {
		if i == 1 {
			continue
		}
		require.True(t, nearColor(rgbAt(img, centre(i)), c, 3), "tile %d: %v, want %v", i, rgbAt(img, centre(i)), c)
	}
	thumb := func(i int) image.Rectangle {
		c := centre(i)
		return image.Rectangle{Min: c.Sub(image.Pt(thumbSide/2, thumbSide/2)), Max: c.Add(image.Pt(thumbSide/2, thumbSide/2))}
	}
	require.Positive(t, countColor(img, thumb(1), wrongColor, 10), "the missing file's tile says it cannot be read")
	// 300x100 fills the width and a third of the height.
	blue := countColor(img, thumb(2), want[2], 3)
	require.InDelta(t, thumbSide*thumbSide/3, blue, thumbSide*4)
	require.Equal(t, thumbBackground, rgbAt(img, thumb(2).Min.Add(image.Pt(thumbSide/2, 5))), "letterboxed above")
	for i := range want {
		caption := image.Rectangle{Min: thumb(i).Min.Add(image.Pt(0, thumbSide)), Max: thumb(i).Max.Add(image.Pt(0, captionH))}
		require.Positive(t, countColor(img, caption, wrongColor, 40), "tile %d: predicted label", i)
		require.Positive(t, countColor(img, caption, captionColor, 40), "tile %d: true label and probability", i)
	}
}

func TestRunJSONRoundTrip(t *testing.T) {
	run := handMadeRun(t, t.TempDir())
	b, err := json.Marshal(run)
	require.NoError(t, err)
	require.Contains(t, string(b), `"settings":{"model":"mobilenet_v2","epochs":"6",`)
	back, err := ReadRun(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, run, back)

	// As a Keras user would write it: numbers as numbers, no fine-tuning key.
	back, err = ReadRun(strings.NewReader(`{"settings": {"epochs": 3, "augment": true, "lr": 1e-3}, "history": {"loss": [1, 0.5, 0.25]}}`))
	require.NoError(t, err)
	require.Equal(t, Settings{{"epochs", "3"}, {"augment", "true"}, {"lr", "1e-3"}}, back.Settings)
	require.Equal(t, -1, back.History.FineTuneStart)
}

func TestReadRunNamesWhatIsWrong(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`{"history": {"loss": [1], "val_acc": [0.5]}}`, `unknown field "val_acc"`},
		{`{"history": {"loss": [1, 2], "val_loss": [1]}}`, "val_loss has 1 epochs, loss has 2"},
		{`{"history": {"loss": [1, 2], "fine_tune_start": 2}}`, "fine_tune_start 2 outside -1..1"},
		{`{"settings": {"x": [1]}}`, "settings: x: want a string"},
		{`{"evaluation": {"classes": ["a", "b"], "confusion": [[1, 2]]}}`, "confusion has 1 rows"},
		{`{"evaluation": {"classes": ["a", "b"], "confusion": [[1, 2], [3]]}}`, "row 1 (b) has 1 columns"},
		{`{"evaluation": {"classes": ["a"], "confusion": [[1]], "misclassified": [{"path": "x.jpg", "prob": 1.5}]}}`, "x.jpg"},
	} {
		_, err := ReadRun(strings.NewReader(tc.doc))
		require.ErrorContains(t, err, tc.want, tc.doc)
	}
}

// Many classes still fit: labels shrink, cells stay near square.
func TestConfusionOfManyClasses(t *testing.T) {
	k := 30
	e := &Evaluation{Classes: make([]string, k), Confusion: make([][]int, k)}
	for i := range k {
		e.Classes[i] = strings.Repeat(string(rune('a'+i%26)), 12)
		e.Confusion[i] = make([]int, k)
		e.Confusion[i][i] = 10 + i
		e.Confusion[i][(i+1)%k] = 3
	}
	img, probes, err := confusion(e)
	require.NoError(t, err)
	require.Equal(t, confusionSide(k), img.Bounds().Dx())
	w := probes[0][1].X - probes[0][0].X
	h := probes[1][0].Y - probes[0][0].Y
	require.Greater(t, w, 10)
	require.LessOrEqual(t, math.Abs(float64(w-h)), 0.1*float64(w))
}
