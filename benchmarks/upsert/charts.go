package upsert

import (
	"fmt"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// barGroup is one series of a grouped horizontal bar chart: a value per
// system (NaN-free; a missing value is drawn as no bar).
type barGroup struct {
	label  string
	values map[string]float64
}

// barChart draws grouped horizontal bars, one row per system, and saves it
// as a PNG.
func barChart(path, title, xlabel string, systems []string, groups []barGroup) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.X.Min = 0
	p.Legend.Top = true
	p.Legend.Padding = vg.Points(4)
	// Systems from top to bottom: the Y axis grows upwards.
	rows := slices.Clone(systems)
	slices.Reverse(rows)
	barW := vg.Points(float64(36) / float64(len(groups)))
	hi := 0.0
	for gi, g := range groups {
		vals := make(plotter.Values, len(rows))
		for i, s := range rows {
			vals[i] = g.values[s]
			hi = max(hi, vals[i])
		}
		b, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return err
		}
		b.Horizontal = true
		b.LineStyle.Width = 0
		b.Color = plotutil.Color(gi)
		b.Offset = barW * vg.Length(float64(len(groups)-1)/2-float64(gi))
		p.Add(b)
		p.Legend.Add(g.label, b)
	}
	// Room on the right for the legend.
	p.X.Max = hi * 1.45
	labels := make([]string, len(rows))
	for i, s := range rows {
		labels[i] = s + " "
	}
	p.NominalY(labels...)
	p.Add(plotter.NewGrid())
	h := vg.Points(float64(70 + 48*len(rows)))
	return p.Save(8*vg.Inch, h, path)
}

// lineChart draws read time against the number of upserts, one line per
// system, on a log-scaled X axis.
func lineChart(path string, pts []Point) error {
	p := plot.New()
	p.Title.Text = "Full read after N upserts (same total size: 100 small upserts)"
	p.X.Label.Text = "upserts on top of the base write (log scale)"
	p.Y.Label.Text = "read time, seconds (median)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = upsertTicks{}
	p.Y.Min = 0
	p.Legend.Top = true
	p.Legend.Left = true
	var systems []string
	for _, pt := range pts {
		if !slices.Contains(systems, pt.System) {
			systems = append(systems, pt.System)
		}
	}
	for i, s := range systems {
		var xys plotter.XYs
		for _, pt := range pts {
			if pt.System == s {
				xys = append(xys, plotter.XY{X: float64(pt.Upserts), Y: pt.Seconds})
			}
		}
		l, sc, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(2)
		sc.Color = plotutil.Color(i)
		sc.Shape = draw.CircleGlyph{}
		p.Add(l, sc)
		p.Legend.Add(s, l, sc)
	}
	p.Add(plotter.NewGrid())
	return p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}

// upsertTicks labels the checkpoints of the small-upsert series.
type upsertTicks struct{}

func (upsertTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for _, k := range checkpoints {
		if float64(k) >= lo && float64(k) <= hi {
			ts = append(ts, plot.Tick{Value: float64(k), Label: fmt.Sprint(k)})
		}
	}
	return ts
}
