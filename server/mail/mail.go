// Package mail sends the service's mail: verification links and codes,
// password resets, email-change confirmations and notices. Messages are jobs
// of the outbox (server/outbox), inserted in the transaction of the change
// that causes them and sent by Worker through SMTP with go-mail
// (github.com/wneessen/go-mail), from templates embedded in the binary or
// read from a directory. A message's link token is never logged.
package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Transport is how SMTP_URL says to reach the server.
type Transport struct {
	Host     string
	Port     int
	Username string
	Password string
	// TLS is "starttls" (the default of smtp://: required, never optional),
	// "tls" (smtps://: TLS from the first byte) or "none" (smtp://…?tls=none,
	// for a mail catcher on the same machine only).
	TLS string
}

// ParseURL reads an SMTP URL: smtp://user:pass@host:587 (STARTTLS
// required), smtps://user:pass@host:465, or smtp://host:1025?tls=none.
func ParseURL(raw string) (Transport, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Transport{}, errors.New("must be smtp://[user:password@]host[:port] or smtps://…")
	}
	t := Transport{Host: u.Hostname(), Username: u.User.Username()}
	t.Password, _ = u.User.Password()
	switch u.Scheme {
	case "smtp":
		t.TLS, t.Port = "starttls", 587
		switch v := u.Query().Get("tls"); v {
		case "", "starttls":
		case "none":
			t.TLS = "none"
		default:
			return Transport{}, fmt.Errorf("tls=%q: must be starttls or none", v)
		}
	case "smtps":
		t.TLS, t.Port = "tls", 465
	default:
		return Transport{}, errors.New("must be smtp://[user:password@]host[:port] or smtps://…")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Transport{}, errors.New("the port must be from 1 to 65535")
		}
		t.Port = n
	}
	return t, nil
}

// Address is host:port.
func (t Transport) Address() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// Mailer sends messages through one SMTP server.
type Mailer struct {
	t    Transport
	from string
}

// sendTimeout bounds one delivery: connecting, TLS, and the SMTP dialogue.
const sendTimeout = 20 * time.Second

// NewMailer returns a mailer sending from the address from through t.
func NewMailer(t Transport, from string) (*Mailer, error) {
	m := gomail.NewMsg()
	if err := m.From(from); err != nil {
		return nil, fmt.Errorf("mail: the sender %q: %w", from, err)
	}
	return &Mailer{t: t, from: from}, nil
}

// client is a go-mail client for one delivery.
func (m *Mailer) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(m.t.Port), gomail.WithTimeout(sendTimeout)}
	switch m.t.TLS {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if m.t.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.t.Username), gomail.WithPassword(m.t.Password))
	}
	return gomail.NewClient(m.t.Host, opts...)
}

// Send delivers one rendered message to one address.
func (m *Mailer) Send(ctx context.Context, to string, r Rendered) error {
	msg := gomail.NewMsg()
	if err := msg.From(m.from); err != nil {
		return err
	}
	if err := msg.To(to); err != nil {
		return permanent{err}
	}
	msg.Subject(r.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, r.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
	c, err := m.client()
	if err != nil {
		return err
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.Reason == gomail.ErrSMTPRcptTo {
			return permanent{err} // the server refused the address itself
		}
		return err
	}
	return nil
}

// permanent is a failure that no retry would mend.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Links are where a mail's link leads: the service's hosted pages under
// Public/account/, or, with App set, an application's own pages.
type Links struct {
	Public, App string
}

// The pages a link opens.
const (
	PageVerifyEmail        = "verify-email"
	PageResetPassword      = "reset-password"
	PageConfirmEmailChange = "confirm-email-change"
)

// For is the link to page with token, in the URL's fragment: a fragment never
// reaches a server log or a Referer, and the page sends it only when the user
// submits.
func (l Links) For(page, token string) string {
	if l.App != "" {
		return l.App + "/" + page + "#token=" + token
	}
	return l.Public + "/account/" + page + "#token=" + token
}
