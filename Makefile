# ProfileSync. `make run` starts the local stack; `make test` runs every test.
GO        ?= go
DATA      ?= .profilesync
LAMBDA_ENV = GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS = -trimpath -ldflags='-s -w -buildid=' -tags lambda.norpc
BUILD_DIR ?= build

.PHONY: run test test-deps test-short build bench vet clean template template-check docs chaos

# The CLI is built into $(BUILD_DIR) and run directly (exec), not through
# `go run`, which exits 1 when Ctrl-C reaches it: the stack stops cleanly
# and make says nothing more.
run:
	@echo "compiling profilesync (the first run takes a minute; later ones start at once)..."
	@$(GO) build -o $(BUILD_DIR)/profilesync ./cmd/profilesync
	@exec $(BUILD_DIR)/profilesync dev --data $(DATA)

# Installs slapd, ldap-utils, awscli, openssh-server and gnupg when it can (root, apt-get), then
# runs every test; a missing dependency fails its tests with the command
# that installs it.
test: test-deps vet
	$(GO) test -count=1 -timeout 10m ./...

test-deps:
	@scripts/test-deps

test-short:
	$(GO) test -short ./...

vet:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt: files above need formatting" >&2; exit 1)
	$(GO) vet ./...

# Every Lambda binary for provided.al2023 on arm64, and their sizes.
build:
	@mkdir -p $(BUILD_DIR)/ingress $(BUILD_DIR)/sync $(BUILD_DIR)/verifier $(BUILD_DIR)/jobs $(BUILD_DIR)/cognito
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(BUILD_DIR)/ingress/bootstrap ./functions/ingress
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(BUILD_DIR)/sync/bootstrap ./functions/sync
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(BUILD_DIR)/verifier/bootstrap ./functions/verifier
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(BUILD_DIR)/jobs/bootstrap ./functions/jobs
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(BUILD_DIR)/cognito/bootstrap ./functions/cognito
	@ls -l $(BUILD_DIR)/*/bootstrap | awk '{printf "%-28s %6.1f MB (%d bytes)\n", $$9, $$5/1e6, $$5}'

# The packages' benchmarks; the Lambdas' cold start: package
# initialisation (GODEBUG=inittrace=1, summed) and linux/arm64 size per
# function (BenchmarkColdStart); internal/costbench: AWS requests, handler
# time and GB-seconds per 1,000 changes through the Lambda handlers,
# moto_server and the sandbox (a minute or two; skipped under -short).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/...
	$(GO) test -run '^$$' -bench ColdStart ./internal/lambdatest/
	$(GO) test -run '^$$' -bench . -timeout 30m ./internal/costbench

# The delivery-guarantee harness: CHAOS_EVENTS changes (default 10000)
# through the local runtime, SIGKILLed twice, into a failing target.
CHAOS_EVENTS ?= 10000
chaos:
	CHAOS_EVENTS=$(CHAOS_EVENTS) $(GO) run ./internal/chaos/cmd/chaos

# `sam build` (BuildMethod: makefile, CodeUri: .) calls these with
# ARTIFACTS_DIR set; every sync function runs the same binary, its target
# named by the TARGET environment variable; the claim verifier and the
# scheduled jobs are one each.
build-IngressFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/ingress

build-%SyncFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sync

build-VerifierFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/verifier

build-CognitoTriggerFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/cognito

build-JobsFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/jobs

# Render the per-target blocks of template.yaml from mappings/ (make test
# fails when the committed template is stale).
template:
	$(GO) run ./cmd/profilesync template

template-check:
	$(GO) run ./cmd/profilesync template --check

# Render the connector settings schemas in mappings/mapping.schema.json,
# the claim rule schema mappings/claims.schema.json and
# the settings and secret tables in README.md from the specs (make test
# fails when they are stale).
docs:
	$(GO) run ./cmd/profilesync docs

clean:
	rm -rf $(BUILD_DIR) .aws-sam
