package httpx

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// IPExtractor decides the client IP: the direct peer, unless the peer is a
// trusted proxy, in which case X-Forwarded-For is read back to the first
// untrusted hop. Echo's default would trust X-Forwarded-For from anyone.
//
// untrusted, when not nil, is told of every request that carries
// X-Forwarded-For from a peer that is not a trusted proxy: the header is not
// believed, so when such a peer is a proxy, every client behind it shares its
// address (and its attempt limits).
func IPExtractor(trusted []netip.Prefix, untrusted func(peer netip.Addr, hops int)) echo.IPExtractor {
	extract := echo.ExtractIPDirect()
	if len(trusted) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, p := range trusted {
			opts = append(opts, echo.TrustIPRange(prefixToIPNet(p)))
		}
		extract = echo.ExtractIPFromXFFHeader(opts...)
	}
	if untrusted == nil {
		return extract
	}
	return func(r *http.Request) string {
		if hops := forwardedHops(r.Header.Values(echo.HeaderXForwardedFor)); hops > 0 {
			if peer, err := netip.ParseAddrPort(r.RemoteAddr); err == nil && !trustedPeer(trusted, peer.Addr().Unmap()) {
				untrusted(peer.Addr().Unmap(), hops)
			}
		}
		return extract(r)
	}
}

// warnUntrustedForwardedFor is IPExtractor's untrusted hook of NewEcho: the
// first request logs a WARN with the peer (never the header, which is the
// client's to fill), every one calls count (nil: none).
func warnUntrustedForwardedFor(log *slog.Logger, count func()) func(netip.Addr, int) {
	var once sync.Once
	return func(peer netip.Addr, hops int) {
		once.Do(func() {
			log.Warn("X-Forwarded-For from a peer that is not a trusted proxy: if it is a proxy, every client behind it shares its address and attempt limits; set ACCOUNTS_TRUSTED_PROXIES to its CIDRs (logged once per process; counted in accounts_untrusted_forwarded_for_total)",
				slog.String("peer", peer.String()), slog.Int("forwarded_for_hops", hops))
		})
		if count != nil {
			count()
		}
	}
}

// forwardedHops counts the addresses of X-Forwarded-For, over every line of it;
// 0 when there is none.
func forwardedHops(values []string) int {
	n := 0
	for _, v := range values {
		for hop := range strings.SplitSeq(v, ",") {
			if strings.TrimSpace(hop) != "" {
				n++
			}
		}
	}
	return n
}

// trustedPeer reports whether addr is in one of the trusted prefixes.
func trustedPeer(trusted []netip.Prefix, addr netip.Addr) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// prefixToIPNet converts a netip.Prefix for Echo's trust options.
func prefixToIPNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
