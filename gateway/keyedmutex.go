package gateway

import (
	"context"
	"sync"

	"github.com/picasso-faas/picasso"
)

// keyedMutex serialises the management operations on one app within this
// process, so that the store-then-backend steps of concurrent requests on
// the same app cannot interleave; the store's app lock (see lockApp) does
// the same across replicas.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	waiters int
}

func newKeyedMutex() *keyedMutex {
	return &keyedMutex{locks: map[string]*keyedLock{}}
}

// lockApp serialises the management operations on one app of a project:
// first among this process's requests, then through the store among the
// replicas, so that each replica holds at most one database lock per app
// and waits for the others' in the database.
func (s *Server) lockApp(ctx context.Context, projectID, name string) (unlock func(), err error) {
	unlockHere := s.locks.lock(projectID + "/" + name)
	unlockShared, err := s.store.LockApp(ctx, picasso.BackendName(projectID, name))
	if err != nil {
		unlockHere()
		return nil, err
	}
	return func() {
		unlockShared()
		unlockHere()
	}, nil
}

// lock acquires the key's lock and returns its release function.
func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.waiters++
	k.mu.Unlock()

	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		l.waiters--
		if l.waiters == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
