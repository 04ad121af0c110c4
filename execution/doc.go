// Package execution is Picasso's durable execution core. The Enqueuer puts
// calls on the queue (the calls table, through a picasso.CallStore); the
// Worker, which runs in every replica, leases due calls, runs them on the
// backend synchronously, and records how they ended: succeeded, failed
// with another attempt after a backoff, or dead. Callbacks post results to
// the caller's URL, the Purger deletes old records one replica at a time,
// and Metrics reports the queue. docs/executions.md describes the design.
package execution
