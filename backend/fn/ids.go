package fn

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/picasso-faas/picasso"
)

// idCache remembers the server ids of apps (by name) and fns (by app id
// and fn name). An entry goes stale when another replica or an operator
// deletes and recreates the object; callers drop it when Fn answers 404
// and look the id up again.
type idCache struct {
	mu   sync.Mutex
	apps map[string]string
	fns  map[fnKey]string
}

type fnKey struct{ appID, name string }

func newIDCache() idCache {
	return idCache{apps: map[string]string{}, fns: map[fnKey]string{}}
}

func (c *idCache) app(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.apps[name]
	return id, ok
}

func (c *idCache) setApp(name, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.apps[name] = id
}

// forgetApp drops the app and the fns cached under its id.
func (c *idCache) forgetApp(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.apps[name]
	delete(c.apps, name)
	for k := range c.fns {
		if k.appID == id {
			delete(c.fns, k)
		}
	}
}

func (c *idCache) fn(appID, name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.fns[fnKey{appID, name}]
	return id, ok
}

func (c *idCache) setFn(appID, name, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fns[fnKey{appID, name}] = id
}

func (c *idCache) forgetFn(appID, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.fns, fnKey{appID, name})
}

// errAppNotFound is what every operation on a missing app returns.
func errAppNotFound() error { return picasso.Errorf(picasso.ENOTFOUND, "App not found") }

// lookupApp fetches the app by name and caches its id.
func (c *Client) lookupApp(ctx context.Context, name string) (*appObject, error) {
	var p page[appObject]
	if err := c.do(ctx, http.MethodGet, query(c.urls.apps(), url.Values{"name": {name}}), nil, &p); err != nil {
		return nil, err
	}
	for i := range p.Items {
		if p.Items[i].Name == name {
			c.ids.setApp(name, p.Items[i].ID)
			return &p.Items[i], nil
		}
	}
	return nil, errAppNotFound()
}

// withAppID runs op with the id of the named app, cached if known. op must
// draw Fn's 404 "App not found" when the id is stale: the id is then looked
// up afresh and op runs once more.
func (c *Client) withAppID(ctx context.Context, name string, op func(appID string) error) error {
	if id, ok := c.ids.app(name); ok {
		err := op(id)
		if !isStatus(err, http.StatusNotFound) || fnMessage(err) != "App not found" {
			return err
		}
		c.ids.forgetApp(name)
	}
	a, err := c.lookupApp(ctx, name)
	if err != nil {
		return err
	}
	return op(a.ID)
}

// lookupFn fetches the app's fn by name and caches its id; nil, nil when
// there is none.
func (c *Client) lookupFn(ctx context.Context, appID, name string) (*fnObject, error) {
	var p page[fnObject]
	params := url.Values{"app_id": {appID}, "name": {name}}
	if err := c.do(ctx, http.MethodGet, query(c.urls.fns(), params), nil, &p); err != nil {
		return nil, err
	}
	for i := range p.Items {
		if p.Items[i].Name == name {
			c.ids.setFn(appID, name, p.Items[i].ID)
			return &p.Items[i], nil
		}
	}
	return nil, nil
}

// lookupTrigger fetches the app's trigger by name; nil, nil when absent.
func (c *Client) lookupTrigger(ctx context.Context, appID, name string) (*triggerObject, error) {
	var p page[triggerObject]
	params := url.Values{"app_id": {appID}, "name": {name}}
	if err := c.do(ctx, http.MethodGet, query(c.urls.triggers(), params), nil, &p); err != nil {
		return nil, err
	}
	for i := range p.Items {
		if p.Items[i].Name == name {
			return &p.Items[i], nil
		}
	}
	return nil, nil
}

// listPerPage is Fn's largest page.
const listPerPage = 100

// listAll pages through a list endpoint until Fn gives no next cursor.
func listAll[T any](ctx context.Context, c *Client, endpoint string, params url.Values) ([]T, error) {
	params.Set("per_page", strconv.Itoa(listPerPage))
	var all []T
	for {
		var p page[T]
		if err := c.do(ctx, http.MethodGet, query(endpoint, params), nil, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" || len(p.Items) == 0 {
			return all, nil
		}
		params.Set("cursor", p.NextCursor)
	}
}
