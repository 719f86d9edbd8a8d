package mail

import (
	"context"
	"errors"
	"log/slog"

	"github.com/riverqueue/river"
	gomail "github.com/wneessen/go-mail"
)

// Message is the job of one mail: which kind, to whom, and what it shows.
// It sits in the outbox from the change's commit until it is sent (and a
// minute after, see server/outbox), link token included.
type Message struct {
	Template string `json:"template"`
	To       string `json:"to"`
	Data     Data   `json:"data"`
	// UserID is the account concerned, for the log; never the address.
	UserID string `json:"user_id,omitempty"`
}

// Kind is River's name of the job.
func (Message) Kind() string { return "mail" }

// InsertOpts retry a mail for about a day: River's backoff grows with the
// attempt, so 12 attempts span some hours, enough for an SMTP outage.
func (Message) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 12} }

// Worker sends the mails of the queue.
type Worker struct {
	river.WorkerDefaults[Message]
	Mailer    *Mailer
	Templates *Templates
	Log       *slog.Logger
	// Sent, when set, is told of each mail sent or given up on (the metrics).
	Sent func(template string, ok bool)
}

// Work renders and sends one mail. A refused address is not retried; any
// other failure is, with backoff.
func (w *Worker) Work(ctx context.Context, job *river.Job[Message]) error {
	m := job.Args
	r, err := w.Templates.Render(m.Template, m.Data)
	if err != nil {
		w.Log.Error("mail cannot be rendered", slog.String("template", m.Template), slog.Any("error", err))
		w.sent(m.Template, false)
		return river.JobCancel(err)
	}
	err = w.Mailer.Send(ctx, m.To, r)
	var p permanent
	switch {
	case err == nil:
		w.Log.Info("mail sent", slog.String("template", m.Template), slog.String("user_id", m.UserID), slog.Int64("job_id", job.ID))
		w.sent(m.Template, true)
		return nil
	case errors.As(err, &p):
		w.Log.Warn("mail refused by the server; not retried", slog.String("template", m.Template),
			slog.String("user_id", m.UserID), slog.Int64("job_id", job.ID), failure(err))
		w.sent(m.Template, false)
		return river.JobCancel(err)
	}
	w.Log.Warn("sending mail failed; retrying", slog.String("template", m.Template), slog.String("user_id", m.UserID),
		slog.Int64("job_id", job.ID), slog.Int("attempt", job.Attempt), failure(err))
	if job.Attempt >= job.MaxAttempts {
		w.sent(m.Template, false)
	}
	return err
}

func (w *Worker) sent(template string, ok bool) {
	if w.Sent != nil {
		w.Sent(template, ok)
	}
}

// failure describes a failed delivery for the log: for an SMTP refusal its
// step and codes only, since the server's text may quote the address.
func failure(err error) slog.Attr {
	var se *gomail.SendError
	if errors.As(err, &se) {
		return slog.Group("error", slog.String("step", se.Reason.String()), slog.Int("smtp_code", se.ErrorCode()),
			slog.String("enhanced_code", se.EnhancedStatusCode()), slog.Bool("temporary", se.IsTemp()))
	}
	return slog.String("error", err.Error())
}

// Register adds w to the workers of the job queue.
func (w *Worker) Register(ws *river.Workers) { river.AddWorker(ws, w) }
