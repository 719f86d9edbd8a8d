package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/meridianhq/accounts/server/mail"
	"github.com/meridianhq/accounts/server/servertest"
)

// TestAccountPages: every page a mail links to is served, as HTML under the
// strict page headers, with its script and style sheet and nothing else;
// an asset that does not exist is a 404 problem.
func TestAccountPages(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	for _, page := range []string{mail.PageVerifyEmail, mail.PageResetPassword, mail.PageConfirmEmailChange} {
		t.Run(page, func(t *testing.T) {
			res, b := e.Do(t, http.MethodGet, "/account/"+page, nil, nil)
			csp := res.Header.Get("Content-Security-Policy")
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
				!strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
				res.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Fatalf("%d %q CSP %q", res.StatusCode, res.Header.Get("Content-Type"), csp)
			}
			html := string(b)
			for _, want := range []string{`src="/account/assets/account.js"`, `href="/account/assets/account.css"`, `data-action="/api/v1/`} {
				if !strings.Contains(html, want) {
					t.Errorf("the page lacks %s", want)
				}
			}
			if strings.Contains(html, "http://") || strings.Contains(html, "https://") {
				t.Error("the page names another origin")
			}
		})
	}
	for _, c := range []struct{ path, contentType string }{
		{"/account/assets/account.js", "text/javascript"},
		{"/account/assets/account.css", "text/css"},
	} {
		res, b := e.Do(t, http.MethodGet, c.path, nil, nil)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), c.contentType) || len(b) == 0 {
			t.Errorf("%s: %d %q", c.path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	res, b := e.Do(t, http.MethodGet, "/account/assets/page.html", nil, nil)
	wantCode(t, res, b, 404, "NOT_FOUND")
}
