package server_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/meridianhq/accounts/server/servertest"
)

// untrustedForwardedFor reads accounts_untrusted_forwarded_for_total from the
// service's registry, the one its metrics listener serves.
func untrustedForwardedFor(t *testing.T, e *servertest.Env) float64 {
	t.Helper()
	families, err := e.Service.Metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "accounts_untrusted_forwarded_for_total" {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("no accounts_untrusted_forwarded_for_total in the registry")
	return 0
}

// untrustedWarnings returns the log lines that report X-Forwarded-For from an untrusted peer.
func untrustedWarnings(e *servertest.Env) []string {
	var out []string
	for line := range strings.Lines(e.Logs.String()) {
		if strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, "X-Forwarded-For") {
			out = append(out, line)
		}
	}
	return out
}

// TestUntrustedForwardedFor: a service that sees X-Forwarded-For from a peer it
// does not trust is behind a proxy it was not told of, where every client shares
// the proxy's address and attempt limits. It says so at WARN once, then only
// counts, and never logs the header's value.
func TestUntrustedForwardedFor(t *testing.T) {
	t.Parallel()
	// The test client's peer is 127.0.0.1. The header's value is the client's
	// own claim, long and odd, which must not reach the log.
	claim := "203.0.113.7, " + strings.Repeat("x", 2000)
	get := func(t *testing.T, e *servertest.Env, header http.Header) {
		t.Helper()
		if res, b := e.Do(t, http.MethodGet, "/healthz", nil, header); res.StatusCode != 200 {
			t.Fatalf("/healthz: %d %s", res.StatusCode, b)
		}
	}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
	}{
		{"NoTrustedProxies", nil},
		{"PeerOutsideTrustedProxies", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fc00::/7")}},
	} {
		t.Run(tc.name+"_WarnsOnceCountsEach", func(t *testing.T) {
			t.Parallel()
			e := servertest.New(t, func(o *servertest.Options) { o.Config.HTTP.TrustedProxies = tc.trusted })
			get(t, e, nil)
			if n := untrustedForwardedFor(t, e); n != 0 {
				t.Fatalf("a request without X-Forwarded-For counted: %v", n)
			}
			for range 3 {
				get(t, e, http.Header{"X-Forwarded-For": {claim}})
			}
			if n := untrustedForwardedFor(t, e); n != 3 {
				t.Fatalf("accounts_untrusted_forwarded_for_total %v after 3 requests; want 3", n)
			}
			warns := untrustedWarnings(e)
			if len(warns) != 1 {
				t.Fatalf("%d warnings; want 1 for the process:\n%s", len(warns), e.Logs.String())
			}
			t.Logf("the warning: %s", warns[0])
			if !strings.Contains(warns[0], `"peer":"127.0.0.1"`) || !strings.Contains(warns[0], `"forwarded_for_hops":2`) || !strings.Contains(warns[0], "ACCOUNTS_TRUSTED_PROXIES") {
				t.Errorf("the warning lacks the peer, the hop count or the setting: %s", warns[0])
			}
			if strings.Contains(e.Logs.String(), "xxxxxxxx") {
				t.Errorf("the header's value reached the log:\n%s", e.Logs.String())
			}
			// The client is still the direct peer: the header is not believed.
			if !strings.Contains(e.Logs.String(), `"ip":"127.0.0.1"`) || strings.Contains(e.Logs.String(), `"ip":"203.0.113.7"`) {
				t.Errorf("the access log's client IP is not the peer:\n%s", e.Logs.String())
			}
		})
	}
	t.Run("TrustedPeer_Quiet", func(t *testing.T) {
		t.Parallel()
		e := servertest.New(t, behindProxy)
		get(t, e, http.Header{"X-Forwarded-For": {"203.0.113.7"}})
		if n := untrustedForwardedFor(t, e); n != 0 {
			t.Fatalf("X-Forwarded-For from a trusted proxy counted: %v", n)
		}
		if w := untrustedWarnings(e); len(w) != 0 {
			t.Fatalf("X-Forwarded-For from a trusted proxy warned: %s", w)
		}
		if !strings.Contains(e.Logs.String(), `"ip":"203.0.113.7"`) {
			t.Errorf("the client IP is not the one the trusted proxy forwarded:\n%s", e.Logs.String())
		}
	})
}
