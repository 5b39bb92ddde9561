// Command buildwasm builds the page's WebAssembly and copies the matching
// wasm_exec.js from the Go toolchain that built it (the two must agree). It
// writes brotli and gzip siblings of the wasm so that servers can send them
// precompressed.
//
//	go run ./scripts/buildwasm -out web
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/andybalholm/brotli"

	"github.com/onenet-wasm/onenet-wasm/internal/version"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "buildwasm:", err)
		os.Exit(1)
	}
}

func run() error {
	out := flag.String("out", "web", "output folder")
	goroot := flag.String("goroot", "", "GOROOT of the go command that builds the wasm (default: go env GOROOT)")
	pkg := flag.String("pkg", "./wasm", "the js/wasm main package")
	name := flag.String("name", "onenet.wasm", "output file name")
	tags := flag.String("tags", "", "build tags (e.g. mqttws_dialonly for the MQTT module)")
	ver := flag.String("version", "", "the version the page shows (make release); default: internal/version's")
	flag.Parse()
	if *goroot == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			return fmt.Errorf("go env GOROOT: %w", err)
		}
		*goroot = strings.TrimSpace(string(out))
	}

	wasm := filepath.Join(*out, *name)
	ldflags := "-s -w"
	if *ver != "" {
		ldflags += " " + version.LinkFlag(*ver)
	}
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=" + ldflags, "-o", wasm}
	if *tags != "" {
		args = append(args, "-tags", *tags)
	}
	cmd := exec.Command(filepath.Join(*goroot, "bin", "go"), append(args, *pkg)...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", *pkg, err)
	}
	raw, err := os.ReadFile(wasm)
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return err
	}
	var br bytes.Buffer
	bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
	bw.Write(raw)
	if err := bw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(wasm+".gz", gz.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(wasm+".br", br.Bytes(), 0o644); err != nil {
		return err
	}
	execJS, err := os.ReadFile(filepath.Join(*goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return fmt.Errorf("wasm_exec.js: %w", err)
	}
	if err := os.WriteFile(filepath.Join(*out, "wasm_exec.js"), execJS, 0o644); err != nil {
		return err
	}
	fmt.Printf("buildwasm: %s %d bytes, gzip %d, brotli %d\n", wasm, len(raw), gz.Len(), br.Len())
	return nil
}
