package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"strings"
	texttemplate "text/template"
)

// The templates of each kind of message: <kind>.txt defines "subject" and
// "text", <kind>.html the HTML part. No images, no tracking pixels: links
// are the only thing a message points at.
//
//go:embed templates/*.txt templates/*.html
var embedded embed.FS

// Kinds are the messages the service sends.
var Kinds = []string{
	KindVerifyEmail, KindResetPassword, KindPasswordChanged,
	KindConfirmEmailChange, KindEmailChangeTaken, KindEmailChangeNotice, KindEmailChangedByAdmin,
}

// The kinds of message.
const (
	KindVerifyEmail         = "verify_email"
	KindResetPassword       = "reset_password"
	KindPasswordChanged     = "password_changed"
	KindConfirmEmailChange  = "confirm_email_change"
	KindEmailChangeTaken    = "email_change_taken"
	KindEmailChangeNotice   = "email_change_notice"
	KindEmailChangedByAdmin = "email_changed_by_admin"
)

// Data is what a template may show.
type Data struct {
	// Name is the recipient's display name.
	Name string `json:"name,omitempty"`
	// Link opens the page that consumes the token; Code is the 6-digit code
	// that does the same, typed into an application.
	Link string `json:"link,omitempty"`
	Code string `json:"code,omitempty"`
	// Expires says how long Link stays valid ("24 hours", Lifetime), and
	// Code too unless CodeExpires says less.
	Expires string `json:"expires,omitempty"`
	// CodeExpires says how long Code stays valid when that is shorter than
	// Expires ("15 minutes").
	CodeExpires string `json:"code_expires,omitempty"`
	// NewEmail is the address an email change goes to.
	NewEmail string `json:"new_email,omitempty"`
}

// Rendered is a message ready to send.
type Rendered struct {
	Subject, Text, HTML string
}

// Templates render every kind of message.
type Templates struct {
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template
}

// LoadTemplates parses the embedded templates, each replaced by the file of
// the same name in dir when dir (ACCOUNTS_MAIL_TEMPLATES_DIR) has one. Every
// kind must parse and render, so a broken override stops the start rather
// than a mail.
func LoadTemplates(dir string) (*Templates, error) {
	t := &Templates{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	for _, kind := range Kinds {
		txt, err := read(dir, kind+".txt")
		if err != nil {
			return nil, err
		}
		if t.text[kind], err = texttemplate.New(kind).Option("missingkey=error").Parse(txt); err != nil {
			return nil, fmt.Errorf("mail: %s.txt: %w", kind, err)
		}
		h, err := read(dir, kind+".html")
		if err != nil {
			return nil, err
		}
		if t.html[kind], err = htmltemplate.New(kind).Option("missingkey=error").Parse(h); err != nil {
			return nil, fmt.Errorf("mail: %s.html: %w", kind, err)
		}
		if _, err := t.Render(kind, Data{Name: "Ada", Link: "https://example.com/x", Code: "123456", Expires: "1 hour", CodeExpires: "15 minutes", NewEmail: "a@example.com"}); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// read is dir's file name, or the embedded one.
func read(dir, name string) (string, error) {
	if dir != "" {
		b, err := os.ReadFile(dir + "/" + name)
		if err == nil {
			return string(b), nil
		}
		if !os.IsNotExist(err) {
			return "", fmt.Errorf("mail: reading %s: %w", name, err)
		}
	}
	b, err := fs.ReadFile(embedded, "templates/"+name)
	if err != nil {
		return "", fmt.Errorf("mail: no template %s: %w", name, err)
	}
	return string(b), nil
}

// Render renders the message of kind with d.
func (t *Templates) Render(kind string, d Data) (Rendered, error) {
	tt, ok := t.text[kind]
	if !ok {
		return Rendered{}, fmt.Errorf("mail: unknown kind %q", kind)
	}
	var subject, text, html bytes.Buffer
	if err := tt.ExecuteTemplate(&subject, "subject", d); err != nil {
		return Rendered{}, fmt.Errorf("mail: %s subject: %w", kind, err)
	}
	if err := tt.ExecuteTemplate(&text, "text", d); err != nil {
		return Rendered{}, fmt.Errorf("mail: %s text: %w", kind, err)
	}
	if err := t.html[kind].Execute(&html, d); err != nil {
		return Rendered{}, fmt.Errorf("mail: %s html: %w", kind, err)
	}
	return Rendered{Subject: strings.TrimSpace(subject.String()), Text: text.String(), HTML: html.String()}, nil
}
