package gateway_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentWritesKeepStoreAndBackendInAgreement has 50 clients create,
// update and delete the same few apps and routes at once. Every answer
// must be a success or a clean refusal (404, 409), and afterwards the
// reconciler must find the store and the backend in agreement.
func TestConcurrentWritesKeepStoreAndBackendInAgreement(t *testing.T) {
	const clients, opsPerClient = 50, 12
	eachDB(t, func(t *testing.T, h *harness) {
		apps := []string{"c0", "c1", "c2"}
		paths := []string{"/r0", "/r1"}
		ops := []func(r *rand.Rand) (method, path, body string){
			func(r *rand.Rand) (string, string, string) {
				return "POST", "/v1/" + projA + "/apps", `{"app":{"name":"` + pick(r, apps) + `"}}`
			},
			func(r *rand.Rand) (string, string, string) {
				return "DELETE", "/v1/" + projA + "/apps/" + pick(r, apps), ""
			},
			func(r *rand.Rand) (string, string, string) {
				return "PUT", "/v1/" + projA + "/apps/" + pick(r, apps), fmt.Sprintf(`{"config":{"N":"%d"}}`, r.IntN(1000))
			},
			func(r *rand.Rand) (string, string, string) {
				return "POST", "/v1/" + projA + "/apps/" + pick(r, apps) + "/routes",
					`{"route":{"path":"` + pick(r, paths) + `","image":"iron/echo","is_public":true}}`
			},
			func(r *rand.Rand) (string, string, string) {
				return "PUT", "/v1/" + projA + "/apps/" + pick(r, apps) + "/routes" + pick(r, paths), fmt.Sprintf(`{"memory":%d}`, 64+r.IntN(64))
			},
			func(r *rand.Rand) (string, string, string) {
				return "DELETE", "/v1/" + projA + "/apps/" + pick(r, apps) + "/routes" + pick(r, paths), ""
			},
		}
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(c), 1))
				for range opsPerClient {
					method, path, body := ops[r.IntN(len(ops))](r)
					resp, err := h.try(context.Background(), method, path, "member-a", jsonBody(body))
					mu.Lock()
					if err != nil {
						t.Errorf("%s %s: %v", method, path, err)
					} else {
						statuses[resp.Status]++
						switch resp.Status {
						case http.StatusOK, http.StatusNotFound, http.StatusConflict:
						default:
							t.Errorf("%s %s answered %d: %s", method, path, resp.Status, resp.Body)
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		t.Logf("statuses: %v", statuses)
		if statuses[http.StatusOK] == 0 {
			t.Error("no write succeeded")
		}
		h.expectInSync(t)
	})
}

func pick(r *rand.Rand, from []string) string { return from[r.IntN(len(from))] }
