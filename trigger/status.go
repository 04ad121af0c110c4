package trigger

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/picasso-faas/picasso"
)

// statusBook gathers what consumers observe per trigger and writes it to
// the store in batches: a row update per message would cost more than the
// call itself. Counts not yet flushed are lost with the process; they are
// status, not state.
type statusBook struct {
	mu     sync.Mutex
	deltas map[string]*picasso.TriggerStatusDelta
	now    func() time.Time
}

func newStatusBook(now func() time.Time) *statusBook {
	return &statusBook{deltas: map[string]*picasso.TriggerStatusDelta{}, now: now}
}

func (b *statusBook) update(id string, f func(d *picasso.TriggerStatusDelta)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.deltas[id]
	if d == nil {
		d = &picasso.TriggerStatusDelta{}
		b.deltas[id] = d
	}
	f(d)
}

func (b *statusBook) received(id string) {
	b.update(id, func(d *picasso.TriggerStatusDelta) { d.MessagesReceived++ })
}

func (b *statusBook) created(id string) {
	b.update(id, func(d *picasso.TriggerStatusDelta) { d.CallsCreated++ })
}

// failed counts a message that could not be turned into a call.
func (b *statusBook) failed(id string, err error) {
	b.update(id, func(d *picasso.TriggerStatusDelta) {
		d.Failures++
		b.setError(d, err)
	})
}

// deadLettered counts a message the broker was told to dead-letter.
func (b *statusBook) deadLettered(id string, err error) {
	b.update(id, func(d *picasso.TriggerStatusDelta) {
		d.DeadLettered++
		b.setError(d, err)
	})
}

// lastError records a broker failure, which counts no message.
func (b *statusBook) lastError(id string, err error) {
	b.update(id, func(d *picasso.TriggerStatusDelta) { b.setError(d, err) })
}

// setError keeps only the client-safe message: the status is shown to
// the project, and broker errors are made free of credentials by the
// adapters.
func (b *statusBook) setError(d *picasso.TriggerStatusDelta, err error) {
	d.LastError, d.LastErrorAt = picasso.ErrorMessage(err), b.now()
}

// flush writes every pending delta; a delta that fails to write is kept
// for the next flush.
func (b *statusBook) flush(ctx context.Context, store picasso.TriggerStore, logger *slog.Logger) {
	b.mu.Lock()
	pending := b.deltas
	b.deltas = map[string]*picasso.TriggerStatusDelta{}
	b.mu.Unlock()
	for id, d := range pending {
		if err := store.AddTriggerStatus(ctx, id, *d); err != nil {
			logger.WarnContext(ctx, "trigger status not written", "trigger_id", id, "error", err)
			b.update(id, func(cur *picasso.TriggerStatusDelta) { merge(cur, d) })
		}
	}
}

// merge adds an older delta into cur; cur's error, being newer, wins.
func merge(cur, older *picasso.TriggerStatusDelta) {
	cur.MessagesReceived += older.MessagesReceived
	cur.CallsCreated += older.CallsCreated
	cur.Failures += older.Failures
	cur.DeadLettered += older.DeadLettered
	if cur.LastError == "" {
		cur.LastError, cur.LastErrorAt = older.LastError, older.LastErrorAt
	}
}
