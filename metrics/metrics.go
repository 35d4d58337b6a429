// Package metrics exposes Vintry's Prometheus metrics on an own registry:
// HTTP requests and latencies by route pattern, import jobs and rows by
// result, and job counts read from the database at scrape time. No label
// carries a tenant, a token or any other client value.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vintry/vintry"
)

// JobCounter counts the deployment's import jobs by status (all tenants).
type JobCounter interface {
	CountImportJobs(ctx context.Context) (map[vintry.JobStatus]int, error)
}

// Metrics records what the server does. The zero of *Metrics (nil) records
// nothing, so callers need no checks.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	finished *prometheus.CounterVec
	rows     *prometheus.CounterVec
}

// New creates the metrics; jobs (optional) is asked for job counts at each
// scrape, so every node reports the shared queue.
func New(jobs JobCounter, logger *slog.Logger) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vintry_http_requests_total", Help: "HTTP requests by route pattern and status class.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vintry_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vintry_import_jobs_finished_total", Help: "Import jobs this node finished, by final status and source.",
		}, []string{"status", "source"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vintry_import_rows_total", Help: "Rows of finished, non-dry-run imports on this node, by result.",
		}, []string{"result"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.finished, m.rows,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if jobs != nil {
		m.registry.MustRegister(&jobCollector{jobs: jobs, logger: logger})
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// ObserveRequest records one HTTP request. route is the matched pattern
// ("" for none).
func (m *Metrics) ObserveRequest(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status/100)+"xx").Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// JobFinished records an import job that reached its final status.
func (m *Metrics) JobFinished(j *vintry.ImportJob) {
	if m == nil || j == nil {
		return
	}
	m.finished.WithLabelValues(string(j.Status), j.Source).Inc()
	if j.Args.DryRun {
		return
	}
	s := j.Summary
	for result, n := range map[vintry.RowResult]int{
		vintry.ResultCreated: s.Created, vintry.ResultUpdated: s.Updated,
		vintry.ResultUnchanged: s.Unchanged, vintry.ResultFailed: s.Failed,
	} {
		m.rows.WithLabelValues(string(result)).Add(float64(n))
	}
}

// jobCollector reads job counts from the database when scraped.
type jobCollector struct {
	jobs   JobCounter
	logger *slog.Logger
}

var (
	jobsDesc  = prometheus.NewDesc("vintry_import_jobs", "Import jobs in the database by status (all nodes).", []string{"status"}, nil)
	queueDesc = prometheus.NewDesc("vintry_import_queue_depth", "Import jobs accepted and not yet finished (pending or processing).", nil, nil)
)

func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	ch <- queueDesc
}

func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.jobs.CountImportJobs(ctx)
	if err != nil {
		c.logger.Warn("metrics: counting jobs", "error", err)
		return
	}
	for _, st := range vintry.JobStatuses {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
	depth := counts[vintry.StatusPending] + counts[vintry.StatusProcessing]
	ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(depth))
}
