# Credence: the two commands of the README, and a few helpers.
#   make run    build and run everything locally (PostgreSQL, nginx, the responder)
#   make test   install, build and run every test (unit, PostgreSQL, nginx, Apache, fuzz)
.PHONY: run test stop build bench fuzz clean

run:
	scripts/run.sh

test:
	scripts/test.sh

stop:
	scripts/run.sh stop

build:
	swift build

bench:
	bench/run.sh

fuzz:
	scripts/fuzz.sh 60

clean:
	scripts/run.sh stop || true
	rm -rf var .build .build-fuzz .build-release
