package main

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// value is a setting's parser bound to its field, and what it accepts, as the
// README's configuration table states it (a test compares them).
type value struct {
	parse   func(v string) error
	allowed string
}

// kind is how one type of setting is parsed, and what it accepts.
type kind[T any] struct {
	parse   func(dst *T, v string) error
	allowed string
}

// The kinds of settings that are not numbers.
var (
	signingKeys    = kind[string]{parseString, "JWK set or PEM, inline or a file"}
	encryptionKeys = kind[string]{parseString, "JWK set, inline or a file"}
	nonEmpty       = kind[string]{parseNonEmpty, "non-empty"}
	databaseURL    = kind[string]{parseDatabaseURL, "postgres:// URL"}
	address        = kind[string]{parseAddr, "host:port"}
	optionalAddr   = kind[string]{parseOptionalAddr, "host:port or empty"}
	boolean        = kind[bool]{parseBool, "true, false"}
	logLevel       = kind[slog.Level]{parseLevel, "debug, info, warn, error"}
	execMode       = kind[pgx.QueryExecMode]{parseExecMode, "cache_statement, cache_describe, describe_exec, exec, simple_protocol"}
	origins        = kind[[]string]{parseOrigins, "origins, comma-separated"}
	prefixes       = kind[[]netip.Prefix]{parsePrefixes, "CIDRs, comma-separated"}
	directory      = kind[string]{parseString, "a directory"}
	mailFrom       = kind[string]{parseMailFrom, "an address, with a name or not"}
	smtpURL        = kind[string]{parseSMTPURL, "smtp:// or smtps:// URL"}
	baseURLKind    = kind[string]{parseBaseURL, "http(s):// URL"}
	verification   = kind[string]{parseVerification, "off, optional, required"}
)

// bind applies k to dst: a setting's parser bound to its field.
func bind[T any](dst *T, k kind[T]) value {
	return value{func(v string) error { return k.parse(dst, v) }, k.allowed}
}

// intVar binds a whole number in [lo, hi] to dst.
func intVar[T int | int32 | int64 | uint8 | uint32](dst *T, lo, hi T) value {
	return value{func(v string) error { return parseInt(dst, v, lo, hi) }, fmt.Sprintf("%d to %d", lo, hi)}
}

// durationVar binds a duration in [lo, hi] to dst.
func durationVar(dst *time.Duration, lo, hi time.Duration) value {
	return value{func(v string) error { return parseDuration(dst, v, lo, hi) }, shortDuration(lo) + " to " + shortDuration(hi)}
}

// shortDuration writes d as a person would: 24h rather than 24h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
