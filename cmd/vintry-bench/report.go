package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// spec describes one figure: how it is shown, which physical figure its
// ratio is taken to, and its target on each engine.
type spec struct {
	id, label, unit string
	ref             string                   // the physical figure of the ratio; "" none
	target          func(engine string) goal // zero goal: no target
	sqliteOnly      bool                     // measured on SQLite only
}

// goal is a target: its text, and whether a value (and its ratio) meets it.
type goal struct {
	text string
	met  func(value, ratio float64) bool
}

func ratioAtMost(limit float64) goal {
	return goal{fmt.Sprintf("≤ %.1f×", limit), func(_, r float64) bool { return r <= limit }}
}

func ratioAtLeast(share float64) goal {
	return goal{fmt.Sprintf("≥ %.0f %%", share*100), func(_, r float64) bool { return r >= share }}
}

func valueAtMost(limit float64, unit string) goal {
	return goal{fmt.Sprintf("≤ %g %s", limit, unit), func(v, _ float64) bool { return v <= limit }}
}

// jsonGoal is the JSON import's target: a ratio to the physical limit per engine.
func jsonGoal(engine string) goal {
	if engine == "postgres" {
		return ratioAtMost(2.5)
	}
	return ratioAtMost(2.0)
}

func always(g goal) func(string) goal { return func(string) goal { return g } }

// specs lists every figure in table order.
var specs = []spec{
	{id: "physical_insert_ms", label: "(1) physical limit: 1000 new rows, one tx (median)", unit: "ms"},
	{id: "physical_insert_rows_per_s", label: "(1) physical limit: new rows", unit: "rows/s"},
	{id: "physical_update_ms", label: "(1u) physical limit: 1000 updated rows, one tx (median)", unit: "ms"},
	{id: "physical_update_rows_per_s", label: "(1u) physical limit: updated rows", unit: "rows/s"},
	{id: "physical_insert_cpu_ms", label: "(1) physical limit: CPU per 1000 new rows", unit: "ms", sqliteOnly: true},
	{id: "physical_update_cpu_ms", label: "(1u) physical limit: CPU per 1000 updated rows", unit: "ms", sqliteOnly: true},
	{id: "json_create_median_ms", label: "(2) JSON import, 1000 new records (median)", unit: "ms", ref: "physical_insert_ms", target: jsonGoal},
	{id: "json_create_p99_ms", label: "(2) JSON import, 1000 new records (p99)", unit: "ms", ref: "physical_insert_ms"},
	{id: "json_update_median_ms", label: "(2u) JSON import, 1000 updates (median)", unit: "ms", ref: "physical_update_ms", target: jsonGoal},
	{id: "json_update_p99_ms", label: "(2u) JSON import, 1000 updates (p99)", unit: "ms", ref: "physical_update_ms"},
	{id: "json_create_cpu_ms", label: "(2) server CPU per JSON import of 1000 new records", unit: "ms", ref: "physical_insert_cpu_ms"},
	{id: "json_update_cpu_ms", label: "(2u) server CPU per JSON import of 1000 updates", unit: "ms", ref: "physical_update_cpu_ms"},
	{id: "csv_upload_median_ms", label: "(3) CSV 1000 rows: upload until 202 (median)", unit: "ms", ref: "physical_insert_ms"},
	{id: "csv_pickup_median_ms", label: "(3) CSV 1000 rows: upload until seen processing (median)", unit: "ms", ref: "physical_insert_ms"},
	{id: "csv_job_median_ms", label: "(3) CSV 1000 rows: upload until completed (median)", unit: "ms", ref: "physical_insert_ms",
		target: func(engine string) goal {
			if engine == "sqlite" {
				return valueAtMost(100, "ms")
			}
			return goal{}
		}},
	{id: "csv_job_p99_ms", label: "(3) CSV 1000 rows: upload until completed (p99)", unit: "ms", ref: "physical_insert_ms"},
	{id: "csv_job_cpu_ms", label: "(3) server CPU per CSV job (status polls included)", unit: "ms", ref: "physical_insert_cpu_ms"},
	{id: "sustained_rows_per_s", label: "(4) sustained JSON imports, concurrent clients", unit: "rows/s", ref: "physical_insert_rows_per_s", target: always(ratioAtLeast(0.5))},
	{id: "sustained_errors", label: "(4) sustained: failed requests", unit: "count", target: always(valueAtMost(0, "errors"))},
	{id: "sustained_cpu_ms", label: "(4) sustained: server CPU per 1000 rows", unit: "ms", ref: "physical_insert_cpu_ms"},
	{id: "large_upload_s", label: "(5) large CSV: upload until 202", unit: "s"},
	{id: "large_total_s", label: "(5) large CSV: upload until completed", unit: "s"},
	{id: "large_rows_per_s", label: "(5) large CSV: rows/s, upload until completed", unit: "rows/s", ref: "physical_insert_rows_per_s", target: always(ratioAtLeast(0.5))},
	{id: "large_cpu_ms", label: "(5) large CSV: server CPU per 1000 rows", unit: "ms", ref: "physical_insert_cpu_ms"},
	{id: "large_peak_rss_mb", label: "(5) large CSV: server peak RSS (VmHWM)", unit: "MB", target: always(valueAtMost(200, "MB"))},
	{id: "revert_s", label: "(6) revert of the large import: request until its job completed", unit: "s"},
	{id: "revert_rows_per_s", label: "(6) revert: records/s", unit: "rows/s", ref: "physical_insert_rows_per_s"},
	{id: "revert_cpu_ms", label: "(6) revert: server CPU per 1000 records", unit: "ms", ref: "physical_insert_cpu_ms"},
	{id: "revert_peak_rss_mb", label: "(6) revert: server peak RSS (VmHWM)", unit: "MB", target: always(valueAtMost(1024, "MB"))},
	{id: "idle_rss_mb", label: "idle server RSS after start-up (VmRSS)", unit: "MB", target: always(valueAtMost(50, "MB"))},
}

// Figure is one measured figure as the JSON report holds it.
type Figure struct {
	ID    string   `json:"id"`
	Label string   `json:"label"`
	Value float64  `json:"value"`
	Unit  string   `json:"unit"`
	N     int      `json:"n,omitempty"` // measured runs or requests behind the value
	Ratio *float64 `json:"ratio"`       // value / the physical figure RatioOf; null without one
	Of    string   `json:"ratio_of,omitempty"`
	Goal  string   `json:"target,omitempty"`
	Met   *bool    `json:"met"` // null when the figure has no target (or no ratio to judge it by)
}

// Report is the result of one run, as --json writes it.
type Report struct {
	Engine    string    `json:"engine"`
	StartedAt time.Time `json:"started_at"`
	Seconds   float64   `json:"seconds"`
	Machine   Machine   `json:"machine"`
	// LoadStart and LoadEnd are /proc/loadavg's 1, 5 and 15 minute load
	// averages when the run started and ended: other work on the machine
	// shows there, and makes the figures of that run noisy.
	LoadStart string   `json:"load_start"`
	LoadEnd   string   `json:"load_end"`
	Settings  Settings `json:"settings"`
	Figures   []Figure `json:"figures"`

	values map[string]Figure
}

// Settings are the knobs of the run.
type Settings struct {
	Runs      int      `json:"runs"`
	Warmup    int      `json:"warmup"`
	Sustain   string   `json:"sustain"`
	Clients   int      `json:"clients"`
	LargeRows int      `json:"large_rows"`
	Phases    []string `json:"phases"`
}

func newReport(cfg Config) *Report {
	return &Report{
		Engine: cfg.engine(), StartedAt: time.Now().UTC(), Machine: describeMachine(), LoadStart: loadAverage(),
		Settings: Settings{Runs: cfg.Runs, Warmup: cfg.Warmup, Sustain: cfg.Sustain.String(), Clients: cfg.Clients,
			LargeRows: cfg.LargeRows, Phases: cfg.Only},
		values: map[string]Figure{},
	}
}

// add records a figure measured over n runs (0: a single measurement).
func (r *Report) add(id string, value float64, n int) {
	r.values[id] = Figure{ID: id, Value: value, N: n}
}

// finish orders the figures, takes their ratios and judges their targets.
func (r *Report) finish() {
	r.Seconds = time.Since(r.StartedAt).Seconds()
	r.LoadEnd = loadAverage()
	r.Figures = r.Figures[:0]
	for _, s := range specs {
		f, ok := r.values[s.id]
		if !ok {
			continue
		}
		f.Label, f.Unit = s.label, s.unit
		ref, hasRef := r.values[s.ref]
		if hasRef && ref.Value > 0 {
			ratio := f.Value / ref.Value
			f.Ratio, f.Of = &ratio, s.ref
		}
		if s.target != nil {
			if g := s.target(r.Engine); g.met != nil {
				f.Goal = g.text
				if s.ref == "" || f.Ratio != nil {
					met := g.met(f.Value, deref(f.Ratio))
					f.Met = &met
				}
			}
		}
		r.Figures = append(r.Figures, f)
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// writeTable prints the report as one table.
func (r *Report) writeTable(w io.Writer) error {
	m := r.Machine
	fmt.Fprintf(w, "vintry-bench on %s: %d cores (%s), %d MB, %s; runs %d, sustain %s × %d clients, large %d rows\n",
		r.Engine, m.CPUs, m.CPUModel, m.MemoryMB, m.GoVersion, r.Settings.Runs, r.Settings.Sustain, r.Settings.Clients, r.Settings.LargeRows)
	fmt.Fprintf(w, "load average at start %s, at end %s", r.LoadStart, r.LoadEnd)
	// Before the run the machine should be idle; at its end the run's own
	// server and clients account for about one load per core.
	if busyAbove(r.LoadStart, 1) || busyAbove(r.LoadEnd, float64(m.CPUs)+1) {
		fmt.Fprint(w, " — other work was running: wall-clock figures are noisy, compare the CPU figures")
	}
	fmt.Fprint(w, "\n\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tratio to (1)\ttarget\tmet")
	for _, f := range r.Figures {
		ratio := ""
		if f.Ratio != nil {
			if strings.HasSuffix(f.Of, "_ms") {
				ratio = fmt.Sprintf("%.2f×", *f.Ratio)
			} else {
				ratio = fmt.Sprintf("%.0f %%", *f.Ratio*100)
			}
		}
		met := ""
		if f.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*f.Met]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Label, formatValue(f.Value, f.Unit), ratio, f.Goal, met)
	}
	return tw.Flush()
}

func formatValue(v float64, unit string) string {
	switch unit {
	case "ms":
		return fmt.Sprintf("%.1f ms", v)
	case "s":
		return fmt.Sprintf("%.2f s", v)
	case "rows/s":
		return fmt.Sprintf("%.0f rows/s", v)
	case "MB":
		return fmt.Sprintf("%.1f MB", v)
	default:
		return fmt.Sprintf("%g", v)
	}
}

// writeJSON writes the report to path.
func (r *Report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
