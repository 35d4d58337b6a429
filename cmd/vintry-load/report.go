package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// report is what a run prints.
type report struct {
	Config  Config
	Elapsed time.Duration
	Stats   *stats
	Result  result
}

// write prints the request table and the final check.
func (r *report) write(w io.Writer) {
	s := r.Stats
	fmt.Fprintf(w, "vintry-load: %d clients, %s (ran %s), %d keys per client, seed %d\n\n",
		r.Config.Clients, r.Config.Duration, r.Elapsed.Round(time.Millisecond), r.Config.Keys, r.Config.Seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "request\trequests\treq/s\tp50 ms\tp99 ms\tmax ms\t5xx\ttransport errors\tunexpected\t")
	total := 0
	for _, k := range kinds {
		ds := slices.Clone(s.latency[k])
		slices.Sort(ds)
		total += len(ds)
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%d\t%d\t%d\t\n", k, len(ds), float64(len(ds))/r.Elapsed.Seconds(),
			ms(ds, 50), ms(ds, 99), ms(ds, 100), s.status5xx[k], s.transport[k], s.unexpect[k])
	}
	fmt.Fprintf(tw, "all\t%d\t%.1f\t\t\t\t\t\t\t\n", total, float64(total)/r.Elapsed.Seconds())
	tw.Flush()
	res := r.Result
	fmt.Fprintf(w, "\nrecords: expected %d, found %d; lost %d, extra %d, wrong quantity %d, listed twice %d\n",
		res.Expected, res.Found, res.Lost, res.Extra, res.Wrong, res.ListedTwice)
	fmt.Fprintf(w, "import jobs: accepted %d, on the server %d (doubled %d, lost %d)\n",
		res.ExpectedJobs, res.Jobs, max(0, res.Jobs-res.ExpectedJobs), max(0, res.ExpectedJobs-res.Jobs))
	for _, e := range append(slices.Clone(s.firstError), res.Examples...) {
		fmt.Fprintln(w, "  ", e)
	}
}

// ms is the p-th percentile of sorted durations in milliseconds, as text.
func ms(sorted []time.Duration, p int) string {
	if len(sorted) == 0 {
		return "-"
	}
	i := min(len(sorted)-1, len(sorted)*p/100)
	return fmt.Sprintf("%.1f", float64(sorted[i].Microseconds())/1000)
}

// problems lists every discrepancy; none means the run passed.
func (r *report) problems() []string {
	var out []string
	s, res := r.Stats, r.Result
	for _, k := range kinds {
		if n := s.status5xx[k]; n > 0 {
			out = append(out, fmt.Sprintf("%d %s answers were 5xx", n, k))
		}
		if n := s.transport[k]; n > 0 {
			out = append(out, fmt.Sprintf("%d %s requests failed in transport", n, k))
		}
		if n := s.unexpect[k]; n > 0 {
			out = append(out, fmt.Sprintf("%d %s answers were unexpected", n, k))
		}
	}
	for _, c := range []struct {
		n    int
		what string
	}{{res.Lost, "records lost"}, {res.Extra, "records extra"}, {res.Wrong, "records with a wrong quantity"},
		{res.ListedTwice, "records listed twice"}} {
		if c.n > 0 {
			out = append(out, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if res.Jobs != res.ExpectedJobs {
		out = append(out, fmt.Sprintf("%d import jobs on the server, %d accepted", res.Jobs, res.ExpectedJobs))
	}
	if len(s.latency[kindJSON])+len(s.latency[kindCSV]) == 0 {
		out = append(out, "no import was made")
	}
	return out
}
