package gateway

import "sync"

// keyedMutex serialises the management operations on one app within this
// process, so that the store-then-backend steps of concurrent requests on
// the same app cannot interleave. Across replicas the store's unique keys
// still decide every race; reconcile repairs what a crash leaves behind.
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

// lockApp serialises the management operations on one app of a project.
func (s *Server) lockApp(projectID, name string) (unlock func()) {
	return s.locks.lock(projectID + "/" + name)
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
