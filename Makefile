# onenet-wasm. The targets people expect; the work is in Go and scripts/.
GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
WASM_EXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Packages whose tests also run under js/wasm (Node): the pure ones, and the JS glue.
PURE_PKGS := ./token/ ./onenet/ ./wasm/jsbridge/ ./wasm/checks/
ADDR      ?= 127.0.0.1:8080
FUZZTIME  ?= 3s
# The project's Go files (node_modules holds a package's Go sources; go.mod ignores it).
GOFILES    = $$(find . -name '*.go' -not -path './node_modules/*' -not -path './.git/*')

.PHONY: all run build dist single release wasm vendor test test-native test-wasm fuzz-short fuzz lint bench clean deps

all: build

## run: build everything and start the local server (page, broker, relay).
run: build
	./bin/onenet-web -addr $(ADDR)

## build: the wasm, the page assets, and the commands in bin/.
build: wasm vendor
	$(GO) build -trimpath -o bin/onenet-web ./cmd/onenet-web
	$(GO) build -trimpath -o bin/onenet-token ./cmd/onenet-token
	$(GO) build -trimpath -o bin/onenet-sim ./cmd/onenet-sim

## dist: the page as plain static files in dist/ for any static host (no
## server-side program; relative paths, so a sub-path works; offline once loaded).
dist: wasm vendor
	$(GO) run ./scripts/dist -from web -out dist

## single: the page as one HTML file, dist/onenet-tool.html, that works when
## opened from disk (file://): no server, no network but the broker's WebSocket.
single: dist
	$(GO) run ./scripts/single -from web -out dist/onenet-tool.html

## release: VERSION=v1.2.0: into release/, the single file, the dist folder as
## a zip, onenet-web (with the page) and onenet-token for five platforms,
## SHA256SUMS; the same commit gives the same bytes (internal/release).
release: build
	@test -n "$(VERSION)" || { echo "give the version: make release VERSION=v1.2.0"; exit 1; }
	$(GO) run ./scripts/release -version $(VERSION) -out release

## wasm: web/core.wasm (tokens) and web/mqtt.wasm (MQTT client, checks) (+ .br, .gz), web/wasm_exec.js from this toolchain.
wasm:
	$(GO) run ./scripts/buildwasm -goroot $(GOROOT) -out web -pkg ./wasm/core -name core.wasm
	$(GO) run ./scripts/buildwasm -goroot $(GOROOT) -out web -pkg ./wasm/mqtt -name mqtt.wasm -tags mqttws_dialonly

## vendor: the page's front-end packages, pinned in package-lock.json, into
## web/vendor: uPlot as published, the payload editor's CodeMirror bundled
## by esbuild (scripts/vendor).
vendor: node_modules/.package-lock.json
	mkdir -p web/vendor
	cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css web/vendor/
	$(GO) run ./scripts/vendor -out web/vendor

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

## test: everything: native tests with -race, pure packages under js/wasm, short fuzzing.
test: deps build dist test-native test-wasm fuzz-short

test-native:
	$(GO) test -race -count=1 -timeout 30m ./...

test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" $(PURE_PKGS)
	# mqttws built for js/wasm, in Node, against a native broker.
	MQTTWS_WASM_TEST=1 $(GO) test -count=1 -run TestWasm ./mqttws/

## fuzz-short / fuzz: every fuzz target for FUZZTIME (fuzz: 1m each).
fuzz-short:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

fuzz:
	FUZZTIME=1m ./scripts/fuzz.sh

## deps: what the tests need that Go cannot fetch (Chromium, Mosquitto), via apt.
deps:
	./scripts/deps.sh

## lint: formatting, go.mod tidy, vet (native and js/wasm), staticcheck; the
## page's JavaScript: ESLint (eslint.config.mjs) and TypeScript, which checks
## web/onenet.js against its declarations, web/onenet.d.ts (tsconfig.json).
lint: node_modules/.package-lock.json
	$(GO) mod tidy -diff
	./node_modules/.bin/eslint .
	./node_modules/.bin/tsc -p .
	@test -z "$$(gofmt -l $(GOFILES))" || { gofmt -l $(GOFILES); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./token/... ./onenet/... ./mqttws/... ./wasm/...
	GOOS=js GOARCH=wasm $(GO) vet -tags mqttws_dialonly ./mqttws/... ./wasm/...
	GOBIN=$(CURDIR)/bin $(GO) install $(STATICCHECK)
	./bin/staticcheck ./...
	GOOS=js GOARCH=wasm ./bin/staticcheck ./token/... ./onenet/... ./mqttws/... ./wasm/...

bench: deps build
	./scripts/bench.sh

## load: 5,000 devices on the local broker for 60 s (LOAD_DEVICES, LOAD_DURATION,
## LOAD_INTERVAL change it); make test runs 500 for 5 s. See docs/RELIABILITY.md.
load:
	./scripts/load.sh

clean:
	rm -rf bin dist dist.tmp release web/*.wasm web/*.wasm.br web/*.wasm.gz web/wasm_exec.js web/vendor
