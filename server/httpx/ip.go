package httpx

import (
	"net"
	"net/netip"

	"github.com/labstack/echo/v4"
)

// IPExtractor decides the client IP: the direct peer, unless the peer is a
// trusted proxy, in which case X-Forwarded-For is read back to the first
// untrusted hop. Echo's default would trust X-Forwarded-For from anyone.
func IPExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(prefixToIPNet(p)))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// prefixToIPNet converts a netip.Prefix for Echo's trust options.
func prefixToIPNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
