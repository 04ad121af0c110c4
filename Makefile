# Benchmarks; see docs/benchmarks.md. BENCHFLAGS passes options to picasso-bench,
# e.g. make bench BENCHFLAGS="--db-uri mysql://root@127.0.0.1/picasso_bench".
# Before → after of a change, the old Picasso measured in the same run:
#   make bench BENCHFLAGS="--baseline-ref main"            (built from a git ref)
#   make bench BENCHFLAGS="--baseline-bin /path/picasso-api" (a prebuilt binary)
# make bench installs nginx-light (the nginx reference) when run as root and
# nginx is missing; BENCHFLAGS="--backend-cpu 0" gives the trivial backend.
.PHONY: bench bench-go bench-triggers bench-queue bench-runtimes

bench:
	go run ./cmd/picasso-bench $(BENCHFLAGS)

bench-go:
	go test -run '^$$' -bench . -benchmem ./gateway/ ./keystone/

# Messages per second from RabbitMQ to calls committed on MariaDB.
bench-triggers:
	go test -run '^$$' -bench AMQPToRecordedCall -benchtime 3000x ./trigger/

# The execution queue on SQLite, then on the local MariaDB (database
# picasso_bench_queue, made afresh).
bench-queue:
	go run ./cmd/picasso-bench queue $(BENCHFLAGS)
	mysql -uroot -h127.0.0.1 -e 'DROP DATABASE IF EXISTS picasso_bench_queue; CREATE DATABASE picasso_bench_queue'
	go run ./cmd/picasso-bench queue --db-uri mysql://root@127.0.0.1/picasso_bench_queue $(BENCHFLAGS)

# Cold and warm calls of the language runtimes against an executable call.
bench-runtimes:
	go run ./cmd/picasso-bench runtimes $(BENCHFLAGS)
