// Package metrics is the service's Prometheus instrumentation: one registry
// with the Go and process collectors, the service's own series, and recorders
// the other packages call. Every label takes its values from a closed set (an
// operationId, an HTTP status, an outcome, a scope), never a user, an address
// or an IP. A nil *Metrics records nothing.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the registry and the service's series.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	logins      *prometheus.CounterVec
	refreshes   *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	hashWait    prometheus.Histogram
	hashShed    prometheus.Counter
	revocations prometheus.Counter
	untrusted   prometheus.Counter
	mails       *prometheus.CounterVec
	// series caches the request series of each operation and status
	// (requestKey → requestSeries), so that a request costs no label hashing.
	series sync.Map
}

// requestKey is an operation and a status.
type requestKey struct {
	operation string
	status    int
}

// requestSeries are the series a request of one requestKey adds to.
type requestSeries struct {
	count prometheus.Counter
	took  prometheus.Observer
}

// New returns the metrics of one process, registered.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accounts_http_requests_total", Help: "HTTP requests answered, by operationId and status.",
		}, []string{"operation", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "accounts_http_request_duration_seconds", Help: "Time to answer an HTTP request, by operationId.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accounts_logins_total", Help: "Logins that reached the service, by outcome.",
		}, []string{"outcome"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accounts_refresh_total", Help: "Refresh-token rotations, by outcome (rotated, invalid, reused).",
		}, []string{"outcome"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accounts_rate_limited_total", Help: "Attempts refused by a limit, by scope (auth: per client; account: the per-account backoff).",
		}, []string{"scope"}),
		hashWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "accounts_password_hash_wait_seconds", Help: "Time password work waited for a CPU slot.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		hashShed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "accounts_password_hash_shed_total", Help: "Password work refused (503 OVERLOADED): the queue was full or the wait too long.",
		}),
		revocations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "accounts_revocations_applied_total", Help: "Revoked sessions added to this replica's revoked set.",
		}),
		untrusted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "accounts_untrusted_forwarded_for_total",
			Help: "Requests with X-Forwarded-For from a peer that is not a trusted proxy (ACCOUNTS_TRUSTED_PROXIES): behind such a proxy every client shares its address and its attempt limits.",
		}),
		mails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accounts_mails_total", Help: "Mails sent, or given up on, by template and outcome (sent, failed).",
		}, []string{"template", "outcome"}),
	}
	reg.MustRegister(m.requests, m.duration, m.logins, m.refreshes, m.rateLimited, m.hashWait, m.hashShed, m.revocations, m.untrusted, m.mails)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is where the series live, for collectors of other packages.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Request records one answered request; operation "" is a route outside the
// contract (404, 405), recorded as "none".
func (m *Metrics) Request(operation string, status int, took time.Duration) {
	if m == nil {
		return
	}
	if operation == "" {
		operation = "none"
	}
	key := requestKey{operation, status}
	v, ok := m.series.Load(key)
	if !ok {
		v, _ = m.series.LoadOrStore(key, requestSeries{
			count: m.requests.WithLabelValues(operation, strconv.Itoa(status)),
			took:  m.duration.WithLabelValues(operation),
		})
	}
	rs := v.(requestSeries)
	rs.count.Inc()
	rs.took.Observe(took.Seconds())
}

// Login records the outcome of a login (success, invalid_credentials,
// account_disabled, invalid_request, rate_limited, overloaded, unavailable,
// error).
func (m *Metrics) Login(outcome string) {
	if m != nil {
		m.logins.WithLabelValues(outcome).Inc()
	}
}

// Refresh records the outcome of a refresh (rotated, invalid, reused).
func (m *Metrics) Refresh(outcome string) {
	if m != nil {
		m.refreshes.WithLabelValues(outcome).Inc()
	}
}

// RateLimited records an attempt a limit of scope refused.
func (m *Metrics) RateLimited(scope string) {
	if m != nil {
		m.rateLimited.WithLabelValues(scope).Inc()
	}
}

// HashWaited records password work's wait for a slot; shed is true when it was
// refused.
func (m *Metrics) HashWaited(wait time.Duration, shed bool) {
	if m == nil {
		return
	}
	if shed {
		m.hashShed.Inc()
		return
	}
	m.hashWait.Observe(wait.Seconds())
}

// RevocationsApplied records n sessions newly added to the revoked set.
func (m *Metrics) RevocationsApplied(n int) {
	if m != nil && n > 0 {
		m.revocations.Add(float64(n))
	}
}

// Mail records a mail sent (ok) or given up on; template is one of the mail
// package's kinds.
func (m *Metrics) Mail(template string, ok bool) {
	if m != nil {
		outcome := "sent"
		if !ok {
			outcome = "failed"
		}
		m.mails.WithLabelValues(template, outcome).Inc()
	}
}

// UntrustedForwardedFor records a request whose X-Forwarded-For came from a
// peer that is not a trusted proxy.
func (m *Metrics) UntrustedForwardedFor() {
	if m != nil {
		m.untrusted.Inc()
	}
}
