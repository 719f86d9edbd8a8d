package main

import (
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/server/mail"
	"github.com/meridianhq/accounts/server/store"
)

func parseString(dst *string, v string) error {
	*dst = v
	return nil
}

func parseLevel(dst *slog.Level, v string) error {
	if err := dst.UnmarshalText([]byte(v)); err != nil {
		return errors.New("must be debug, info, warn or error")
	}
	return nil
}

func parseDatabaseURL(dst *string, v string) error {
	if v == "" {
		*dst = "" // checked after flags: it is required
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return errors.New("must be a postgres:// or postgresql:// URL")
	}
	*dst = v
	return nil
}

func parseAddr(dst *string, v string) error {
	host, port, err := splitHostPort(v)
	if err != nil {
		return err
	}
	if host != "" {
		if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil && host != "localhost" {
			return errors.New("host must be an IP address, localhost or empty")
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return errors.New("port must be a number from 0 to 65535")
	}
	*dst = v
	return nil
}

func splitHostPort(v string) (string, string, error) {
	i := strings.LastIndexByte(v, ':')
	if i < 0 {
		return "", "", errors.New("must be host:port, for example :8080")
	}
	return v[:i], v[i+1:], nil
}

func parseNonEmpty(dst *string, v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("must not be empty")
	}
	*dst = v
	return nil
}

func parseBool(dst *bool, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("must be true or false")
	}
	*dst = b
	return nil
}

func parseInt[T int | int32 | int64 | uint8 | uint32](dst *T, v string, lo, hi T) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < int64(lo) || n > int64(hi) {
		return fmt.Errorf("must be a whole number from %d to %d", lo, hi)
	}
	*dst = T(n)
	return nil
}

func parseDuration(dst *time.Duration, v string, lo, hi time.Duration) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return errors.New("must be a duration such as 500ms, 10s or 5m")
	}
	if d < lo || d > hi {
		return fmt.Errorf("must be from %s to %s", shortDuration(lo), shortDuration(hi))
	}
	*dst = d
	return nil
}

func parseOrigins(dst *[]string, v string) error {
	var out []string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		u, err := url.Parse(part)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return fmt.Errorf("%q is not an origin such as https://app.example.com", part)
		}
		out = append(out, part)
	}
	*dst = out
	return nil
}

func parsePrefixes(dst *[]netip.Prefix, v string) error {
	var out []netip.Prefix
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or an IP address", part)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	*dst = out
	return nil
}

// maskURL shows a URL without its secrets: the password masked, the query
// (password=, sslpassword=) left out. A value without a scheme and a host (a
// keyword/value connection string, say) is not shown at all, as a password
// could be anywhere in it.
func maskURL(v string) string {
	u, ok := hostURL(v)
	if !ok {
		return "(not a URL; the value is not shown)"
	}
	shown := *u
	shown.RawQuery, shown.Fragment, shown.RawFragment = "", "", ""
	out := shown.Redacted()
	if u.RawQuery != "" {
		out += "?…"
	}
	return strconv.Quote(out)
}

// maskKeys shows a key setting's value only when it names a file: inline key
// material, or anything else that is not a file (a key in some other
// encoding, say), is not shown.
func maskKeys(v string) string {
	if inlineKeys(v) {
		return "(inline key material; not shown)"
	}
	if _, err := os.Stat(v); err != nil {
		return fmt.Sprintf("(not a file; the value, %d bytes, is not shown)", len(v))
	}
	return strconv.Quote(v)
}

// holdsSecret reports whether v, the value of a masked setting, itself holds a
// secret: key material, or a password in a URL or a connection string (a key
// file's path, or a URL without a password, does not).
func holdsSecret(v string) bool {
	if inlineKeys(v) {
		return true
	}
	u, ok := hostURL(v)
	if !ok {
		return strings.Contains(strings.ToLower(v), "password")
	}
	if _, ok := u.User.Password(); ok {
		return true
	}
	q := u.Query()
	return q.Has("password") || q.Has("sslpassword")
}

// hostURL parses v as a URL with a scheme and a host; anything else (a
// keyword/value connection string, say) is not one, and could hold a password
// anywhere.
func hostURL(v string) (*url.URL, bool) {
	u, err := url.Parse(v)
	return u, err == nil && u.Scheme != "" && u.Host != ""
}

// inlineKeys reports whether v is key material (a JWK set or PEM) rather than a
// path to a file of it.
func inlineKeys(v string) bool {
	v = strings.TrimSpace(v)
	return strings.HasPrefix(v, "{") || strings.HasPrefix(v, "-----BEGIN")
}

func parseExecMode(dst *pgx.QueryExecMode, v string) error {
	m, ok := store.ExecModes[v]
	if !ok {
		return errors.New("must be cache_statement, cache_describe, describe_exec, exec or simple_protocol")
	}
	*dst = m
	return nil
}

// parseOptionalAddr is parseAddr, or empty for off.
func parseOptionalAddr(dst *string, v string) error {
	if v == "" {
		*dst = ""
		return nil
	}
	return parseAddr(dst, v)
}

func parseSMTPURL(dst *string, v string) error {
	if v != "" {
		if _, err := mail.ParseURL(v); err != nil {
			return err
		}
	}
	*dst = v
	return nil
}

// parseBaseURL takes an absolute http(s) URL without a query or fragment,
// and drops a trailing slash.
func parseBaseURL(dst *string, v string) error {
	if v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return errors.New("must be an http:// or https:// URL without a query or fragment")
		}
	}
	*dst = strings.TrimSuffix(v, "/")
	return nil
}

func parseVerification(dst *string, v string) error {
	switch v {
	case "", "off", "optional", "required":
		*dst = v
		return nil
	}
	return errors.New("must be off, optional or required")
}

func parseMailFrom(dst *string, v string) error {
	if v != "" {
		if _, err := netmail.ParseAddress(v); err != nil {
			return errors.New("must be an address such as no-reply@example.com or Accounts <no-reply@example.com>")
		}
	}
	*dst = v
	return nil
}
