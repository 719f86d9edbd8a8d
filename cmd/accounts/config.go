package main

import (
	"errors"
	"net"

	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/cmd/accounts/wiring"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/store"
)

// config is the whole configuration of the program. It comes only from flags
// and the environment; settings lists names, defaults and meanings. The
// service's own sections are the option types of the packages they configure.
type config struct {
	DatabaseURL    string
	ListenURL      string
	Addr           string
	MetricsAddr    string
	Pprof          bool
	LogLevel       slog.Level
	PrintURLs      bool
	MailUIURL      string
	MigrateOnStart bool
	SigningKeys    string
	EncryptionKeys string
	DevMode        bool

	// Unknown are the ACCOUNTS_* variables that are no setting, to warn about.
	Unknown []string
	// SecretFlags are the flags given a secret (a password, key material):
	// the command line is visible to every process on the machine; serve warns.
	SecretFlags []string
	// LocalMailLinks: mail is on, outside development mode, with neither
	// ACCOUNTS_PUBLIC_URL nor ACCOUNTS_LINK_BASE_URL, so the links in mail
	// point at localhost; serve warns.
	LocalMailLinks bool

	Shutdown   shutdownOptions
	HTTPServer httpServerOptions
	DB         store.PoolOptions
	Service    wiring.Config
}

// shutdownOptions time the graceful shutdown.
type shutdownOptions struct {
	// Delay keeps serving after the signal, with /readyz at 503.
	Delay time.Duration
	// Drain is how long in-flight requests get before their connections close.
	Drain time.Duration
}

// httpServerOptions are the limits of the net/http server.
type httpServerOptions struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
}

// setting is one configuration item: an environment variable, the flag that
// overrides it, its default, and the parser of its value, bound to its field.
// A secret has a mask, which shows a value in an error line without the secret.
type setting struct {
	env   string
	flag  string
	def   string
	usage string
	value value
	mask  func(v string) string
}

// settings lists every configuration item, bound to the fields of c.
// README.md's table is checked against it by a test.
func settings(c *config) []setting {
	svc := &c.Service
	return []setting{
		{"DATABASE_URL", "database-url", "", "PostgreSQL URL (postgres://…); required", bind(&c.DatabaseURL, databaseURL), maskURL},
		{"ACCOUNTS_ADDR", "addr", ":8080", "listen address, host:port", bind(&c.Addr, address), nil},
		{"ACCOUNTS_METRICS_ADDR", "metrics-addr", "", "listen address of /metrics (Prometheus) and, with ACCOUNTS_PPROF, /debug/pprof/: a port of its own, not the API's; empty: off", bind(&c.MetricsAddr, optionalAddr), nil},
		{"ACCOUNTS_PPROF", "pprof", "false", "serve Go's /debug/pprof/ on the metrics listener", bind(&c.Pprof, boolean), nil},
		{"ACCOUNTS_LOG_LEVEL", "log-level", "info", "log level: debug, info, warn or error", bind(&c.LogLevel, logLevel), nil},
		{"ACCOUNTS_MAIL_UI_URL", "mail-ui-url", "", "the web UI of a local mail catcher, printed with the other URLs (make run sets it to its Mailpit)", bind(&c.MailUIURL, baseURLKind), nil},
		{"ACCOUNTS_PRINT_URLS", "print-urls", "false", "once listening, print the base URL to give the SDKs, the docs and the contract, as plain lines on stderr (make run sets it)", bind(&c.PrintURLs, boolean), nil},
		{"ACCOUNTS_BODY_LIMIT", "body-limit", "65536", "largest request body, in bytes; larger bodies get 413", intVar(&svc.HTTP.BodyLimit, 1024, 64<<20), nil},
		{"ACCOUNTS_MIGRATE_ON_START", "migrate", "false", "apply pending migrations before serving; otherwise refuse to serve a schema that is behind", bind(&c.MigrateOnStart, boolean), nil},
		{"ACCOUNTS_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated CIDRs whose X-Forwarded-For is trusted; empty: the client IP is the direct peer", bind(&svc.HTTP.TrustedProxies, prefixes), nil},
		{"ACCOUNTS_CORS_ORIGINS", "cors-origins", "", "comma-separated origins (https://app.example.com) whose browser pages may call the API; empty: none", bind(&svc.HTTP.CORSOrigins, origins), nil},
		{"ACCOUNTS_SHUTDOWN_DELAY", "shutdown-delay", "5s", "after SIGTERM, keep serving this long with /readyz at 503, so that load balancers notice: at least their health-check interval times the failures they wait for (0s in Kubernetes, where preStop waits instead)", durationVar(&c.Shutdown.Delay, 0, 5*time.Minute), nil},
		{"ACCOUNTS_SHUTDOWN_DRAIN", "shutdown-drain", "10s", "then wait this long for in-flight requests before closing them", durationVar(&c.Shutdown.Drain, 0, 10*time.Minute), nil},
		{"ACCOUNTS_HTTP_READ_HEADER_TIMEOUT", "http-read-header-timeout", "5s", "time to read request headers", durationVar(&c.HTTPServer.ReadHeaderTimeout, time.Millisecond, time.Hour), nil},
		{"ACCOUNTS_HTTP_READ_TIMEOUT", "http-read-timeout", "15s", "time to read a whole request, body included", durationVar(&c.HTTPServer.ReadTimeout, time.Millisecond, time.Hour), nil},
		{"ACCOUNTS_HTTP_WRITE_TIMEOUT", "http-write-timeout", "30s", "time to write a response", durationVar(&c.HTTPServer.WriteTimeout, time.Millisecond, time.Hour), nil},
		{"ACCOUNTS_HTTP_IDLE_TIMEOUT", "http-idle-timeout", "120s", "how long an idle keep-alive connection stays open", durationVar(&c.HTTPServer.IdleTimeout, time.Millisecond, time.Hour), nil},
		{"ACCOUNTS_HTTP_MAX_HEADER_BYTES", "http-max-header-bytes", "32768", "largest request header block, in bytes", intVar(&c.HTTPServer.MaxHeaderBytes, 4096, 1<<20), nil},
		{"ACCOUNTS_DB_MAX_CONNS", "db-max-conns", "25", "most open database connections", intVar(&c.DB.MaxConns, 1, 1000), nil},
		{"ACCOUNTS_DB_MIN_CONNS", "db-min-conns", "0", "database connections kept open when idle", intVar(&c.DB.MinConns, 0, 1000), nil},
		{"ACCOUNTS_DB_MAX_CONN_LIFETIME", "db-max-conn-lifetime", "30m", "a database connection is closed after this long", durationVar(&c.DB.MaxConnLifetime, time.Second, 24*time.Hour), nil},
		{"ACCOUNTS_DB_MAX_CONN_IDLE_TIME", "db-max-conn-idle-time", "5m", "an idle database connection is closed after this long", durationVar(&c.DB.MaxConnIdleTime, time.Second, 24*time.Hour), nil},
		{"ACCOUNTS_DB_HEALTH_CHECK_PERIOD", "db-health-check-period", "1m", "how often idle database connections are checked", durationVar(&c.DB.HealthCheckPeriod, time.Second, time.Hour), nil},
		{"ACCOUNTS_DB_CONNECT_TIMEOUT", "db-connect-timeout", "5s", "time to open a database connection", durationVar(&c.DB.ConnectTimeout, 100*time.Millisecond, time.Minute), nil},
		{"ACCOUNTS_DB_STATEMENT_TIMEOUT", "db-statement-timeout", "5s", "server-side limit on any one statement, SET on each new connection (behind a transaction pooler, also set it on the role: ALTER ROLE … SET statement_timeout)", durationVar(&c.DB.StatementTimeout, 100*time.Millisecond, time.Hour), nil},
		{"ACCOUNTS_DB_QUERY_EXEC_MODE", "db-query-exec-mode", "cache_statement", "how queries are sent: cache_statement (prepared statements: direct connections and session poolers), exec or simple_protocol (behind a transaction pooler without prepared statements, such as PgBouncer before 1.21)", bind(&c.DB.ExecMode, execMode), nil},
		{"ACCOUNTS_LISTEN_DATABASE_URL", "listen-database-url", "", "a direct (unpooled) PostgreSQL URL for the revocation listener and the migrator, when DATABASE_URL is a transaction pooler (LISTEN and the migrator's session lock cannot work through one); empty: DATABASE_URL", bind(&c.ListenURL, databaseURL), maskURL},
		{"ACCOUNTS_SIGNING_KEYS", "signing-keys", "", "JWK set or PEM of Ed25519 keys, as a file path or inline: the first private key signs, all verify (see `accounts keys generate`)", bind(&c.SigningKeys, signingKeys), maskKeys},
		{"ACCOUNTS_REQUIRE_MFA_FOR_ADMINS", "require-mfa-for-admins", "false", "true: admins without a second factor get 403 MFA_ENROLLMENT_REQUIRED on admin operations (they can still enrol one)", bind(&svc.RequireMFAForAdmins, boolean), nil},
		{"ACCOUNTS_ENCRYPTION_KEYS", "encryption-keys", "", "JWK set of AES-256 keys, as a file path or inline, that encrypt second-factor secrets at rest: the first encrypts, all decrypt (see `accounts keys generate --kind encryption`); empty: MFA is off (its endpoints answer 503 MFA_UNAVAILABLE), except in development mode (an ephemeral key)", bind(&c.EncryptionKeys, encryptionKeys), maskKeys},
		{"ACCOUNTS_DEV_MODE", "dev", "false", "development mode: without signing keys, sign with an ephemeral key (tokens die with the process)", bind(&c.DevMode, boolean), nil},
		{"ACCOUNTS_ISSUER", "issuer", "accounts", "the iss claim of access tokens", bind(&svc.Tokens.Issuer, nonEmpty), nil},
		{"ACCOUNTS_AUDIENCE", "audience", "accounts", "the aud claim of access tokens", bind(&svc.Tokens.Audience, nonEmpty), nil},
		{"ACCOUNTS_ACCESS_TOKEN_TTL", "access-token-ttl", "15m", "lifetime of an access token", durationVar(&svc.Tokens.TTL, time.Minute, 24*time.Hour), nil},
		{"ACCOUNTS_TOKEN_LEEWAY", "token-leeway", "30s", "clock skew allowed when checking exp, nbf and iat", durationVar(&svc.Tokens.Leeway, 0, 5*time.Minute), nil},
		{"ACCOUNTS_TOKEN_CACHE_SIZE", "token-cache-size", "100000", "verified access tokens kept in memory, up to 1000000 (about 200 B each, allocated as used); 0 disables the cache", intVar(&svc.Tokens.CacheSize, 0, 1_000_000), nil},
		{"ACCOUNTS_SESSION_LIFETIME", "session-lifetime", "720h", "absolute lifetime of a session (and its refresh tokens), from login", durationVar(&svc.Sessions.Lifetime, time.Minute, 8760*time.Hour), nil},
		{"ACCOUNTS_SESSION_IDLE_TIMEOUT", "session-idle-timeout", "168h", "a session not refreshed for this long ends", durationVar(&svc.Sessions.IdleTimeout, time.Minute, 8760*time.Hour), nil},
		{"ACCOUNTS_REFRESH_REUSE_LEEWAY", "refresh-reuse-leeway", "0s", "a refresh token presented once more within this long (a raced refresh) gives a new pair instead of ending the session; a second replay ends it", durationVar(&svc.Sessions.ReuseLeeway, 0, time.Minute), nil},
		{"ACCOUNTS_SESSION_RETENTION", "session-retention", "24h", "ended (revoked or expired) sessions and their refresh tokens are deleted after this long; at least the access-token lifetime plus the leeway plus 1m", durationVar(&svc.Sessions.Retention, time.Hour, 8760*time.Hour), nil},
		{"ACCOUNTS_AUTH_ATTEMPTS_PER_MINUTE", "auth-attempts-per-minute", "60", "login, registration and password-change attempts per client (an IPv4 address or an IPv6 /64) per minute, across every replica (set ACCOUNTS_TRUSTED_PROXIES behind a proxy); 0: no limit", intVar(&svc.AuthAttemptsPerMinute, 0, 100_000), nil},
		{"ACCOUNTS_AUDIT_RETENTION", "audit-retention", "2160h", "audit events are deleted after this long (90 days)", durationVar(&svc.AuditRetention, 24*time.Hour, 87600*time.Hour), nil},
		{"ACCOUNTS_ACCOUNT_FAILURES_BEFORE_BACKOFF", "account-failures-before-backoff", "5", "consecutive failed logins (or wrong current passwords) of one account, from any client, before each further attempt waits 1s, doubling, at most 5m; a success resets; 0: no backoff", intVar(&svc.AccountFailuresBeforeBackoff, 0, 1000), nil},
		{"ACCOUNTS_ARGON2_MEMORY_KIB", "argon2-memory-kib", "19456", "argon2id memory cost of new password hashes, KiB", intVar(&svc.Argon2.MemoryKiB, 1024, 1<<20), nil},
		{"ACCOUNTS_ARGON2_ITERATIONS", "argon2-iterations", "2", "argon2id time cost of new password hashes", intVar(&svc.Argon2.Iterations, 1, 20), nil},
		{"ACCOUNTS_ARGON2_PARALLELISM", "argon2-parallelism", "1", "argon2id lanes of new password hashes", intVar(&svc.Argon2.Parallelism, 1, 16), nil},
		{"ACCOUNTS_HASH_CONCURRENCY", "hash-concurrency", "0", "password hashes computed at once; 0: one per CPU but one (at least one), so that requests without hashing keep a core", intVar(&svc.HashConcurrency, 0, 256), nil},
		{"ACCOUNTS_HASH_QUEUE", "hash-queue", "0", "password hashes that may wait for a slot; more are answered 503 OVERLOADED at once; 0: 8 per slot times the hash share (5 at 60%)", intVar(&svc.HashQueue.Max, 0, 100_000), nil},
		{"ACCOUNTS_SMTP_URL", "smtp-url", "", "SMTP server of the service's mail: smtp://user:password@host:587 (STARTTLS required), smtps://…:465, or smtp://host:port?tls=none for a catcher on the same machine; empty: the email flows are off (their endpoints answer 503 EMAIL_UNAVAILABLE)", bind(&svc.Mail.SMTPURL, smtpURL), maskURL},
		{"ACCOUNTS_MAIL_FROM", "mail-from", "", "the From of the service's mail, such as Accounts <no-reply@example.com>; required with ACCOUNTS_SMTP_URL", bind(&svc.Mail.From, mailFrom), nil},
		{"ACCOUNTS_PUBLIC_URL", "public-url", "", "the service's URL as users reach it, base of the links in mail (https://accounts.example.com); empty: http://localhost and the port of ACCOUNTS_ADDR (with port 0, the address it listens on)", bind(&svc.Mail.PublicURL, baseURLKind), nil},
		{"ACCOUNTS_LINK_BASE_URL", "link-base-url", "", "point the links in mail at an application's own pages: {base}/verify-email#token=…, {base}/reset-password#token=…, {base}/confirm-email-change#token=…; empty: the service's hosted pages under ACCOUNTS_PUBLIC_URL/account/", bind(&svc.Mail.LinkBase, baseURLKind), nil},
		{"ACCOUNTS_MAIL_TEMPLATES_DIR", "mail-templates-dir", "", "a directory whose <kind>.txt and <kind>.html replace the embedded mail templates of the same name; empty: the embedded ones", bind(&svc.Mail.TemplatesDir, directory), nil},
		{"ACCOUNTS_EMAIL_VERIFICATION", "email-verification", "", "off, optional (addresses are verified by mail, logins work without) or required (a correct password of an unverified address answers 403 EMAIL_NOT_VERIFIED); empty: optional with ACCOUNTS_SMTP_URL, off without", bind(&svc.Mail.Verification, verification), nil},
		{"ACCOUNTS_MAIL_PER_ADDRESS_PER_HOUR", "mail-per-address-per-hour", "3", "mails of each kind (verification, reset, email change) one address may be sent per hour; requests past it are answered as usual but send nothing", intVar(&svc.Mail.PerAddressPerHour, 1, 1000), nil},
		{"ACCOUNTS_MAIL_REQUESTS_PER_MINUTE", "mail-requests-per-minute", "10", "requests to the email endpoints per client (an IPv4 address or an IPv6 /64) per minute, across every replica; more are answered 429", intVar(&svc.Mail.RequestsPerMinute, 1, 100_000), nil},
		{"ACCOUNTS_HASH_SHARE_PERCENT", "hash-share-percent", "60", "the share of each hashing slot's time that password hashing may use while other requests are in flight: after a hash the slot rests for the rest, which a burst of logins leaves to the requests without hashing (a lone login is not slowed); 100: no rest", intVar(&svc.HashSharePercent, 10, 100), nil},
		{"ACCOUNTS_HASH_QUEUE_WAIT", "hash-queue-wait", "1s", "longest wait for a hashing slot before 503 OVERLOADED", durationVar(&svc.HashQueue.Wait, 10*time.Millisecond, time.Minute), nil},
	}
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
func loadConfig(name string, args []string, env environment, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // errors are returned; -h prints below
	var c config
	all := settings(&c)
	// Flags are collected first and parsed below, like the environment, so that
	// every bad value is reported the same way, secrets masked.
	flagged := map[string]string{}
	for _, st := range all {
		v, from := st.def, ""
		if ev := env.Getenv(st.env); ev != "" {
			v, from = ev, st.env
		}
		if err := st.value.parse(v); err != nil {
			if from == "" {
				panic(fmt.Sprintf("default of %s: %v", st.env, err)) // a programming mistake
			}
			return c, usageErrorf("%s=%s: %v", st.env, st.shown(v), err)
		}
		collect := func(v string) error { flagged[st.flag] = v; return nil }
		if st.def == "true" || st.def == "false" {
			fs.BoolFunc(st.flag, st.usage+" (env "+st.env+")", collect) // -flag alone means true
		} else {
			fs.Func(st.flag, st.usage+" (env "+st.env+")", collect)
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
	for _, st := range all {
		if v, ok := flagged[st.flag]; ok {
			if err := st.value.parse(v); err != nil {
				return c, usageErrorf("-%s=%s: %v", st.flag, st.shown(v), err)
			}
			if st.mask != nil && holdsSecret(v) {
				c.SecretFlags = append(c.SecretFlags, st.flag)
			}
		}
	}
	c.Unknown = unknownSettings(all, env)
	// No request waits on the database longer than a connection and a
	// statement may take, and a margin.
	c.Service.HTTP.RequestDeadline = c.DB.ConnectTimeout + c.DB.StatementTimeout + time.Second
	c.LocalMailLinks = c.Service.Mail.SMTPURL != "" && !c.DevMode && c.Service.Mail.PublicURL == "" && c.Service.Mail.LinkBase == ""
	// With port 0 the port is known only once listening: serve sets the
	// default then (listenedPublicURL).
	if c.Service.Mail.PublicURL == "" && !anyPort(c.Addr) {
		c.Service.Mail.PublicURL = localURL(c.Addr)
	}
	// Behind a transaction pooler (a listener URL of its own, or no prepared
	// statements), LISTEN cannot work: the job queue polls instead.
	c.Service.Jobs.PollOnly = c.ListenURL != "" || c.DB.ExecMode != pgx.QueryExecModeCacheStatement
	return c, c.check()
}

// shown is how a value of st appears in an error line: quoted, or for a secret
// with the secret masked.
func (st setting) shown(v string) string {
	if st.mask == nil {
		return strconv.Quote(v)
	}
	return st.mask(v)
}

// unknownSettings lists the ACCOUNTS_* variables of env that are no setting: a
// typo such as ACCOUNTS_LOGLEVEL would otherwise be silently ignored.
func unknownSettings(all []setting, env environment) []string {
	known := map[string]bool{}
	for _, st := range all {
		known[st.env] = true
	}
	var out []string
	for _, kv := range env.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ACCOUNTS_") && !known[name] {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// check is the cross-checks of settings that are each valid alone.
func (c config) check() error {
	sess, tok := c.Service.Sessions, c.Service.Tokens
	switch {
	case c.DatabaseURL == "":
		return usageErrorf("DATABASE_URL is required (a postgres:// URL)")
	case sess.IdleTimeout > sess.Lifetime:
		return usageErrorf("ACCOUNTS_SESSION_IDLE_TIMEOUT=%s is longer than ACCOUNTS_SESSION_LIFETIME=%s", sess.IdleTimeout, sess.Lifetime)
	case c.DB.MinConns > c.DB.MaxConns:
		return usageErrorf("ACCOUNTS_DB_MIN_CONNS=%d is more than ACCOUNTS_DB_MAX_CONNS=%d", c.DB.MinConns, c.DB.MaxConns)
	case c.HTTPServer.WriteTimeout <= c.Service.HTTP.RequestDeadline+time.Second:
		return usageErrorf("ACCOUNTS_HTTP_WRITE_TIMEOUT=%s must be longer than the request deadline, %s (ACCOUNTS_DB_CONNECT_TIMEOUT plus ACCOUNTS_DB_STATEMENT_TIMEOUT plus 1s), and a second: a request the database holds that long would get no answer at all",
			c.HTTPServer.WriteTimeout, c.Service.HTTP.RequestDeadline)
	case c.Service.Mail.SMTPURL != "" && c.Service.Mail.From == "":
		return usageErrorf("ACCOUNTS_MAIL_FROM is required with ACCOUNTS_SMTP_URL (an address such as Accounts <no-reply@example.com>)")
	case c.Service.Mail.SMTPURL == "" && c.Service.Mail.Verification == "required":
		return usageErrorf("ACCOUNTS_EMAIL_VERIFICATION=required needs ACCOUNTS_SMTP_URL: addresses are verified by mail")
	case sess.Retention < sessions.MinRetention(tok.TTL+tok.Leeway):
		// A replica that starts later reads revocations back from the database:
		// pruned before the token expires, a revocation is never learnt there.
		return usageErrorf("ACCOUNTS_SESSION_RETENTION=%s is shorter than %s: ACCOUNTS_ACCESS_TOKEN_TTL plus ACCOUNTS_TOKEN_LEEWAY plus 1m, or replicas that start later accept revoked tokens",
			sess.Retention, sessions.MinRetention(tok.TTL+tok.Leeway))
	}
	return nil
}

// anyPort reports whether addr asks for any free port (port 0).
func anyPort(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port == "0"
}

// localURL is the URL of a service listening on addr, reached on this machine:
// http://localhost:8080 for :8080.
func localURL(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost"
	}
	return "http://localhost:" + port
}
