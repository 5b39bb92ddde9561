// Command onenet-sim runs a scenario file (docs/SCENARIOS.md): simulated
// OneNET devices that publish on their own, answer the platform and
// rehearse faults, against the local server or OneNET itself.
//
//	onenet-sim docs/examples/greenhouse.json
//	onenet-sim -devices 200 -duration 60s scenario.json
//	onenet-sim -target tls://mqttstls.heclouds.com:8883 scenario.json
//
// A line a second on standard error says how the run goes; the final
// report goes to standard output. Ctrl-C stops the devices cleanly (a
// second one ends the program at once).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/onenet-wasm/onenet-wasm/scenario"
	"github.com/onenet-wasm/onenet-wasm/scenario/simnet"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Once the first signal has stopped the run, the handler is released:
	// a second one then has Go's default effect, the end of the program
	// at once, while the devices wait for their last answers.
	finished := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			select {
			case <-finished: // the run is over: main's own stop
				return
			default:
			}
			stop()
			fmt.Fprintln(os.Stderr, "onenet-sim: stopping: the devices wait up to 5s for their last answers (Ctrl-C again ends at once)")
		case <-finished:
		}
	}()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	close(finished)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "onenet-sim:", err)
		os.Exit(1)
	}
}

const usage = `usage: onenet-sim [flags] SCENARIO.json

Runs the simulated devices of a scenario file (docs/SCENARIOS.md) until its
duration ends or Ctrl-C.

Flags:
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("onenet-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	server := fs.String("server", simnet.DefaultServer, `the local server (onenet-web): target "local" is ws://SERVER/mqtt, "relay:HOST:PORT" its relay`)
	target := fs.String("target", "", "send every device to this target instead: local, relay:HOST:PORT, ws://…, wss://…, tcp://HOST:PORT, tls://HOST:PORT")
	devices := fs.Int("devices", 0, "make each device of the file a template of N devices (a load test; its name's {n} numbers them)")
	duration := fs.Duration("duration", 0, "stop after this long (default: the file's duration, else until Ctrl-C)")
	seed := fs.Uint64("seed", 0, "seed of the random values (default: the file's, else a new one, reported)")
	quiet := fs.Bool("quiet", false, "no line a second")
	events := fs.Bool("events", false, "log every connection and fault, not only errors")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return flag.ErrHelp
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	s, err := scenario.Parse(path, data, os.DirFS(dir))
	if err != nil {
		return err
	}
	if *devices > 0 {
		if err := s.Multiply(*devices); err != nil {
			return err
		}
	}
	if *target != "" {
		if err := s.SetTarget(*target); err != nil {
			return err
		}
	}
	if *duration > 0 {
		s.File.Duration = duration.Seconds()
	}
	opts := scenario.Options{
		Seed:    *seed,
		Connect: simnet.Connect(*server),
		Key:     simnet.Keys(dir, stdin, stderr),
		Token:   simnet.Token,
		OnEvent: logEvents(stderr, *events),
	}
	if opts.Seed == 0 {
		opts.Seed = rand.Uint64() >> 11 // within 2^53, so that the file can hold it
	}
	// Keys are read before the run: a prompt comes now, not amid the output.
	for _, in := range s.Instances() {
		if _, err := opts.Key(ctx, &in); err != nil {
			return fmt.Errorf("%s/%s: key: %w", in.Product, in.Device, err)
		}
	}
	r, err := scenario.NewRunner(s, opts)
	if err != nil {
		return err
	}
	done := make(chan scenario.Report, 1)
	go func() { done <- r.Run(ctx) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case rep := <-done:
			if !*quiet {
				fmt.Fprintln(stderr)
			}
			printReport(stdout, rep)
			return nil
		case <-tick.C:
			if !*quiet {
				fmt.Fprintln(stderr, liveLine(r.Report()))
			}
		}
	}
}

// logEvents prints errors (at most maxErrors lines; the report counts
// them all) and, with all, connections and faults.
func logEvents(w io.Writer, all bool) func(scenario.Event) {
	const maxErrors = 20
	var mu sync.Mutex
	errs := 0
	return func(e scenario.Event) {
		if e.What != "error" && !all {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if e.What == "error" {
			errs++
			if errs == maxErrors+1 {
				fmt.Fprintln(w, "… further errors are only counted")
			}
			if errs > maxErrors {
				return
			}
		}
		fmt.Fprintf(w, "%s %s: %s\n", e.Device, e.What, e.Msg)
	}
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(10 * time.Millisecond).String()
}

// liveLine is the line a second.
func liveLine(r scenario.Report) string {
	return fmt.Sprintf("%5.0fs  online %d/%d  sent %d  accepted %d  rejected %d  waiting %d  requests %d answered %d  p50 %s p99 %s  errors %d",
		r.Elapsed.Seconds(), r.Online, r.Devices, r.Sent, r.Accepted, r.Rejected, r.Unanswered, r.Requests, r.Answered,
		ms(r.Latency.P50), ms(r.Latency.P99), r.Errors)
}

func printReport(w io.Writer, r scenario.Report) {
	name := r.Name
	if name == "" {
		name = "(unnamed)"
	}
	fmt.Fprintf(w, "scenario %s, seed %d: %d devices for %s\n", name, r.Seed, r.Devices, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "uploads   sent %d  accepted %d  rejected %d  unanswered %d\n", r.Sent, r.Accepted, r.Rejected, r.Unanswered)
	fmt.Fprintf(w, "latency   p50 %s  p90 %s  p99 %s  max %s  (%d answers)\n", ms(r.Latency.P50), ms(r.Latency.P90), ms(r.Latency.P99), ms(r.Latency.Max), r.Latency.N)
	fmt.Fprintf(w, "requests  %d from the platform, %d answered\n", r.Requests, r.Answered)
	fmt.Fprintf(w, "faults    %d rehearsed, %d reconnections, %d of %d invalid uploads rejected\n", r.Faults, r.Reconnects, r.InvalidRejected, r.InvalidSent)
	if r.Paced > 0 {
		fmt.Fprintf(w, "paced     %d messages held back to stay within OneNET's rates\n", r.Paced)
	}
	fmt.Fprintf(w, "errors    %d", r.Errors)
	if r.LastError != "" {
		fmt.Fprintf(w, " (last: %s)", r.LastError)
	}
	fmt.Fprintln(w)
}
