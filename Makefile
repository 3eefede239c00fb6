# streamops: `make run` builds bin/bot and starts it on its embedded defaults
# (console, embedded NATS, provider simulators); `make test` is what CI runs.
GO      ?= go
CONFIG  ?= config.example.yaml

.PHONY: run test compat tidy bench fuzz build image clean

# The first build takes minutes and `go build` is silent while it works:
# say so, and list each package as it is compiled (-v). exec: the bot takes
# the shell's place, so Ctrl-C's clean stop is make's exit status (0).
run:
	@echo "building bin/bot: the first build downloads the Go modules and compiles them, a few minutes; later builds take seconds"
	@GOFLAGS="$$GOFLAGS -v" $(MAKE) --no-print-directory build
	exec bin/bot serve --config $(CONFIG)

# A loaded machine can take cmd/bot's tests past go test's default 10m.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

# Huawei's official Go SDK against the EventGrid simulator and the bot's
# client. compat/huaweisdk is a module of its own, so only this target
# downloads the SDK (about 46 MB), not the bot's build. No separate go vet:
# go test runs vet's main checks, and a second build of the SDK without
# -race would double the time a cold CI spends here.
compat:
	cd compat/huaweisdk && $(GO) test -race -count=1 ./...

# Fails when go.mod or go.sum differ from what the imports need.
tidy:
	$(GO) mod tidy -diff
	cd compat/huaweisdk && $(GO) mod tidy -diff

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Runs each fuzz target for a while; FUZZTIME=5m for longer.
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "$$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# What `bot version` prints. The Dockerfile's build line is this one, with
# the same variables passed as build arguments: keep the two alike.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
export VERSION COMMIT

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w -X main.version=$$VERSION -X main.commit=$$COMMIT" -o bin/bot ./cmd/bot

image:
	docker build --build-arg VERSION --build-arg COMMIT -t streamops .

clean:
	rm -rf bin data
