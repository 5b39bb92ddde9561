// Command onenet-token computes and verifies OneNET login tokens.
//
//	onenet-token -product 469948 -device Chic_D -key-file device.key -ttl 720h
//	onenet-token -res products/469948/devices/Chic_D -key KEY -et 1700000000 -method sha256
//	onenet-token verify -key KEY [-res RES] TOKEN
//	onenet-token code -lang python -product 469948 -device Chic_D -key-file device.key
//	onenet-token -version
//
// The token alone goes to standard output; warnings and errors go to standard
// error. The key may come from -key, -key-file or the environment variable
// ONENET_ACCESS_KEY, so that it stays out of the shell's history.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/onenet-wasm/onenet-wasm/internal/version"
	"github.com/onenet-wasm/onenet-wasm/token"
)

const keyEnv = "ONENET_ACCESS_KEY"

// errUsage means the usage was printed; exit 2.
var errUsage = errors.New("usage")

func main() {
	code := run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv, time.Now())
	os.Exit(code)
}

// run is the whole program; it returns the exit code.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string, now time.Time) int {
	var err error
	switch {
	case len(args) == 1 && (args[0] == "-version" || args[0] == "--version" || args[0] == "version"):
		// -version alone is this program's version; with a value (and other
		// flags) it is the token's version, as before.
		fmt.Fprintln(stdout, "onenet-token v"+version.Version)
		return 0
	case len(args) > 0 && args[0] == "verify":
		err = verify(args[1:], stdout, stderr, getenv, now)
	case len(args) > 0 && args[0] == "code":
		err = code(args[1:], stdout, stderr, getenv, now)
	default:
		err = generate(args, stdout, stderr, getenv, now)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintln(stderr, "onenet-token:", err)
		return 1
	}
}

const generateUsage = `usage: onenet-token [flags]
       onenet-token verify -key KEY [-res RES] TOKEN
       onenet-token code -lang LANG -product ID -device NAME [flags]
       onenet-token -version

Prints a OneNET token (the MQTT password of a device) and nothing else.

The resource, one of:
  -product ID [-device NAME]   products/ID or products/ID/devices/NAME
  -res RES                     products/{pid}[/devices/{name}], userid/{uid}, mqs/{name}

The key (base64, as the OneNET console shows it), one of:
  -key KEY, -key-file FILE, or the environment variable ONENET_ACCESS_KEY

The expiry, one of:
  -et UNIX                     Unix seconds
  -ttl DURATION                from now, e.g. 720h (default 720h)

Flags:
`

func generate(args []string, stdout, stderr io.Writer, getenv func(string) string, now time.Time) error {
	fs := flag.NewFlagSet("onenet-token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, generateUsage); fs.PrintDefaults() }
	var (
		res       = fs.String("res", "", "resource, raw (not URL-encoded)")
		product   = fs.String("product", "", "product id")
		device    = fs.String("device", "", "device name")
		key       = fs.String("key", "", "access key, base64")
		keyFile   = fs.String("key-file", "", "file holding the access key")
		et        = fs.Int64("et", 0, "expiry, Unix seconds")
		ttl       = fs.Duration("ttl", 0, "expiry relative to now (default 720h when -et is not given)")
		method    = fs.String("method", token.DefaultMethod, "md5, sha1 or sha256")
		version   = fs.String("version", token.Version2018, "2018-10-31, or 2022-05-01 for HTTP API user keys")
		allowPast = fs.Bool("allow-expired", false, "generate even when -et is in the past (to reproduce a published token)")
	)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "onenet-token: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["res"] == (set["product"] || set["device"]) {
		fmt.Fprintln(stderr, "onenet-token: give either -res or -product [-device]")
		fs.Usage()
		return errUsage
	}
	if set["et"] && set["ttl"] {
		fmt.Fprintln(stderr, "onenet-token: give either -et or -ttl, not both")
		fs.Usage()
		return errUsage
	}
	r := *res
	if !set["res"] {
		var err error
		if r, err = token.Resource(*product, *device); err != nil {
			return err
		}
	}
	k, err := readKey(*key, *keyFile, set, getenv)
	if err != nil {
		return err
	}
	exp := *et
	if !set["et"] {
		d := *ttl
		if !set["ttl"] {
			d = 720 * time.Hour
		}
		if d <= 0 {
			return fmt.Errorf("-ttl %v: must be positive", d)
		}
		exp = now.Add(d).Unix()
	}
	p := token.Params{Res: r, Key: k, ET: exp, Method: *method, Version: *version}
	if !*allowPast {
		p.Now = now
	}
	tok, err := token.Generate(p)
	if err != nil {
		if errors.Is(err, token.ErrExpired) {
			return fmt.Errorf("%w (add -allow-expired to generate it anyway)", err)
		}
		return err
	}
	for _, w := range token.Warnings(p) {
		fmt.Fprintln(stderr, "onenet-token: warning:", w)
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

func readKey(key, file string, set map[string]bool, getenv func(string) string) (string, error) {
	switch {
	case set["key"] && set["key-file"]:
		return "", errors.New("give either -key or -key-file, not both")
	case set["key"]:
		return key, nil
	case set["key-file"]:
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("-key-file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if k := getenv(keyEnv); k != "" {
		return k, nil
	}
	return "", errors.New("no key: give -key, -key-file or set " + keyEnv)
}

const verifyUsage = `usage: onenet-token verify [-key KEY | -key-file FILE] [-res RES] TOKEN

Decodes TOKEN and checks it against the key at the current time. Exits 0 when
the token is valid; otherwise prints OneNET's reason on standard error and
exits 1. The key may also come from ONENET_ACCESS_KEY.

Flags:
`

func verify(args []string, stdout, stderr io.Writer, getenv func(string) string, now time.Time) error {
	fs := flag.NewFlagSet("onenet-token verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage); fs.PrintDefaults() }
	var (
		key     = fs.String("key", "", "access key, base64")
		keyFile = fs.String("key-file", "", "file holding the access key")
		res     = fs.String("res", "", "the resource the token must name")
	)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "onenet-token verify: give exactly one TOKEN (quote it: it contains &)")
		fs.Usage()
		return errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	k, err := readKey(*key, *keyFile, set, getenv)
	if err != nil {
		return err
	}
	t, err := token.Verify(fs.Arg(0), k, token.VerifyOptions{Now: now, Res: *res})
	if t != nil {
		fmt.Fprintf(stdout, "version: %s\nres:     %s\net:      %d (%s)\nmethod:  %s\nsign:    %s\n",
			t.Version, t.Res, t.ET, t.Expires().Format("2006-01-02 15:04:05 UTC"), t.Method, t.Sign)
	}
	if err != nil {
		if c := token.CodeOf(err); c != 0 {
			return fmt.Errorf("invalid: %w [OneNET reason %d]", err, c)
		}
		return err
	}
	fmt.Fprintln(stdout, "valid")
	return nil
}
