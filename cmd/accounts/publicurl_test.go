package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/meridianhq/accounts/server/mailtest"
	"github.com/meridianhq/accounts/server/testdb"
)

// TestPublicURLDefault: without ACCOUNTS_PUBLIC_URL the links in mail go to
// http://localhost and the port of ACCOUNTS_ADDR, or, with port 0, to the
// address the listener got; a configured URL is kept.
func TestPublicURLDefault(t *testing.T) {
	t.Parallel()
	const db = "postgres://localhost/x"
	listener := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 43210}
	tests := []struct{ name, addr, public, want string }{
		{"FixedPort", ":8080", "", "http://localhost:8080"},
		{"FixedPortOnLoopback", "127.0.0.1:9000", "", "http://localhost:9000"},
		{"AnyPort", "127.0.0.1:0", "", "http://127.0.0.1:43210"},
		{"AnyPortAnyHost", ":0", "", "http://localhost:43210"},
		{"Configured", "127.0.0.1:0", "https://accounts.example.com", "https://accounts.example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"DATABASE_URL": db, "ACCOUNTS_ADDR": tc.addr, "ACCOUNTS_PUBLIC_URL": tc.public}
			cfg, err := loadConfig("serve", nil, env(vars), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			addr := net.Addr(listener)
			if tc.addr == ":0" {
				addr = &net.TCPAddr{IP: net.IPv6unspecified, Port: listener.Port}
			}
			if got := listenedPublicURL(cfg.Service.Mail.PublicURL, addr); got != tc.want {
				t.Fatalf("public URL %q, want %q (configured after loading: %q)", got, tc.want, cfg.Service.Mail.PublicURL)
			}
		})
	}
}

// TestLocalMailLinksWarned: mail on, outside development mode, without a
// public URL or a link base: serve warns that links point at localhost.
func TestLocalMailLinksWarned(t *testing.T) {
	t.Parallel()
	base := map[string]string{"DATABASE_URL": "postgres://localhost/x", "ACCOUNTS_SMTP_URL": "smtp://relay.example.com:587", "ACCOUNTS_MAIL_FROM": "a@example.com"}
	for _, tc := range []struct {
		name string
		set  map[string]string
		want bool
	}{
		{"NoPublicURL", nil, true},
		{"PublicURL", map[string]string{"ACCOUNTS_PUBLIC_URL": "https://accounts.example.com"}, false},
		{"LinkBase", map[string]string{"ACCOUNTS_LINK_BASE_URL": "https://app.example.com/account"}, false},
		{"DevMode", map[string]string{"ACCOUNTS_DEV_MODE": "true"}, false},
		{"NoMail", map[string]string{"ACCOUNTS_SMTP_URL": "", "ACCOUNTS_MAIL_FROM": ""}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range tc.set {
				vars[k] = v
			}
			cfg, err := loadConfig("serve", nil, env(vars), io.Discard)
			if err != nil || cfg.LocalMailLinks != tc.want {
				t.Fatalf("LocalMailLinks %v (%v); want %v", cfg.LocalMailLinks, err, tc.want)
			}
		})
	}
}

// TestSecretFlagsWarned: a password or key material given as a flag is
// named for serve's warning; a URL without a password or a key file is not.
func TestSecretFlagsWarned(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "postgres://localhost/x"}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"URLPassword", []string{"-database-url", "postgres://app:s3cret@db/x"}, []string{"database-url"}},
		{"QueryPassword", []string{"-listen-database-url", "postgres://db/x?password=s3cret"}, []string{"listen-database-url"}},
		{"SMTPPassword", []string{"-smtp-url", "smtp://u:s3cret@relay:587", "-mail-from", "a@example.com"}, []string{"smtp-url"}},
		{"InlineKeys", []string{"-encryption-keys", `{"keys":[]}`}, []string{"encryption-keys"}},
		{"NoPassword", []string{"-database-url", "postgres://db/x?sslmode=disable"}, nil},
		{"KeyFile", []string{"-signing-keys", "/run/secrets/keys.json"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadConfig("serve", tc.args, env(vars), io.Discard)
			if err != nil || !slices.Equal(cfg.SecretFlags, tc.want) {
				t.Fatalf("SecretFlags %v (%v); want %v", cfg.SecretFlags, err, tc.want)
			}
		})
	}
}

// TestServeMailLinksReachTheListener: `accounts serve -addr 127.0.0.1:0`
// (as tools/with-server.sh starts it) sends links to the port it got, and
// they open the hosted page.
func TestServeMailLinksReachTheListener(t *testing.T) {
	t.Parallel()
	mp := mailtest.Shared(t)
	vars := map[string]string{
		"DATABASE_URL": testdb.Empty(t), "ACCOUNTS_ADDR": "127.0.0.1:0", "ACCOUNTS_DEV_MODE": "true",
		"ACCOUNTS_MIGRATE_ON_START": "true", "ACCOUNTS_SHUTDOWN_DELAY": "0s",
		"ACCOUNTS_SMTP_URL": mp.URL(), "ACCOUNTS_MAIL_FROM": "Accounts <no-reply@example.com>",
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := newLogWatcher()
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(vars), strings.NewReader(""), io.Discard, logs) }()
	t.Cleanup(func() { cancel(); <-done })
	addr := logs.waitFor(t, "listening", "addr")

	const email = "publicurl-serve@example.com"
	res, err := http.Post("http://"+addr+"/api/v1/auth/register", "application/json",
		strings.NewReader(`{"email":"`+email+`","password":"correct horse battery staple","name":"Public URL"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d", res.StatusCode)
	}
	link := mp.WaitFor(t, email, 1)[0].Link()
	if want := "http://" + addr + "/account/verify-email#token="; !strings.HasPrefix(link, want) {
		t.Fatalf("the mail's link is %q, want it to start with %q", link, want)
	}
	res, err = http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", link, res.StatusCode)
	}
}
