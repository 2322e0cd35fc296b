# Inkstand: every set-up step on a fresh machine is one of these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# The site's own address, for links and the hosts it answers to: on a loopback host it
# is http://HOST:PORT; on any other (0.0.0.0, a LAN address) give INKSTAND_SITE_URL,
# the address readers type, or `inkstand serve` refuses to start and says so.
SITE_URL_DEFAULT := $(if $(filter 127.0.0.1 localhost,$(HOST)),http://$(HOST):$(PORT),)

.PHONY: run test lint typecheck contracts pytest realworld bench soak lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# requirements/*.txt pin every package with its hashes (pip then installs nothing else);
# they are generated from pyproject.toml by `make lock`, and tests/test_requirements.py
# fails when pyproject.toml and the pins disagree.
$(VENV)/.installed-app: $(BIN)/python requirements/app.txt pyproject.toml
	$(BIN)/pip install --quiet --require-hashes -r requirements/app.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-app requirements/test.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.txt
	touch $@

## make run: install, migrate, load demo content, serve on http://127.0.0.1:5000
## (make run PORT=8000; make run HOST=0.0.0.0 PORT=8000 INKSTAND_SITE_URL=http://<name>:8000)
run: $(VENV)/.installed-app
	$(BIN)/inkstand db upgrade
	$(BIN)/inkstand demo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	INKSTAND_SITE_URL=$${INKSTAND_SITE_URL:-$(SITE_URL_DEFAULT)} $(BIN)/inkstand serve --bind $(HOST):$(PORT)

## make test: install test tools, lint, type-check, check the architecture, run the suite
test: lint typecheck contracts pytest realworld

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench soak
	$(BIN)/ruff format --check src tests bench soak

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

contracts: $(VENV)/.installed-test
	$(BIN)/lint-imports

## the suite under coverage.py, in parallel: two pytest-xdist workers per core (PYTEST_WORKERS;
## much of the suite waits on servers, browsers and sockets, so one per core leaves the
## cores half idle), each with its own databases and Redis prefixes; fails under
## [tool.coverage.report] fail_under. The slowest tests are listed at the end, to watch.
PYTEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(2 * (os.cpu_count() or 1))")
pytest: $(VENV)/.installed-test
	$(BIN)/pytest --numprocesses $(PYTEST_WORKERS) --cov --cov-report term-missing:skip-covered \
		--durations 15

NEWMAN := tools/realworld/node_modules/.bin/newman

$(NEWMAN): tools/realworld/package.json tools/realworld/package-lock.json
	@command -v npm >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	cd tools/realworld && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## make realworld: the RealWorld API's own Postman collection (newman) against a fresh app
realworld: $(VENV)/.installed-app $(NEWMAN)
	tools/realworld/run.sh $(BIN) tests/api/realworld/conduit/Conduit.postman_collection.json

## make bench: throughput and memory of the home and post pages against a bare Flask floor,
## and of the post page while 100 and 500 live comment streams are open (gthread and gevent);
## and the CPU of rendering pathological 100 KB Markdown bodies against an ordinary one;
## and every target of "fast for everyone" (rendered, apis, cached, flat) with its aim.
## A subset: make bench BENCH="rendered apis"; more options: BENCH_ARGS="--duration 5"
bench: $(VENV)/.installed-app
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y wrk; }
	$(BIN)/python bench/run.py $(if $(BENCH),--cases $(BENCH)) $(BENCH_ARGS)

## make soak: three `inkstand serve` processes behind nginx on one PostgreSQL and one Redis
## of the soak's own, with an RQ worker: one site across processes, then 60 s of load at 64
## connections through a PostgreSQL restart, a Redis outage and a worker killed mid-job
## (about 3 minutes; needs nginx, redis-server and PostgreSQL's server; prints its figures)
soak: $(VENV)/.installed-test
	@command -v nginx >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nginx-light; }
	$(BIN)/pytest soak -p no:cacheprovider --no-cov -q

LOCK := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links

## make lock: pin pyproject.toml's requirements with hashes: the app and its gevent extra,
## then the test tools with the app's pins as constraints (upgrade one: LOCK_ARGS="-P name")
lock: $(VENV)/.installed-test
	$(LOCK) $(LOCK_ARGS) --extra gevent -o requirements/app.txt pyproject.toml
	$(LOCK) $(LOCK_ARGS) --extra gevent --extra test -c requirements/app.txt \
		-o requirements/test.txt pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tools/realworld/node_modules
