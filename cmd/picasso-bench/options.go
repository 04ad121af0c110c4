package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// options are the knobs of a run; the defaults keep a whole run, builds
// included, within about four minutes on two cores.
type options struct {
	Duration     time.Duration
	Warmup       time.Duration
	Rounds       int
	Concurrency  int
	OpenRate     int
	OverloadRate int
	ShedLimit    int
	SlowDelay    time.Duration
	BackendCPU   time.Duration
	DBURI        string
	Keystone     string
	LogLevel     string
	PicassoBin   string
	BaselineBin  string
	BaselineRef  string
	UpdateDoc    string
	// keystoneEnv is the environment of a real Keystone
	// (scripts/keystone.sh env), read when Keystone is "auto" or "real".
	keystoneEnv func(string) string
}

// defaultBackendCPU is what one call costs the real IronFunctions 0.2.72 in
// its own CPU (see docs/benchmarks.md): a proxy is measured in front of a
// backend that works like a FaaS server, not one that answers for free.
const defaultBackendCPU = 315 * time.Microsecond

// Where the private-route cases get their Keystone from.
const (
	keystoneAuto = "auto"
	keystoneFake = "fake"
	keystoneReal = "real"
)

func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{keystoneEnv: getenv}
	fs := flag.NewFlagSet("picasso-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.Duration, "duration", 3*time.Second, "measured time of each run")
	fs.DurationVar(&o.Warmup, "warmup", 500*time.Millisecond, "unmeasured load before each run (connections, caches, CPU frequency)")
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds of the interleaved targets")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "closed-loop workers (each with one keep-alive connection)")
	fs.IntVar(&o.OpenRate, "open-rate", 2000, "requests/s of the open-loop case")
	fs.IntVar(&o.OverloadRate, "overload-rate", 5000, "requests/s offered in the overload case")
	fs.IntVar(&o.ShedLimit, "shed-limit", 32, "--max-inflight-calls of the Picasso that is overloaded")
	fs.DurationVar(&o.SlowDelay, "slow-delay", 20*time.Millisecond, "how long the backend's /slow function takes (overload case)")
	fs.DurationVar(&o.BackendCPU, "backend-cpu", defaultBackendCPU, "CPU time the backend burns per function call before it answers (0: the trivial backend)")
	fs.StringVar(&o.DBURI, "db-uri", "", "Picasso's database, e.g. mysql://root@127.0.0.1/picasso_bench (default: a fresh SQLite file per Picasso)")
	fs.StringVar(&o.Keystone, "keystone", keystoneAuto, "auto (real when OS_AUTH_URL is set, else fake), fake or real")
	fs.StringVar(&o.LogLevel, "picasso-log-level", "WARNING", "Picasso's --log-level; INFO adds one access log line per request")
	fs.StringVar(&o.PicassoBin, "picasso-bin", "", "prebuilt picasso-api binary (default: go build ./cmd/picasso-api)")
	fs.StringVar(&o.BaselineBin, "baseline-bin", "", "prebuilt picasso-api of an earlier version, measured as the baseline targets")
	fs.StringVar(&o.BaselineRef, "baseline-ref", "", "git ref (branch, tag, commit) whose picasso-api is built and measured as the baseline targets")
	fs.StringVar(&o.UpdateDoc, "update-doc", "", "also write the results between the bench markers of this Markdown file, e.g. docs/benchmarks.md")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case o.Duration <= 0 || o.Warmup < 0:
		return nil, errors.New("--duration must be positive and --warmup not negative")
	case o.Rounds < 1 || o.Concurrency < 1 || o.ShedLimit < 1:
		return nil, errors.New("--rounds, --concurrency and --shed-limit must be at least 1")
	case o.OpenRate < 1 || o.OverloadRate < 1:
		return nil, errors.New("--open-rate and --overload-rate must be at least 1")
	case o.BackendCPU < 0:
		return nil, errors.New("--backend-cpu must not be negative")
	case o.BaselineBin != "" && o.BaselineRef != "":
		return nil, errors.New("give --baseline-bin or --baseline-ref, not both")
	}
	switch o.Keystone {
	case keystoneAuto:
		o.Keystone = keystoneFake
		if getenv("OS_AUTH_URL") != "" {
			o.Keystone = keystoneReal
		}
	case keystoneFake, keystoneReal:
	default:
		return nil, fmt.Errorf("invalid --keystone %q: must be auto, fake or real", o.Keystone)
	}
	return o, nil
}
