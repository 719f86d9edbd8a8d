package httpx

import (
	"net/http"
	"testing"
)

// TestRequestIDKeyIsCanonical guards the key RequestContext reads and sets
// directly: net/http stores headers under their canonical form.
func TestRequestIDKeyIsCanonical(t *testing.T) {
	if got := http.CanonicalHeaderKey(HeaderRequestID); got != requestIDKey {
		t.Fatalf("requestIDKey %q; the canonical form of %q is %q", requestIDKey, HeaderRequestID, got)
	}
}
