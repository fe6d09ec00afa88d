package report

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// confusionSide is the width and height of confusion.png for k classes.
func confusionSide(k int) int { return min(max(160+56*k, 520), 1600) }

// confusion is confusion.png: rows are true classes (the first at the top),
// columns predicted ones, each cell coloured by its share of the row and
// labelled with its count. It also returns, per cell, a pixel inside the
// cell clear of its label, for tests.
func confusion(e *Evaluation) (image.Image, [][]image.Point, error) {
	k := len(e.Classes)
	side := confusionSide(k)
	c := newPixelCanvas(side, side)
	p := plot.New()
	p.Title.Text = "Confusion matrix (colour: share of the true class)"
	p.X.Label.Text = "predicted"
	p.Y.Label.Text = "true"
	p.NominalX(e.Classes...)
	reversed := make([]string, k)
	for i, name := range e.Classes {
		reversed[k-1-i] = name
	}
	p.NominalY(reversed...)
	if k > 4 {
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	cells := &confusionCells{counts: e.Confusion}
	p.Add(cells)
	p.X.Min, p.X.Max = -0.5, float64(k)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(k)-0.5
	p.Draw(draw.Crop(c.draw(), vg.Points(8), -vg.Points(12), vg.Points(8), -vg.Points(8)))
	if cells.corners == nil {
		return nil, nil, fmt.Errorf("confusion matrix: %d classes left no room to draw", k)
	}
	probes := make([][]image.Point, k)
	for i, row := range cells.corners {
		for _, pt := range row {
			// Two pixels inside the cell's top-left corner: the count is centred.
			px := c.at(pt.X, pt.Y)
			probes[i] = append(probes[i], px.Add(image.Pt(2, 2)))
		}
	}
	return c.image(), probes, nil
}

// rowShares is each count over its row's total (0 for an empty row).
func rowShares(counts [][]int) [][]float64 {
	shares := make([][]float64, len(counts))
	for i, row := range counts {
		total := 0
		for _, n := range row {
			total += n
		}
		shares[i] = make([]float64, len(row))
		for j, n := range row {
			if total > 0 {
				shares[i][j] = float64(n) / float64(total)
			}
		}
	}
	return shares
}

// confusionCells draws the matrix's cells; corners records where each
// cell's top-left corner landed.
type confusionCells struct {
	counts  [][]int
	corners [][]vg.Point
}

// Plot implements plot.Plotter.
func (m *confusionCells) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	k := len(m.counts)
	style := p.Title.TextStyle
	style.Font.Size = vg.Points(math.Max(7, math.Min(14, 120/float64(k))))
	style.XAlign, style.YAlign = draw.XCenter, draw.YCenter
	m.corners = make([][]vg.Point, k)
	for i, row := range rowShares(m.counts) {
		y := float64(k - 1 - i)
		for j, share := range row {
			x := float64(j)
			rect := vg.Rectangle{Min: vg.Point{X: tx(x - 0.5), Y: ty(y - 0.5)}, Max: vg.Point{X: tx(x + 0.5), Y: ty(y + 0.5)}}
			c.SetColor(blues(share))
			c.Fill(rect.Path())
			m.corners[i] = append(m.corners[i], vg.Point{X: rect.Min.X, Y: rect.Max.Y})
			style.Color = color.Black
			if share > 0.5 {
				style.Color = color.White
			}
			c.FillText(style, vg.Point{X: tx(x), Y: ty(y)}, fmt.Sprint(m.counts[i][j]))
		}
	}
}

// blues maps a share in [0, 1] from near white to dark blue (the ends of
// matplotlib's "Blues", which sklearn's ConfusionMatrixDisplay uses).
func blues(share float64) color.RGBA {
	lo, hi := [3]float64{247, 251, 255}, [3]float64{8, 48, 107}
	var v [3]uint8
	for i := range v {
		v[i] = uint8(math.Round(lo[i] + (hi[i]-lo[i])*share))
	}
	return color.RGBA{v[0], v[1], v[2], 0xff}
}
