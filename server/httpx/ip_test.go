package httpx

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestIPExtractorReportsUntrustedForwardedFor(t *testing.T) {
	t.Parallel()
	private := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		xff     []string
		wantIP  string
		report  int // hops reported; 0: not reported
	}{
		{"NoHeader_Quiet", nil, "192.0.2.1:1234", nil, "192.0.2.1", 0},
		{"EmptyHeader_Quiet", nil, "192.0.2.1:1234", []string{" , "}, "192.0.2.1", 0},
		{"NoTrustedProxies_Reported", nil, "192.0.2.1:1234", []string{"203.0.113.7"}, "192.0.2.1", 1},
		{"TwoLines_HopsOfBoth", nil, "192.0.2.1:1234", []string{"203.0.113.7, 10.1.1.1", "10.2.2.2"}, "192.0.2.1", 3},
		{"PeerOutside_Reported", private, "192.0.2.1:1234", []string{"203.0.113.7"}, "192.0.2.1", 1},
		{"IPv6PeerOutside_Reported", private, "[2001:db8::1]:1234", []string{"203.0.113.7"}, "2001:db8::1", 1},
		{"TrustedPeer_Believed", private, "10.9.8.7:1234", []string{"203.0.113.7"}, "203.0.113.7", 0},
		{"TrustedIPv6Peer_Believed", private, "[fd00::7]:1234", []string{"203.0.113.7"}, "203.0.113.7", 0},
		{"MappedIPv4Peer_Trusted", private, "[::ffff:10.9.8.7]:1234", []string{"203.0.113.7"}, "203.0.113.7", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reported := 0
			extract := IPExtractor(tc.trusted, func(peer netip.Addr, hops int) {
				if want := netip.MustParseAddrPort(tc.peer).Addr().Unmap(); peer != want {
					t.Errorf("reported peer %s; want %s", peer, want)
				}
				reported = hops
			})
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if ip := extract(r); ip != tc.wantIP {
				t.Errorf("client IP %s; want %s", ip, tc.wantIP)
			}
			if reported != tc.report {
				t.Errorf("reported %d hops; want %d", reported, tc.report)
			}
		})
	}
}

// TestUntrustedForwardedForWarnsOnce: concurrent requests log one WARN and
// count every one.
func TestUntrustedForwardedForWarnsOnce(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), nil))
	var counted atomic.Int64
	hook := warnUntrustedForwardedFor(log, func() { counted.Add(1) })
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { hook(netip.MustParseAddr("192.0.2.1"), 1) })
	}
	wg.Wait()
	if n := counted.Load(); n != 50 {
		t.Errorf("counted %d; want 50", n)
	}
	if n := strings.Count(buf.String(), `"level":"WARN"`); n != 1 {
		t.Errorf("%d warnings; want 1:\n%s", n, buf.String())
	}
	warnUntrustedForwardedFor(log, nil)(netip.MustParseAddr("192.0.2.1"), 1) // no counter: logs only
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
