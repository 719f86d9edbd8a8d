package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/meridianhq/accounts/server/auth"
)

// config is the whole configuration of the service. It comes only from flags and
// the environment; see settings for names, defaults and meanings.
type config struct {
	DatabaseURL    string
	Addr           string
	LogLevel       slog.Level
	BodyLimit      int64
	MigrateOnStart bool
	TrustedProxies []netip.Prefix
	CORSOrigins    []string

	ShutdownDelay time.Duration
	ShutdownDrain time.Duration

	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int

	DBMaxConns          int32
	DBMinConns          int32
	DBMaxConnLifetime   time.Duration
	DBMaxConnIdleTime   time.Duration
	DBHealthCheckPeriod time.Duration
	DBConnectTimeout    time.Duration
	DBStatementTimeout  time.Duration

	SigningKeys     string
	DevMode         bool
	Issuer          string
	Audience        string
	AccessTokenTTL  time.Duration
	TokenLeeway     time.Duration
	TokenCacheSize  int
	SessionLifetime time.Duration
	SessionIdle     time.Duration
	ReuseLeeway     time.Duration
	SessionRetain   time.Duration
	AttemptsPerMin  int
	Argon2          auth.Argon2Params
	HashConcurrency int
}

// setting is one configuration item: an environment variable, the flag that
// overrides it, its default, and how to parse and check a value.
type setting struct {
	env   string
	flag  string
	def   string
	usage string
	set   func(c *config, v string) error
}

// settings lists every configuration item. README.md's table is checked against
// it by a test.
var settings = []setting{
	{"DATABASE_URL", "database-url", "", "PostgreSQL URL (postgres://…); required",
		func(c *config, v string) error { return parseDatabaseURL(&c.DatabaseURL, v) }},
	{"ACCOUNTS_ADDR", "addr", ":8080", "listen address, host:port",
		func(c *config, v string) error { return parseAddr(&c.Addr, v) }},
	{"ACCOUNTS_LOG_LEVEL", "log-level", "info", "log level: debug, info, warn or error",
		func(c *config, v string) error { return parseLevel(&c.LogLevel, v) }},
	{"ACCOUNTS_BODY_LIMIT", "body-limit", "65536", "largest request body, in bytes; larger bodies get 413",
		func(c *config, v string) error { return parseInt(&c.BodyLimit, v, 1024, 64<<20) }},
	{"ACCOUNTS_MIGRATE_ON_START", "migrate", "false", "apply pending migrations before serving; otherwise refuse to serve a schema that is behind",
		func(c *config, v string) error { return parseBool(&c.MigrateOnStart, v) }},
	{"ACCOUNTS_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated CIDRs whose X-Forwarded-For is trusted; empty: the client IP is the direct peer",
		func(c *config, v string) error { return parsePrefixes(&c.TrustedProxies, v) }},
	{"ACCOUNTS_CORS_ORIGINS", "cors-origins", "", "comma-separated origins (https://app.example.com) whose browser pages may call the API; empty: none",
		func(c *config, v string) error { return parseOrigins(&c.CORSOrigins, v) }},
	{"ACCOUNTS_SHUTDOWN_DELAY", "shutdown-delay", "0s", "after SIGTERM, keep serving this long with /readyz at 503, so load balancers notice",
		func(c *config, v string) error { return parseDuration(&c.ShutdownDelay, v, 0, 5*time.Minute) }},
	{"ACCOUNTS_SHUTDOWN_DRAIN", "shutdown-drain", "10s", "then wait this long for in-flight requests before closing them",
		func(c *config, v string) error { return parseDuration(&c.ShutdownDrain, v, 0, 10*time.Minute) }},
	{"ACCOUNTS_HTTP_READ_HEADER_TIMEOUT", "http-read-header-timeout", "5s", "time to read request headers",
		func(c *config, v string) error {
			return parseDuration(&c.ReadHeaderTimeout, v, time.Millisecond, time.Hour)
		}},
	{"ACCOUNTS_HTTP_READ_TIMEOUT", "http-read-timeout", "15s", "time to read a whole request, body included",
		func(c *config, v string) error { return parseDuration(&c.ReadTimeout, v, time.Millisecond, time.Hour) }},
	{"ACCOUNTS_HTTP_WRITE_TIMEOUT", "http-write-timeout", "30s", "time to write a response",
		func(c *config, v string) error { return parseDuration(&c.WriteTimeout, v, time.Millisecond, time.Hour) }},
	{"ACCOUNTS_HTTP_IDLE_TIMEOUT", "http-idle-timeout", "120s", "how long an idle keep-alive connection stays open",
		func(c *config, v string) error { return parseDuration(&c.IdleTimeout, v, time.Millisecond, time.Hour) }},
	{"ACCOUNTS_HTTP_MAX_HEADER_BYTES", "http-max-header-bytes", "32768", "largest request header block, in bytes",
		func(c *config, v string) error { return parseInt(&c.MaxHeaderBytes, v, 4096, 1<<20) }},
	{"ACCOUNTS_DB_MAX_CONNS", "db-max-conns", "25", "most open database connections",
		func(c *config, v string) error { return parseInt(&c.DBMaxConns, v, 1, 1000) }},
	{"ACCOUNTS_DB_MIN_CONNS", "db-min-conns", "0", "database connections kept open when idle",
		func(c *config, v string) error { return parseInt(&c.DBMinConns, v, 0, 1000) }},
	{"ACCOUNTS_DB_MAX_CONN_LIFETIME", "db-max-conn-lifetime", "30m", "a database connection is closed after this long",
		func(c *config, v string) error {
			return parseDuration(&c.DBMaxConnLifetime, v, time.Second, 24*time.Hour)
		}},
	{"ACCOUNTS_DB_MAX_CONN_IDLE_TIME", "db-max-conn-idle-time", "5m", "an idle database connection is closed after this long",
		func(c *config, v string) error {
			return parseDuration(&c.DBMaxConnIdleTime, v, time.Second, 24*time.Hour)
		}},
	{"ACCOUNTS_DB_HEALTH_CHECK_PERIOD", "db-health-check-period", "1m", "how often idle database connections are checked",
		func(c *config, v string) error {
			return parseDuration(&c.DBHealthCheckPeriod, v, time.Second, time.Hour)
		}},
	{"ACCOUNTS_DB_CONNECT_TIMEOUT", "db-connect-timeout", "5s", "time to open a database connection",
		func(c *config, v string) error {
			return parseDuration(&c.DBConnectTimeout, v, 100*time.Millisecond, time.Minute)
		}},
	{"ACCOUNTS_DB_STATEMENT_TIMEOUT", "db-statement-timeout", "5s", "server-side limit on any one statement",
		func(c *config, v string) error {
			return parseDuration(&c.DBStatementTimeout, v, 100*time.Millisecond, time.Hour)
		}},
	{"ACCOUNTS_SIGNING_KEYS", "signing-keys", "", "JWK set or PEM file of Ed25519 keys: the first private key signs, all verify (see `accounts keys generate`)",
		func(c *config, v string) error { c.SigningKeys = v; return nil }},
	{"ACCOUNTS_DEV_MODE", "dev", "false", "development mode: without signing keys, sign with an ephemeral key (tokens die with the process)",
		func(c *config, v string) error { return parseBool(&c.DevMode, v) }},
	{"ACCOUNTS_ISSUER", "issuer", "accounts", "the iss claim of access tokens",
		func(c *config, v string) error { return parseNonEmpty(&c.Issuer, v) }},
	{"ACCOUNTS_AUDIENCE", "audience", "accounts", "the aud claim of access tokens",
		func(c *config, v string) error { return parseNonEmpty(&c.Audience, v) }},
	{"ACCOUNTS_ACCESS_TOKEN_TTL", "access-token-ttl", "15m", "lifetime of an access token",
		func(c *config, v string) error { return parseDuration(&c.AccessTokenTTL, v, time.Minute, 24*time.Hour) }},
	{"ACCOUNTS_TOKEN_LEEWAY", "token-leeway", "30s", "clock skew allowed when checking exp, nbf and iat",
		func(c *config, v string) error { return parseDuration(&c.TokenLeeway, v, 0, 5*time.Minute) }},
	{"ACCOUNTS_TOKEN_CACHE_SIZE", "token-cache-size", "100000", "verified access tokens kept in memory (0 disables the cache)",
		func(c *config, v string) error { return parseInt(&c.TokenCacheSize, v, 0, 10_000_000) }},
	{"ACCOUNTS_SESSION_LIFETIME", "session-lifetime", "720h", "absolute lifetime of a session (and its refresh tokens), from login",
		func(c *config, v string) error {
			return parseDuration(&c.SessionLifetime, v, time.Minute, 8760*time.Hour)
		}},
	{"ACCOUNTS_SESSION_IDLE_TIMEOUT", "session-idle-timeout", "168h", "a session not refreshed for this long ends",
		func(c *config, v string) error { return parseDuration(&c.SessionIdle, v, time.Minute, 8760*time.Hour) }},
	{"ACCOUNTS_REFRESH_REUSE_LEEWAY", "refresh-reuse-leeway", "0s", "a refresh token used again within this long gives a new pair instead of ending the session",
		func(c *config, v string) error { return parseDuration(&c.ReuseLeeway, v, 0, time.Minute) }},
	{"ACCOUNTS_SESSION_RETENTION", "session-retention", "24h", "ended (revoked or expired) sessions and their refresh tokens are deleted after this long",
		func(c *config, v string) error { return parseDuration(&c.SessionRetain, v, time.Hour, 8760*time.Hour) }},
	{"ACCOUNTS_AUTH_ATTEMPTS_PER_MINUTE", "auth-attempts-per-minute", "60", "login and registration attempts per client IP per minute (set ACCOUNTS_TRUSTED_PROXIES behind a proxy); 0: no limit",
		func(c *config, v string) error { return parseInt(&c.AttemptsPerMin, v, 0, 100_000) }},
	{"ACCOUNTS_ARGON2_MEMORY_KIB", "argon2-memory-kib", "19456", "argon2id memory cost of new password hashes, KiB",
		func(c *config, v string) error { return parseInt(&c.Argon2.MemoryKiB, v, 1024, 1<<20) }},
	{"ACCOUNTS_ARGON2_ITERATIONS", "argon2-iterations", "2", "argon2id time cost of new password hashes",
		func(c *config, v string) error { return parseInt(&c.Argon2.Iterations, v, 1, 20) }},
	{"ACCOUNTS_ARGON2_PARALLELISM", "argon2-parallelism", "1", "argon2id lanes of new password hashes",
		func(c *config, v string) error { return parseInt(&c.Argon2.Parallelism, v, 1, 16) }},
	{"ACCOUNTS_HASH_CONCURRENCY", "hash-concurrency", "0", "password hashes computed at once; 0: one per CPU",
		func(c *config, v string) error { return parseInt(&c.HashConcurrency, v, 0, 256) }},
}

// usageError is a bad command line or configuration: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf formats a usageError.
func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// loadConfig reads the environment, then the flags in args, which override it.
// Any bad value is an error naming the variable (or flag) and what is wrong.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // errors are returned; -h prints below
	var c config
	for _, st := range settings {
		v, from := st.def, ""
		if ev := getenv(st.env); ev != "" {
			v, from = ev, st.env
		}
		if err := st.set(&c, v); err != nil {
			if from == "" {
				panic(fmt.Sprintf("default of %s: %v", st.env, err)) // a programming mistake
			}
			return c, usageErrorf("%s=%q: %v", st.env, v, err)
		}
		set := func(v string) error { return st.set(&c, v) }
		if st.def == "true" || st.def == "false" {
			fs.BoolFunc(st.flag, st.usage+" (env "+st.env+")", set) // -flag alone means true
		} else {
			fs.Func(st.flag, st.usage+" (env "+st.env+")", set)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "usage: accounts %s [flags]\n", name)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return c, err
		}
		return c, usageErrorf("%v", err)
	}
	if c.DatabaseURL == "" {
		return c, usageErrorf("DATABASE_URL is required (a postgres:// URL)")
	}
	if c.SessionIdle > c.SessionLifetime {
		return c, usageErrorf("ACCOUNTS_SESSION_IDLE_TIMEOUT=%s is longer than ACCOUNTS_SESSION_LIFETIME=%s", c.SessionIdle, c.SessionLifetime)
	}
	if c.DBMinConns > c.DBMaxConns {
		return c, usageErrorf("ACCOUNTS_DB_MIN_CONNS=%d is more than ACCOUNTS_DB_MAX_CONNS=%d", c.DBMinConns, c.DBMaxConns)
	}
	return c, nil
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
		return fmt.Errorf("must be from %s to %s", lo, hi)
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
