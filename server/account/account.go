// Package account holds the hosted pages that the links of the mails open
// (verify an address, reset a password, confirm an email change), for
// applications without pages of their own. They are rendered once, at start,
// from files embedded in the binary, and load nothing but their own script and
// style sheet.
package account

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed page.html account.js account.css
var files embed.FS

// page is what one hosted page says and where its form posts.
type page struct {
	Title, Intro, Button, Done string
	// Action is the API operation the form posts the token to.
	Action string
	// Password asks for a new password (twice).
	Password bool
}

// The pages, by the name of their path under /account/.
var pages = map[string]page{
	"verify-email": {
		Title: "Verify your email address", Intro: "Confirm that this address is yours.",
		Button: "Verify my address", Done: "Your address is verified. You can close this page.",
		Action: "/api/v1/auth/email-verification",
	},
	"reset-password": {
		Title: "Choose a new password", Intro: "Enter a new password for your account. Every device signed in to it will be signed out.",
		Button: "Set the new password", Done: "Your password is changed. Log in with the new one.",
		Action: "/api/v1/auth/password-reset", Password: true,
	},
	"confirm-email-change": {
		Title: "Confirm your new email address", Intro: "Confirm that this address should become your account's address.",
		Button: "Confirm the new address", Done: "Your new address is confirmed and verified. You can close this page.",
		Action: "/api/v1/auth/email-change",
	},
}

// rendered is every page's HTML.
var rendered = func() map[string][]byte {
	t := template.Must(template.ParseFS(files, "page.html"))
	out := make(map[string][]byte, len(pages))
	for name, p := range pages {
		var b bytes.Buffer
		if err := t.Execute(&b, p); err != nil {
			panic(err) // the embedded template is part of the build
		}
		out[name] = b.Bytes()
	}
	return out
}()

// Page returns the HTML of the page at /account/<name>; it panics for a name
// that is not a page, which is a mistake of the build.
func Page(name string) []byte {
	b, ok := rendered[name]
	if !ok {
		panic("account: no page " + name)
	}
	return b
}

// Assets serves the pages' script and style sheet under /account/assets/.
func Assets() echo.HandlerFunc {
	types := map[string]string{"account.js": "text/javascript; charset=utf-8", "account.css": "text/css; charset=utf-8"}
	return func(c echo.Context) error {
		name := c.Param("*")
		ct, ok := types[name]
		if !ok {
			return echo.ErrNotFound
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, ct, b)
	}
}
