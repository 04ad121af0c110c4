# Benchmarks; see docs/benchmarks.md. BENCHFLAGS passes options to picasso-bench,
# e.g. make bench BENCHFLAGS="--db-uri mysql://root@127.0.0.1/picasso_bench".
.PHONY: bench bench-go bench-triggers

bench:
	go run ./cmd/picasso-bench $(BENCHFLAGS)

bench-go:
	go test -run '^$$' -bench . -benchmem ./gateway/ ./keystone/

# Messages per second from RabbitMQ to calls committed on MariaDB.
bench-triggers:
	go test -run '^$$' -bench AMQPToRecordedCall -benchtime 3000x ./trigger/
