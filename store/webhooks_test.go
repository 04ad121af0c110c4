package store

import (
	"context"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

func testWebhook(appID, path, token string) *picasso.Webhook {
	return &picasso.Webhook{
		AppID:       appID,
		RoutePath:   path,
		Description: "alarm target",
		Enabled:     true,
		TokenHash:   picasso.HashWebhookToken(token),
		Secret:      "hmac-key-" + token,
	}
}

func mustCreateWebhook(t *testing.T, s *DB, w *picasso.Webhook) *picasso.Webhook {
	t.Helper()
	if err := s.CreateWebhook(context.Background(), w); err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	return w
}

func webhookIDs(webhooks []*picasso.Webhook) []string {
	ids := make([]string, len(webhooks))
	for i, w := range webhooks {
		ids[i] = w.ID
	}
	return ids
}

func TestWebhooks(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		app := mustCreateApp(t, s, testApp(projectA, "fn"))
		mustCreateRoute(t, s, testRoute(app.ID, "/hook"))
		mustCreateRoute(t, s, testRoute(app.ID, "/other"))

		t.Run("create and get round-trip every field", func(t *testing.T) {
			before := time.Now()
			w := mustCreateWebhook(t, s, testWebhook(app.ID, "/hook", "t1"))
			if len(w.ID) != 32 {
				t.Errorf("ID %q, want 32 hex digits", w.ID)
			}
			wantStamp(t, "CreatedAt", w.CreatedAt, before)
			wantEqual(t, w.UpdatedAt, w.CreatedAt)
			got, err := s.GetWebhook(ctx, app.ID, "/hook", w.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, got, w)
		})

		t.Run("by token returns the webhook and its app", func(t *testing.T) {
			w := mustCreateWebhook(t, s, testWebhook(app.ID, "/hook", "t2"))
			got, gotApp, err := s.GetWebhookByToken(ctx, picasso.HashWebhookToken("t2"))
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, got, w)
			wantEqual(t, gotApp, app)
			_, _, err = s.GetWebhookByToken(ctx, picasso.HashWebhookToken("no such token"))
			wantError(t, err, picasso.ENOTFOUND, "Webhook not found")
		})

		t.Run("a webhook is found only under its own route", func(t *testing.T) {
			w := mustCreateWebhook(t, s, testWebhook(app.ID, "/hook", "t3"))
			_, err := s.GetWebhook(ctx, app.ID, "/other", w.ID)
			wantError(t, err, picasso.ENOTFOUND, "Webhook "+w.ID+" not found")
			wantError(t, s.DeleteWebhook(ctx, app.ID, "/other", w.ID), picasso.ENOTFOUND, "Webhook "+w.ID+" not found")
		})

		t.Run("a webhook needs an existing route", func(t *testing.T) {
			wantError(t, s.CreateWebhook(ctx, testWebhook(app.ID, "/missing", "t4")), picasso.ENOTFOUND,
				"Route /missing not found")
		})

		t.Run("a token is never shared", func(t *testing.T) {
			mustCreateWebhook(t, s, testWebhook(app.ID, "/other", "shared"))
			wantError(t, s.CreateWebhook(ctx, testWebhook(app.ID, "/hook", "shared")), picasso.ECONFLICT,
				"Webhook already exists")
		})

		t.Run("update writes the mutable fields and rotates the token", func(t *testing.T) {
			clock := pinClock(t, s)
			w := mustCreateWebhook(t, s, testWebhook(app.ID, "/hook", "t5"))
			clock.Advance(time.Second)
			changed := *w
			changed.Description, changed.Enabled = "", false
			changed.TokenHash, changed.Secret = picasso.HashWebhookToken("t5-rotated"), ""
			if err := s.UpdateWebhook(ctx, &changed); err != nil {
				t.Fatal(err)
			}
			if !changed.UpdatedAt.After(w.UpdatedAt) {
				t.Errorf("UpdatedAt %v did not move past %v", changed.UpdatedAt, w.UpdatedAt)
			}
			got, err := s.GetWebhook(ctx, app.ID, "/hook", w.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, got, &changed)
			_, _, err = s.GetWebhookByToken(ctx, picasso.HashWebhookToken("t5"))
			wantError(t, err, picasso.ENOTFOUND, "Webhook not found")

			stale := *w // read before the update above
			stale.Enabled = true
			wantError(t, s.UpdateWebhook(ctx, &stale), picasso.ECONFLICT,
				"Webhook "+w.ID+" was changed meanwhile; read it again and retry")
			if got, _ := s.GetWebhook(ctx, app.ID, "/hook", w.ID); got.TokenHash != changed.TokenHash || got.Enabled {
				t.Errorf("a stale update overwrote the webhook: %+v", got)
			}

			missing := changed
			missing.ID = newID()
			wantError(t, s.UpdateWebhook(ctx, &missing), picasso.ENOTFOUND, "Webhook "+missing.ID+" not found")
		})

		t.Run("delete", func(t *testing.T) {
			w := mustCreateWebhook(t, s, testWebhook(app.ID, "/hook", "t6"))
			if err := s.DeleteWebhook(ctx, app.ID, "/hook", w.ID); err != nil {
				t.Fatal(err)
			}
			_, err := s.GetWebhook(ctx, app.ID, "/hook", w.ID)
			wantError(t, err, picasso.ENOTFOUND, "Webhook "+w.ID+" not found")
			wantError(t, s.DeleteWebhook(ctx, app.ID, "/hook", w.ID), picasso.ENOTFOUND, "Webhook "+w.ID+" not found")
		})
	})
}

func TestListWebhooksPages(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		app := mustCreateApp(t, s, testApp(projectA, "fn"))
		mustCreateRoute(t, s, testRoute(app.ID, "/a"))
		mustCreateRoute(t, s, testRoute(app.ID, "/b"))
		// IDs chosen so that creation order and ID order differ.
		for _, id := range []string{"c", "a", "b"} {
			w := testWebhook(app.ID, "/a", id)
			w.ID = id + "0000000000000000000000000000000"
			mustCreateWebhook(t, s, w)
		}
		mustCreateWebhook(t, s, testWebhook(app.ID, "/b", "elsewhere"))

		all, err := s.ListWebhooks(ctx, app.ID, "/a", picasso.Page{})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, webhookIDs(all), []string{
			"a0000000000000000000000000000000", "b0000000000000000000000000000000", "c0000000000000000000000000000000"})

		page, err := s.ListWebhooks(ctx, app.ID, "/a", picasso.Page{Limit: 1, Marker: all[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, webhookIDs(page), []string{"b0000000000000000000000000000000"})

		none, err := s.ListWebhooks(ctx, app.ID, "/missing", picasso.Page{})
		if err != nil || len(none) != 0 {
			t.Fatalf("ListWebhooks of a route without webhooks = %v, %v; want none", none, err)
		}
	})
}

func TestDeletingARouteDeletesItsWebhooks(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		app := mustCreateApp(t, s, testApp(projectA, "fn"))
		mustCreateRoute(t, s, testRoute(app.ID, "/gone"))
		mustCreateRoute(t, s, testRoute(app.ID, "/kept"))
		gone := mustCreateWebhook(t, s, testWebhook(app.ID, "/gone", "gone"))
		kept := mustCreateWebhook(t, s, testWebhook(app.ID, "/kept", "kept"))

		if err := s.DeleteRoute(ctx, app.ID, "/gone"); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.GetWebhookByToken(ctx, gone.TokenHash)
		wantError(t, err, picasso.ENOTFOUND, "Webhook not found")
		// A route created again at the path does not inherit the webhooks.
		mustCreateRoute(t, s, testRoute(app.ID, "/gone"))
		if list, err := s.ListWebhooks(ctx, app.ID, "/gone", picasso.Page{}); err != nil || len(list) != 0 {
			t.Fatalf("recreated route has webhooks %v, %v", webhookIDs(list), err)
		}
		if _, err := s.GetWebhook(ctx, app.ID, "/kept", kept.ID); err != nil {
			t.Fatalf("another route's webhook went too: %v", err)
		}
	})
}
