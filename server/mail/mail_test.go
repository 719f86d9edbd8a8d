package mail_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meridianhq/accounts/server/mail"
	"github.com/meridianhq/accounts/server/mailtest"
)

// tlsMailpit is a Mailpit that requires STARTTLS, with a certificate this
// process trusts through SSL_CERT_FILE (which crypto/x509 honours on Linux),
// so the mailer needs no test-only TLS code.
var tlsMailpit *mailtest.Server

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mailtls-")
	if err != nil {
		panic(err)
	}
	cert, key := selfSigned(dir)
	os.Setenv("SSL_CERT_FILE", cert)
	tlsMailpit, err = mailtest.Start([]string{"--smtp-tls-cert", cert, "--smtp-tls-key", key, "--smtp-require-starttls", "--smtp-auth-accept-any"})
	if err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(dir string) (certFile, keyFile string) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		panic(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		panic(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		panic(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		panic(err)
	}
	return certFile, keyFile
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want mail.Transport
		bad  bool
	}{
		{url: "smtp://mail.example.com", want: mail.Transport{Host: "mail.example.com", Port: 587, TLS: "starttls"}},
		{url: "smtp://u:p%40ss@mail.example.com:2525", want: mail.Transport{Host: "mail.example.com", Port: 2525, Username: "u", Password: "p@ss", TLS: "starttls"}},
		{url: "smtps://u:p@mail.example.com", want: mail.Transport{Host: "mail.example.com", Port: 465, Username: "u", Password: "p", TLS: "tls"}},
		{url: "smtp://127.0.0.1:1025?tls=none", want: mail.Transport{Host: "127.0.0.1", Port: 1025, TLS: "none"}},
		{url: "smtp://127.0.0.1:1025?tls=starttls", want: mail.Transport{Host: "127.0.0.1", Port: 1025, TLS: "starttls"}},
		{url: "smtp://127.0.0.1?tls=maybe", bad: true},
		{url: "http://mail.example.com", bad: true},
		{url: "smtp://", bad: true},
		{url: "smtp://mail.example.com:99999", bad: true},
		{url: "mail.example.com:25", bad: true},
	}
	for _, tc := range tests {
		got, err := mail.ParseURL(tc.url)
		if tc.bad != (err != nil) || !tc.bad && got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v (error: %v)", tc.url, got, err, tc.want, tc.bad)
		}
		if err != nil && strings.Contains(err.Error(), "p@ss") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

// TestTransports delivers through each kind of transport to a real SMTP
// server, and refuses to send in plain text when STARTTLS is required.
func TestTransports(t *testing.T) {
	t.Parallel()
	plain := mailtest.Shared(t)
	tests := []struct {
		name, url string
		server    *mailtest.Server
		delivered bool
	}{
		{"PlainAllowed", plain.URL(), plain, true},
		{"STARTTLSWithAuth", "smtp://user:secret@" + tlsMailpit.SMTP, tlsMailpit, true},
		{"STARTTLSRequiredButNotOffered", "smtp://" + plain.SMTP, plain, false},
	}
	tpl, err := mail.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr, err := mail.ParseURL(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			m, err := mail.NewMailer(tr, "Accounts <accounts@example.com>")
			if err != nil {
				t.Fatal(err)
			}
			to := strings.ToLower(tc.name) + "@transport.example.com"
			r, err := tpl.Render(mail.KindVerifyEmail, mail.Data{Name: "Ada", Link: "https://example.com/account/verify-email#token=abc", Code: "123456", Expires: "24 hours"})
			if err != nil {
				t.Fatal(err)
			}
			err = m.Send(context.Background(), to, r)
			if tc.delivered != (err == nil) {
				t.Fatalf("Send: %v; want delivered %v", err, tc.delivered)
			}
			if !tc.delivered {
				time.Sleep(200 * time.Millisecond)
				if ms, _ := tc.server.Messages(context.Background(), to); len(ms) != 0 {
					t.Fatal("a mail went out in plain text although STARTTLS was required")
				}
				return
			}
			got := tc.server.WaitFor(t, to, 1)[0]
			if got.Subject != "Confirm your email address" || !strings.Contains(got.Text, "123456") || !strings.Contains(got.HTML, "123456") ||
				!strings.Contains(got.Text, "#token=abc") || !strings.Contains(got.HTML, "#token=abc") {
				t.Fatalf("mail as received: %+v", got)
			}
		})
	}
}

// TestTemplates: every kind renders, the link and the code in both parts
// where the kind has them, the HTML escaped; a directory's file replaces the
// embedded one, and a broken one stops the load.
func TestTemplates(t *testing.T) {
	t.Parallel()
	tpl, err := mail.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	d := mail.Data{Name: "<b>Ada</b>", Link: "https://example.com/x#token=T0K3N", Code: "654321", Expires: "30 minutes", NewEmail: "new@example.com"}
	withCode := map[string]bool{mail.KindVerifyEmail: true, mail.KindResetPassword: true, mail.KindConfirmEmailChange: true}
	for _, kind := range mail.Kinds {
		r, err := tpl.Render(kind, d)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if r.Subject == "" || strings.Contains(r.HTML, "<b>Ada</b>") || strings.Contains(r.HTML, "<img") {
			t.Errorf("%s: subject %q, HTML unescaped or with an image:\n%s", kind, r.Subject, r.HTML)
		}
		for _, part := range []string{r.Text, r.HTML} {
			if withCode[kind] != (strings.Contains(part, "654321") && strings.Contains(part, "#token=T0K3N")) {
				t.Errorf("%s: link and code present %v, want %v:\n%s", kind, !withCode[kind], withCode[kind], part)
			}
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "verify_email.txt"), []byte(`{{define "subject"}}Bitte bestätigen{{end}}{{define "text"}}Code {{.Code}}{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	over, err := mail.LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := over.Render(mail.KindVerifyEmail, d); r.Subject != "Bitte bestätigen" || r.Text != "Code 654321" {
		t.Fatalf("override not used: %+v", r)
	}
	if err := os.WriteFile(filepath.Join(dir, "reset_password.html"), []byte(`{{.Nope}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mail.LoadTemplates(dir); err == nil {
		t.Fatal("a template using an unknown field was loaded")
	}
}

// TestTemplatesSayHowLong: the mails with a code say how long the link and,
// when it is shorter, the code stay valid; a mail queued without the code's
// lifetime (before it was sent along) still reads.
func TestTemplatesSayHowLong(t *testing.T) {
	t.Parallel()
	tpl, err := mail.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		d        mail.Data
		want     string
		wantCode bool
	}{
		{"CodeShorter", mail.Data{Link: "https://example.com/x", Code: "1", Expires: "24 hours", CodeExpires: "15 minutes"}, "valid for 24 hours, the code for 15 minutes", true},
		{"Same", mail.Data{Link: "https://example.com/x", Code: "1", Expires: "10 minutes"}, "valid for 10 minutes", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, kind := range []string{mail.KindVerifyEmail, mail.KindResetPassword, mail.KindConfirmEmailChange} {
				r, err := tpl.Render(kind, tc.d)
				if err != nil {
					t.Fatal(err)
				}
				for _, part := range []string{r.Text, r.HTML} {
					if !strings.Contains(part, tc.want) || strings.Contains(part, "the code for") != tc.wantCode {
						t.Errorf("%s does not say %q (and the code's lifetime: %v):\n%s", kind, tc.want, tc.wantCode, part)
					}
				}
			}
		})
	}
}
