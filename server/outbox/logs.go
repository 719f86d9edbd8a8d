package outbox

import (
	"context"
	"log/slog"
)

// riverLog is the logger River gets: its warnings only, and its errors as
// warnings too. River reports each failed poll while the database is down,
// which is an outage (logged once by store.Health, answered 503), not an
// error of the service; the failures of jobs themselves are logged by their
// workers, and counted in the metrics.
func riverLog(log *slog.Logger) *slog.Logger {
	return slog.New(demoted{log.Handler().WithAttrs([]slog.Attr{slog.String("component", "jobs")})})
}

// demoted passes records at Warn and above, at Warn.
type demoted struct{ slog.Handler }

func (d demoted) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && d.Handler.Enabled(ctx, slog.LevelWarn)
}

func (d demoted) Handle(ctx context.Context, r slog.Record) error {
	r.Level = slog.LevelWarn
	return d.Handler.Handle(ctx, r)
}

func (d demoted) WithAttrs(attrs []slog.Attr) slog.Handler {
	return demoted{d.Handler.WithAttrs(attrs)}
}
func (d demoted) WithGroup(name string) slog.Handler { return demoted{d.Handler.WithGroup(name)} }
