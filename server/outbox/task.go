package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// Task is periodic maintenance, run once per interval across all replicas
// (River's leader enqueues it; any replica may work it) once Schedule has
// been called.
type Task struct {
	// Name names the task in the logs; one word, unique.
	Name string
	// Run does the work and says how many rows it handled.
	Run func(context.Context) (int64, error)
}

// taskArgs is the job of one run of a task.
type taskArgs struct {
	Task string `json:"task"`
}

func (taskArgs) Kind() string { return "periodic_task" }

// taskWorker runs the task a job names.
type taskWorker struct {
	river.WorkerDefaults[taskArgs]
	tasks map[string]Task
	log   *slog.Logger
}

func (w *taskWorker) Work(ctx context.Context, job *river.Job[taskArgs]) error {
	t, ok := w.tasks[job.Args.Task]
	if !ok {
		// A task this version no longer has: nothing to retry.
		return river.JobCancel(fmt.Errorf("unknown task %q", job.Args.Task))
	}
	n, err := t.Run(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	if n > 0 {
		w.log.Info("periodic task done", slog.String("task", t.Name), slog.Int64("rows", n))
	}
	return nil
}

// registerTasks adds the worker of tasks to ws.
func registerTasks(ws *river.Workers, tasks []Task, log *slog.Logger) (*taskWorker, error) {
	w := &taskWorker{tasks: map[string]Task{}, log: log}
	for _, t := range tasks {
		if _, dup := w.tasks[t.Name]; dup || t.Name == "" || t.Run == nil {
			return nil, fmt.Errorf("outbox: task %q needs a unique name and a Run", t.Name)
		}
		w.tasks[t.Name] = t
	}
	river.AddWorker(ws, w)
	return w, nil
}

// Schedule runs every task now, then every interval. Call it once, before or
// after Start.
func (q *Queue) Schedule(every time.Duration) {
	for name := range q.tasks.tasks {
		args := taskArgs{Task: name}
		q.client.PeriodicJobs().Add(river.NewPeriodicJob(river.PeriodicInterval(every),
			func() (river.JobArgs, *river.InsertOpts) { return args, &river.InsertOpts{MaxAttempts: 3} },
			&river.PeriodicJobOpts{ID: name, RunOnStart: true}))
	}
}
