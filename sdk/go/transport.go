package accounts

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/meridianhq/accounts/gen/client"
)

// RoundTrip implements http.RoundTripper. It sends req with the session's
// access token and, when the service answers 401 UNAUTHENTICATED (the token
// expired or was revoked), renews the token pair and sends req once more with
// the new access token. That second answer is final, whatever it is.
//
// Concurrent requests refused with the same token share one renewal, and a
// request refused with a token that was renewed since it left is sent again
// without another renewal: a refresh token is never presented twice. The body
// is replayed from req.GetBody (the generated client sets it), or buffered in
// memory when req has none.
//
// A request that carries its own Authorization header, a request for another
// origin than the session's base URL (a redirect elsewhere, say) and a request
// sent while logged out go out as they are. When the renewal fails, RoundTrip
// returns its error (see Refresh), or the context's when req's context ends
// while it waits for a renewal.
func (s *Session) RoundTrip(req *http.Request) (*http.Response, error) {
	sent, ok := s.accessToken()
	if !ok || req.Header.Get("Authorization") != "" || !s.sameOrigin(req.URL) {
		return s.base.RoundTrip(req)
	}
	req, err := replayable(req)
	if err != nil {
		return nil, err
	}
	res, err := s.base.RoundTrip(withBearer(req, sent, req.Body))
	if err != nil || !unauthenticated(res) {
		return res, err
	}
	token, ok, err := s.renew(req.Context(), sent)
	if !ok {
		if err != nil {
			discard(res)
			return nil, err
		}
		return res, nil
	}
	body := req.Body // nil or http.NoBody: nothing to replay
	if req.GetBody != nil {
		if body, err = req.GetBody(); err != nil {
			discard(res)
			return nil, err
		}
	}
	discard(res)
	return s.base.RoundTrip(withBearer(req, token, body))
}

// sameOrigin reports whether u is under the session's base URL, the only place
// its tokens may go.
func (s *Session) sameOrigin(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, s.origin.Scheme) && strings.EqualFold(u.Host, s.origin.Host) &&
		strings.HasPrefix(u.Path, s.origin.Path)
}

// replayable returns req, or a copy of it whose body can be read again.
func replayable(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody != nil {
		return req, nil
	}
	b, err := io.ReadAll(req.Body)
	_ = req.Body.Close() // RoundTrip must close it, on errors too
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.ContentLength = int64(len(b))
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return r, nil
}

// withBearer is a copy of req with the access token and body: RoundTrip must
// not change the request it was given.
func withBearer(req *http.Request, token string, body io.ReadCloser) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	r.Body = body
	return r
}

// maxProblemBytes bounds what RoundTrip reads of a 401 to find its code.
const maxProblemBytes = 64 << 10

// unauthenticated reports whether res is the service refusing the access
// token: 401 with a problem whose code is UNAUTHENTICATED. Other 401s are
// answers (INVALID_CREDENTIALS, INVALID_REFRESH_TOKEN) that a renewal would not
// change. It leaves res's body to be read again.
func unauthenticated(res *http.Response) bool {
	if res.StatusCode != http.StatusUnauthorized {
		return false
	}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != problemMediaType {
		return false
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxProblemBytes))
	res.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), res.Body), res.Body}
	if err != nil {
		return false
	}
	var p struct {
		Code client.ProblemCode `json:"code"`
	}
	return json.Unmarshal(b, &p) == nil && p.Code == client.CodeUnauthenticated
}

// discard reads what is left of a small body, so the connection can be
// reused, and closes it.
func discard(res *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxProblemBytes))
	_ = res.Body.Close()
}
