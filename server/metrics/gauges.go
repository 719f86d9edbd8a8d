package metrics

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Gauge registers a gauge whose value f reports at each scrape.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	if m != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
}

// WatchHashing reports the password-hash slots: running and queued.
func (m *Metrics) WatchHashing(running, queued func() int) {
	m.Gauge("accounts_password_hash_running", "Password work running in a CPU slot.", func() float64 { return float64(running()) })
	m.Gauge("accounts_password_hash_queued", "Password work waiting for a CPU slot.", func() float64 { return float64(queued()) })
}

// WatchListener reports the revocation listener: up, and the age of the last
// notification it heard (heartbeats included).
func (m *Metrics) WatchListener(up func() bool, lastHeard func() time.Time) {
	m.Gauge("accounts_revocation_listener_up", "1 while the revocation listener is connected and hears its heartbeats.", func() float64 {
		if up() {
			return 1
		}
		return 0
	})
	m.Gauge("accounts_revocation_listener_last_heard_seconds", "Seconds since the revocation listener last heard a notification or heartbeat.", func() float64 {
		if t := lastHeard(); !t.IsZero() {
			return time.Since(t).Seconds()
		}
		return -1
	})
}

// WatchPool reports the database pool's statistics at each scrape.
func (m *Metrics) WatchPool(pool *pgxpool.Pool) {
	if m != nil {
		m.reg.MustRegister(poolCollector{pool: pool})
	}
}

// poolCollector turns pgxpool.Stat into series.
type poolCollector struct{ pool *pgxpool.Pool }

var (
	poolConns    = prometheus.NewDesc("accounts_db_pool_connections", "Database connections, by state (acquired, idle, constructing).", []string{"state"}, nil)
	poolMax      = prometheus.NewDesc("accounts_db_pool_max_connections", "The pool's bound on connections.", nil, nil)
	poolAcquires = prometheus.NewDesc("accounts_db_pool_acquires_total", "Connections acquired from the pool.", nil, nil)
	poolWaited   = prometheus.NewDesc("accounts_db_pool_acquires_waited_total", "Acquires that waited for a connection: the pool was exhausted.", nil, nil)
	poolWaitSec  = prometheus.NewDesc("accounts_db_pool_acquire_wait_seconds_total", "Time spent acquiring connections.", nil, nil)
	poolCanceled = prometheus.NewDesc("accounts_db_pool_acquires_canceled_total", "Acquires given up by their context.", nil, nil)
)

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolConns, poolMax, poolAcquires, poolWaited, poolWaitSec, poolCanceled} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWaited, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWaitSec, prometheus.CounterValue, s.AcquireDuration().Seconds())
	ch <- prometheus.MustNewConstMetric(poolCanceled, prometheus.CounterValue, float64(s.CanceledAcquireCount()))
}

// JobStats is the state of the job queue.
type JobStats struct {
	Queued, Failed int64
	OldestAge      time.Duration
}

// WatchJobs reports the job queue at each scrape: the jobs waiting, those
// given up on, and how long the oldest available one has waited. A scrape
// during an outage reports none of them.
func (m *Metrics) WatchJobs(stats func(context.Context) (JobStats, error)) {
	if m != nil {
		m.reg.MustRegister(jobsCollector{stats: stats})
	}
}

// jobsCollector turns JobStats into series.
type jobsCollector struct {
	stats func(context.Context) (JobStats, error)
}

var (
	jobsQueued = prometheus.NewDesc("accounts_jobs_queued", "Jobs waiting to be worked (mails to send, maintenance): available, scheduled or waiting for a retry.", nil, nil)
	jobsFailed = prometheus.NewDesc("accounts_jobs_failed", "Jobs given up on after their last attempt, kept a day.", nil, nil)
	jobsOldest = prometheus.NewDesc("accounts_jobs_oldest_age_seconds", "How long the oldest available job has waited; 0 when none waits.", nil, nil)
)

func (jobsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{jobsQueued, jobsFailed, jobsOldest} {
		ch <- d
	}
}

func (c jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := c.stats(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(jobsQueued, prometheus.GaugeValue, float64(s.Queued))
	ch <- prometheus.MustNewConstMetric(jobsFailed, prometheus.GaugeValue, float64(s.Failed))
	ch <- prometheus.MustNewConstMetric(jobsOldest, prometheus.GaugeValue, s.OldestAge.Seconds())
}
