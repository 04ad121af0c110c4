package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

func testTrigger(project, appID, path, name string) *picasso.Trigger {
	return &picasso.Trigger{
		ProjectID: project,
		Name:      name,
		AppID:     appID,
		RoutePath: path,
		Source: picasso.TriggerSource{Type: picasso.SourceAMQP, Broker: "bus",
			Queue: picasso.TenantBrokerPrefix(project) + "q"},
		Filter: picasso.TriggerFilter{EventTypes: []string{"compute.instance.*"},
			Payload: map[string]any{"state": "active", "vcpus": json.Number("2")}},
		Enabled: true,
	}
}

func TestTriggers(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s, err := Open(ctx, uri, Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		app := mustCreateApp(t, s, testApp(projectA, "events"))
		mustCreateRoute(t, s, testRoute(app.ID, "/on-create"))

		before := time.Now()
		tr := testTrigger(projectA, app.ID, "/on-create", "servers")
		if err := s.CreateTrigger(ctx, tr, picasso.Unlimited); err != nil {
			t.Fatal(err)
		}
		wantStamp(t, "created_at", tr.CreatedAt, before)

		got, err := s.GetTrigger(ctx, projectA, tr.ID)
		if err != nil {
			t.Fatal(err)
		}
		tr.AppName = "events"
		wantEqual(t, got, tr)

		wantError(t, s.CreateTrigger(ctx, testTrigger(projectA, app.ID, "/on-create", "servers"), picasso.Unlimited),
			picasso.ECONFLICT, "Trigger servers already exists")
		wantError(t, s.CreateTrigger(ctx, testTrigger(projectA, app.ID, "/missing", "other"), picasso.Unlimited),
			picasso.ENOTFOUND, "Route /missing not found")
		if _, err := s.GetTrigger(ctx, projectB, tr.ID); !picasso.IsCode(err, picasso.ENOTFOUND) {
			t.Fatalf("another project read the trigger: %v", err)
		}

		stamp := time.Now().UTC().Truncate(time.Microsecond)
		if err := s.AddTriggerStatus(ctx, tr.ID, picasso.TriggerStatusDelta{MessagesReceived: 3, CallsCreated: 2,
			DeadLettered: 1, LastError: "message is not JSON", LastErrorAt: stamp}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddTriggerStatus(ctx, tr.ID, picasso.TriggerStatusDelta{MessagesReceived: 1, Failures: 1}); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetTrigger(ctx, projectA, tr.ID)
		wantEqual(t, got.Status, picasso.TriggerStatus{MessagesReceived: 4, CallsCreated: 2, Failures: 1, DeadLettered: 1,
			LastError: "message is not JSON", LastErrorAt: stamp})

		tr.Enabled, tr.Admin = false, true
		if err := s.UpdateTrigger(ctx, tr); err != nil {
			t.Fatal(err)
		}
		enabled, err := s.EnabledTriggers(ctx)
		if err != nil || len(enabled) != 0 {
			t.Fatalf("EnabledTriggers after disabling: %v, %v", enabled, err)
		}
		list, err := s.ListTriggers(ctx, projectA, picasso.Page{Limit: 10})
		if err != nil || len(list) != 1 || !list[0].Admin || list[0].Enabled {
			t.Fatalf("ListTriggers: %+v, %v", list, err)
		}

		// Deleting the route deletes its triggers.
		if err := s.DeleteRoute(ctx, app.ID, "/on-create"); err != nil {
			t.Fatal(err)
		}
		wantError(t, s.DeleteTrigger(ctx, projectA, tr.ID), picasso.ENOTFOUND, "Trigger "+tr.ID+" not found")
	})
}
