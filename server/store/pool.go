package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolOptions size and bound a pool. Nothing is left to pgxpool's defaults,
// which are sized for the machine rather than for the service.
type PoolOptions struct {
	MaxConns          int32
	MinConns          int32
	MaxConnLifetime   time.Duration
	MaxConnIdleTime   time.Duration
	HealthCheckPeriod time.Duration
	ConnectTimeout    time.Duration
	// StatementTimeout is the server-side limit on any one statement: a
	// cancelled client context costs the connection, a statement timeout does
	// not. It is SET when a connection opens (a pooler refuses it as a startup
	// parameter); behind a transaction pooler set it on the role as well.
	StatementTimeout time.Duration
	// ExecMode is how pgx sends queries: pgx.QueryExecModeCacheStatement (the
	// default, prepared statements) needs a direct connection or a session
	// pooler; behind a transaction pooler without prepared-statement support
	// (PgBouncer before 1.21) use pgx.QueryExecModeExec. 0: the URL's
	// default_query_exec_mode, else pgx's default.
	ExecMode pgx.QueryExecMode
	// Trace gives every query a span (with its SQL, never its arguments).
	Trace bool
}

// ExecModes are the names of the pgx query execution modes.
var ExecModes = map[string]pgx.QueryExecMode{
	"cache_statement": pgx.QueryExecModeCacheStatement,
	"cache_describe":  pgx.QueryExecModeCacheDescribe,
	"describe_exec":   pgx.QueryExecModeDescribeExec,
	"exec":            pgx.QueryExecModeExec,
	"simple_protocol": pgx.QueryExecModeSimpleProtocol,
}

// ErrBadURL is a database URL pgx cannot parse. Its own error is dropped: pgx's
// parse errors can echo the password.
var ErrBadURL = errors.New("store: the database URL cannot be parsed as a connection string")

// PoolConfig parses url and applies o to it, with Configure.
func PoolConfig(url string, o PoolOptions) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, ErrBadURL
	}
	pc.MaxConns = o.MaxConns
	pc.MinConns = o.MinConns
	pc.MaxConnLifetime = o.MaxConnLifetime
	pc.MaxConnLifetimeJitter = o.MaxConnLifetime / 10
	pc.MaxConnIdleTime = o.MaxConnIdleTime
	pc.HealthCheckPeriod = o.HealthCheckPeriod
	pc.ConnConfig.ConnectTimeout = o.ConnectTimeout
	if o.ExecMode != 0 { // 0: what the URL's default_query_exec_mode says, else pgx's default
		pc.ConnConfig.DefaultQueryExecMode = o.ExecMode
	}
	pc.ConnConfig.RuntimeParams["application_name"] = "accounts"
	Configure(pc)
	if o.Trace && pc.ConnConfig.Tracer == nil {
		pc.ConnConfig.Tracer = otelpgx.NewTracer()
	}
	if o.StatementTimeout > 0 {
		set := "SET statement_timeout = " + strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10)
		after := pc.AfterConnect
		pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
			if _, err := conn.Exec(ctx, set, pgx.QueryExecModeSimpleProtocol); err != nil {
				return err
			}
			return after(ctx, conn)
		}
	}
	return pc, nil
}

// ListenConfig is the configuration of the revocation listener's connection
// to url: unpooled, with o's connect timeout, no statement timeout.
func ListenConfig(url string, o PoolOptions) (*pgx.ConnConfig, error) {
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, ErrBadURL
	}
	cc.ConnectTimeout = o.ConnectTimeout
	cc.RuntimeParams["application_name"] = "accounts-listener"
	return cc, nil
}

// Open opens a pool on url and checks, within the connect timeout, that the
// database answers.
func Open(ctx context.Context, url string, o PoolOptions) (*pgxpool.Pool, error) {
	pc, err := PoolConfig(url, o)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("opening the database pool: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	return pool, nil
}

// Configure prepares every connection of a pool for the generated queries:
// google/uuid values, and pointers to them, are encoded and scanned in binary
// (registerUUIDs). Without it pgx goes through uuid.UUID's driver.Valuer: a
// string, a failed encode, a text scan and a second encode, for every uuid
// argument.
func Configure(cfg *pgxpool.Config) {
	after := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		registerUUIDs(conn.TypeMap())
		if after != nil {
			return after(ctx, conn)
		}
		return nil
	}
}
