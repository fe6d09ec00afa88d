package report

import (
	"fmt"
	"image"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Size of curves.png in pixels: the loss beside the accuracy.
const curvesW, curvesH = 1200, 450

// curveSeries is one line of a panel.
type curveSeries struct {
	name   string
	values []float64
	color  color.Color
}

// curves is curves.png, with where each series' points were drawn (by
// series name, then epoch) so tests can look at those pixels.
func curves(h History) (image.Image, map[string][]image.Point, error) {
	c := newPixelCanvas(curvesW, curvesH)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(24), PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(16)}
	// Each legend goes where its curves usually are not: loss falls, so its
	// top right is empty; accuracy rises, so its bottom right is.
	panels := []struct {
		title, y  string
		series    []curveSeries
		legendTop bool
	}{
		{"Loss", "loss", []curveSeries{{"loss", h.Loss, trainColor}, {"val_loss", h.ValLoss, valColor}}, true},
		{"Accuracy", "accuracy", []curveSeries{{"accuracy", h.Accuracy, trainColor}, {"val_accuracy", h.ValAccuracy, valColor}}, false},
	}
	at := map[string][]image.Point{}
	for i, panel := range panels {
		p, err := curvePlot(panel.title, panel.y, panel.series, h.FineTuneStart)
		p.Legend.Top = panel.legendTop
		if err != nil {
			return nil, nil, err
		}
		tile := tiles.At(c.draw(), i, 0)
		p.Draw(tile)
		data := p.DataCanvas(tile)
		tx, ty := p.Transforms(&data)
		for _, s := range panel.series {
			for e, v := range s.values {
				at[s.name] = append(at[s.name], c.at(tx(float64(e+1)), ty(v)))
			}
		}
	}
	return c.image(), at, nil
}

// curvePlot is one panel: training and validation per epoch (numbered from
// 1, as Keras prints them), and the start of fine-tuning.
func curvePlot(title, yLabel string, series []curveSeries, fineTuneStart int) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = yLabel
	p.X.Tick.Marker = epochTicks{}
	p.Add(plotter.NewGrid())
	for _, s := range series {
		if len(s.values) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(s.values))
		for e, v := range s.values {
			xys[e] = plotter.XY{X: float64(e + 1), Y: v}
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		line.Color = s.color
		line.Width = vg.Points(1.5)
		points.Color = s.color
		points.Shape = draw.CircleGlyph{}
		points.Radius = vg.Points(3)
		p.Add(line, points)
		p.Legend.Add(s.name, line, points)
	}
	if fineTuneStart >= 0 {
		// Between the last epoch of the head alone and the first fine-tuned one.
		p.Add(verticalMark{x: float64(fineTuneStart) + 0.5, label: "fine-tuning", color: fineTuneColor})
	}
	if p.X.Min > 0.5 {
		p.X.Min = 0.5
	}
	p.X.Max += 0.5
	return p, nil
}

// verticalMark is a labelled vertical line across the data area.
type verticalMark struct {
	x     float64
	label string
	color color.Color
}

// Plot implements plot.Plotter.
func (m verticalMark) Plot(c draw.Canvas, p *plot.Plot) {
	tx, _ := p.Transforms(&c)
	x := tx(m.x)
	c.StrokeLine2(draw.LineStyle{Color: m.color, Width: vg.Points(1.5)}, x, c.Min.Y, x, c.Max.Y)
	style := p.Title.TextStyle
	style.Font.Size = vg.Points(10)
	style.Color = m.color
	style.XAlign, style.YAlign = draw.XLeft, draw.YTop
	c.FillText(style, vg.Point{X: x + vg.Points(3), Y: c.Max.Y - vg.Points(3)}, m.label)
}

// epochTicks marks whole epochs only, at most about ten of them.
type epochTicks struct{}

// Ticks implements plot.Ticker.
func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	first, last := int(lo+0.999), int(hi)
	step := (last-first)/10 + 1
	var ticks []plot.Tick
	for e := first; e <= last; e++ {
		t := plot.Tick{Value: float64(e)}
		if (e-first)%step == 0 {
			t.Label = fmt.Sprint(e)
		}
		ticks = append(ticks, t)
	}
	return ticks
}
