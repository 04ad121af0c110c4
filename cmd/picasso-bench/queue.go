package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/picasso-faas/picasso/store"
)

// roleQueue is the first argument of the execution-queue benchmark.
const roleQueue = "queue"

// queueOptions are the knobs of the queue benchmark.
type queueOptions struct {
	DBURI       string
	Duration    time.Duration
	Concurrency int
	Workers     int
	PicassoBin  string
}

// queueReport is what the queue benchmark measured on one database.
type queueReport struct {
	db                     string
	enqueue                *stats
	queued                 int
	drain                  time.Duration
	syncNoWorker, syncIdle *stats
	opts                   queueOptions
}

// runQueueBench measures the execution queue: how fast async calls are
// accepted (202s per second and their latency, on an API-only replica),
// how fast a replica drains them against a trivial function, compared
// with the same calls made synchronously, and whether a running worker
// costs the sync path anything.
func runQueueBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o queueOptions
	fs := flag.NewFlagSet(roleQueue, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.DBURI, "db-uri", "", "Picasso's database (default: a fresh SQLite file); a MySQL database must exist")
	fs.DurationVar(&o.Duration, "duration", 3*time.Second, "measured time of the enqueue and sync runs")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "closed-loop clients enqueueing")
	fs.IntVar(&o.Workers, "workers", 32, "--worker-concurrency of the draining replica, and the clients of the sync comparison")
	fs.StringVar(&o.PicassoBin, "picasso-bin", "", "prebuilt picasso-api binary (default: go build ./cmd/picasso-api)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if o.Duration <= 0 || o.Concurrency < 1 || o.Workers < 1 {
		return errors.New("--duration, --concurrency and --workers must be positive")
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "picasso-bench queue: "+format+"\n", args...) }
	dir, err := os.MkdirTemp("", "picasso-bench-queue-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.DBURI == "" {
		o.DBURI = "sqlite://" + filepath.Join(dir, "queue.db")
	}
	bin := o.PicassoBin
	if bin == "" {
		logf("building ./cmd/picasso-api")
		if bin, err = buildPicasso(ctx, dir); err != nil {
			return err
		}
	}
	backend, err := startHelper(roleBackend)
	if err != nil {
		return err
	}
	defer backend.stop()
	db, err := store.Open(ctx, o.DBURI, store.Options{AutoMigrate: true})
	if err != nil {
		return err
	}
	defer db.Close()
	before, err := db.CallStats(ctx)
	if err != nil {
		return err
	}
	if before.Queued+before.Running > 0 {
		return fmt.Errorf("the database already holds %d waiting calls", before.Queued+before.Running)
	}

	r := &queueReport{db: databaseName(o.DBURI), opts: o}
	apiOnly, err := startQueuePicasso(bin, o, backend.url, "0")
	if err != nil {
		return err
	}
	api := picassoAPI{base: apiOnly.url}
	app := "queue-" + randomHex(4)
	backendName, err := api.createApp(ctx, benchProject, app)
	if err != nil {
		return err
	}
	if err := api.createRoute(ctx, benchProject, app, "/sync", true); err != nil {
		return err
	}
	async := map[string]any{"route": map[string]any{"path": "/async", "image": benchImage, "is_public": true, "type": "async"}}
	if err := api.do(ctx, "POST", "/v1/"+benchProject+"/apps/"+app+"/routes", async, nil); err != nil {
		return err
	}

	logf("enqueue: %d clients for %s on an API-only replica (%s)", o.Concurrency, o.Duration, r.db)
	r.enqueue = &stats{}
	if err := r.enqueue.run(postTarget("enqueue", apiOnly, apiOnly.url+"/r/"+backendName+"/async", nil), closedLoop(o.Concurrency), o.Duration); err != nil {
		return err
	}
	logf("sync calls, %d clients, no worker", o.Workers)
	syncTarget := func(p *process) *target { return postTarget("sync", p, p.url+"/r/"+backendName+"/sync", nil) }
	r.syncNoWorker = &stats{}
	if err := r.syncNoWorker.run(syncTarget(apiOnly), closedLoop(o.Workers), o.Duration); err != nil {
		return err
	}
	apiOnly.stop()
	queued, err := db.CallStats(ctx)
	if err != nil {
		return err
	}
	r.queued = queued.Queued

	logf("drain: %d queued calls, --worker-concurrency %d", r.queued, o.Workers)
	began := time.Now()
	worker, err := startQueuePicasso(bin, o, backend.url, strconv.Itoa(o.Workers))
	if err != nil {
		return err
	}
	defer worker.stop()
	// Watched with one index probe every 5 ms: counting what is left
	// (CallStats) that often took a large share of the database's CPU
	// from the drain it measured.
	for {
		idle, err := db.QueueIdle(ctx)
		if err != nil {
			return err
		}
		if idle {
			break
		}
		if time.Since(began) > 5*time.Minute {
			return errors.New("the queue did not drain in 5 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.drain = time.Since(began)
	logf("sync calls, %d clients, idle worker", o.Workers)
	r.syncIdle = &stats{}
	if err := r.syncIdle.run(syncTarget(worker), closedLoop(o.Workers), o.Duration); err != nil {
		return err
	}
	fmt.Fprint(stdout, r.markdown())
	return nil
}

// benchProject is the project of the noauth queue benchmark.
const benchProject = "0123456789abcdef0123456789abcdef"

func startQueuePicasso(bin string, o queueOptions, backendURL, workers string) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--db-uri", o.DBURI, "--auto-migrate", "--auth", "noauth",
		"--backend", "ironfunctions", "--functions-url", backendURL + "/v1",
		"--log-level", "WARNING", "--log-format", "json",
		"--worker-concurrency", workers, "--worker-project-concurrency", workers,
		"--call-poll-interval", "20ms", "--default-limits", "function_queued=-1"}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	p, err := startServer("picasso-workers-"+workers, bin, args, nil, url+"/readyz")
	if err != nil {
		return nil, err
	}
	p.url = url
	return p, nil
}

func (r *queueReport) markdown() string {
	drainRate := float64(r.queued) / r.drain.Seconds()
	syncRate := r.syncIdle.throughput()
	return fmt.Sprintf(`### Execution queue on %s

%s; %d enqueueing clients, %d workers, %s runs.

| measure | result | target |
|---|---|---|
| enqueue (202s per second, API-only replica) | %.0f/s, p50 %s, p99 %s, %d failed | ≥ 2,000/s, p99 ≤ 50 ms %s |
| drain, trivial function | %d calls in %s = %.0f/s | |
| same calls made synchronously (%d clients) | %.0f/s | |
| drain / sync | %.0f %% | ≥ 80 %% %s |
| sync path, worker off → worker on (idle) | %.0f/s p50 %s → %.0f/s p50 %s | no cost |
`, r.db, machine(), r.opts.Concurrency, r.opts.Workers, r.opts.Duration,
		r.enqueue.throughput(), ms(r.enqueue.percentile(0.5)), ms(r.enqueue.percentile(0.99)), r.enqueue.failed,
		pass(r.enqueue.throughput() >= 2000 && r.enqueue.percentile(0.99) <= 50*time.Millisecond),
		r.queued, r.drain.Round(time.Millisecond), drainRate,
		r.opts.Workers, syncRate, 100*ratio(drainRate, syncRate), pass(ratio(drainRate, syncRate) >= 0.8),
		r.syncNoWorker.throughput(), ms(r.syncNoWorker.percentile(0.5)), syncRate, ms(r.syncIdle.percentile(0.5)))
}
