// Command release writes the release files into release/ (internal/release):
//
//	go run ./scripts/release -version v1.2.0 [-targets linux/amd64,...] [-out release]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/onenet-wasm/onenet-wasm/internal/release"
)

func main() {
	ver := flag.String("version", "", "the release's version, e.g. v1.2.0")
	out := flag.String("out", "release", "the folder to write (replaced)")
	targets := flag.String("targets", "", "os/arch,... (default: "+fmt.Sprint(release.All)+")")
	flag.Parse()
	opts := release.Options{Root: ".", Out: *out, Version: *ver, Log: os.Stderr}
	if *targets != "" {
		opts.Targets = []release.Target{}
		for _, t := range strings.Split(*targets, ",") {
			osName, arch, ok := strings.Cut(strings.TrimSpace(t), "/")
			if !ok {
				fmt.Fprintf(os.Stderr, "release: -targets: %q is not os/arch\n", t)
				os.Exit(2)
			}
			opts.Targets = append(opts.Targets, release.Target{OS: osName, Arch: arch})
		}
	}
	res, err := release.Build(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
	fmt.Printf("release: %s/, %s, page build %s, %d files (see %s/SHA256SUMS)\n", *out, *ver, res.Build, len(res.Files), *out)
}
