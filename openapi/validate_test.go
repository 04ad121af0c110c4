package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
)

// decode decodes as the gateway may: with or without UseNumber.
func decode(t testing.TB, body string, useNumber bool) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	if useNumber {
		dec.UseNumber()
	}
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

func forBothDecodings(t *testing.T, test func(t *testing.T, useNumber bool)) {
	for _, useNumber := range []bool{true, false} {
		t.Run(fmt.Sprintf("UseNumber=%v", useNumber), func(t *testing.T) { test(t, useNumber) })
	}
}

func TestValidateBodyAcceptsClientBodies(t *testing.T) {
	cases := []struct{ op, body string }{
		// python-picassoclient, as the CLI sends them.
		{"createApp", `{"app":{"name":"x","config":{}}}`},
		{"createRoute", `{"route":{"type":"sync","path":"/hello","image":"iron/hello","memory":128,"timeout":30,"max_concurrency":1,"is_public":"false","config":{}}}`},
		{"createRoute", `{"route":{"type":"async","path":"/hello","image":"iron/hello","memory":0,"timeout":0,"max_concurrency":0,"is_public":"true","config":{"K":"V"}}}`},
		{"updateApp", `{"config":{"K":"V"}}`},
		{"updateRoute", `{"image":"x","memory":256}`},
		{"updateRoute", `{}`},
		// Everything else the API allows.
		{"createApp", `{"app":{"name":"Hello-app_1","description":"An app","config":{"K":"V"}}}`},
		{"createRoute", `{"route":{"path":"/a/b","image":"i","is_public":true,"format":"http","headers":{"X-A":["1","2"]}}}`},
		{"createRoute", `{"route":{"path":"/a","image":"i","is_public":false,"memory":8192,"timeout":300,"max_concurrency":1000}}`},
		{"updateApp", `{"description":"","config":{"K":""}}`},
		{"updateApp", `{}`},
		{"updateRoute", `{"type":"async","is_public":"true","timeout":1,"max_concurrency":1,"config":{},"headers":{},"format":"default"}`},
		{"createWebhook", `{"webhook":{}}`},
		{"createWebhook", `{"webhook":{"description":"cpu_high alarm","enabled":false,"signed":true}}`},
		{"updateWebhook", `{"enabled":false}`},
		{"updateWebhook", `{"description":"x","enabled":true}`},
		{"rotateWebhook", `{}`},
		{"rotateWebhook", `{"signed":false}`},
	}
	forBothDecodings(t, func(t *testing.T, useNumber bool) {
		for _, c := range cases {
			if err := ValidateBody(c.op, decode(t, c.body, useNumber)); err != nil {
				t.Errorf("%s %s: %v", c.op, c.body, err)
			}
		}
	})
}

func TestValidateBodyRejectsWithCleanMessages(t *testing.T) {
	long := strings.Repeat("a", 65)
	manyEntries := make([]string, 101)
	for i := range manyEntries {
		manyEntries[i] = fmt.Sprintf(`"K%d":"v"`, i)
	}
	cases := []struct{ op, body, message string }{
		{"createApp", `{"app":{"name":"x","foo":1}}`, `unknown field "app.foo"`},
		{"createApp", `{"app":{"name":"x"},"extra":true}`, `unknown field "extra"`},
		{"createApp", `{"app":{}}`, `missing required field "app.name"`},
		{"createApp", `{}`, `missing required field "app"`},
		{"createApp", `[]`, `must be a JSON object`},
		{"createApp", `null`, `must be a JSON object`},
		{"createApp", `{"app":"x"}`, `field "app" must be an object`},
		{"createApp", `{"app":{"name":5}}`, `field "app.name" must be a string`},
		{"createApp", `{"app":{"name":null}}`, `field "app.name" must be a string`},
		{"createApp", `{"app":{"name":"-x"}}`, `field "app.name" must match the pattern "^[A-Za-z0-9][A-Za-z0-9_-]*$"`},
		{"createApp", `{"app":{"name":"` + long + `"}}`, `field "app.name" must be 1 to 64 characters long`},
		{"createApp", `{"app":{"name":"x","description":"` + strings.Repeat("d", 1025) + `"}}`, `field "app.description" must be at most 1024 characters long`},
		{"createApp", `{"app":{"name":"x","config":{"K":1}}}`, `field "app.config.K" must be a string`},
		{"createApp", `{"app":{"name":"x","config":{` + strings.Join(manyEntries, ",") + `}}}`, `field "app.config" must have at most 100 entries`},
		{"createRoute", `{"route":{"path":"/a","image":"i","memory":"128"}}`, `field "route.memory" must be an integer`},
		{"createRoute", `{"route":{"path":"/a","image":"i","memory":1.5}}`, `field "route.memory" must be an integer`},
		{"createRoute", `{"route":{"path":"/a","image":"i","memory":8193}}`, `field "route.memory" must be between 0 and 8192`},
		{"createRoute", `{"route":{"path":"/a","image":"i","timeout":-1}}`, `field "route.timeout" must be between 0 and 300`},
		{"createRoute", `{"route":{"path":"/a","image":"i","is_public":"yes"}}`, `field "route.is_public" must be a boolean or one of "true", "false"`},
		{"createRoute", `{"route":{"path":"/a","image":"i","is_public":1}}`, `field "route.is_public" must be a boolean or one of "true", "false"`},
		{"createRoute", `{"route":{"path":"/a","image":"i","type":"batch"}}`, `field "route.type" must be one of "sync", "async"`},
		{"createRoute", `{"route":{"path":"/a","image":"i","format":"json"}}`, `field "route.format" must be one of "default", "http"`},
		{"createRoute", `{"route":{"image":"i"}}`, `missing required field "route.path"`},
		{"createRoute", `{"route":{"image":"iron/hello"}}`, `missing required field "route.path"`},
		{"createRoute", `{"route":{"path":"a","image":"i"}}`, `field "route.path" must match the pattern "^/"`},
		{"createRoute", `{"route":{"path":"/a","image":""}}`, `field "route.image" must be 1 to 255 characters long`},
		{"createRoute", `{"route":{"path":"/a","image":"i","headers":{"X":"v"}}}`, `field "route.headers.X" must be an array`},
		{"createRoute", `{"route":{"path":"/a","image":"i","headers":{"X":[1]}}}`, `field "route.headers.X.0" must be a string`},
		{"updateApp", `{"app":{"config":{}}}`, `unknown field "app"`},
		{"updateApp", `{"config":[]}`, `field "config" must be an object`},
		{"updateRoute", `{"path":"/x"}`, `unknown field "path"`},
		{"updateRoute", `{"memory":0}`, `field "memory" must be between 1 and 8192`},
		{"updateRoute", `{"max_concurrency":1001}`, `field "max_concurrency" must be between 1 and 1000`},
		{"createWebhook", `{"description":"x"}`, `unknown field "description"`},
		{"createWebhook", `{"webhook":{"signed":"yes"}}`, `field "webhook.signed" must be a boolean`},
		{"createWebhook", `{"webhook":{"secret":"mine"}}`, `unknown field "webhook.secret"`},
		{"updateWebhook", `{"enabled":"false"}`, `field "enabled" must be a boolean`},
		{"updateWebhook", `{"signed":true}`, `unknown field "signed"`},
		{"rotateWebhook", `{"token":"mine"}`, `unknown field "token"`},
	}
	forBothDecodings(t, func(t *testing.T, useNumber bool) {
		for _, c := range cases {
			err := ValidateBody(c.op, decode(t, c.body, useNumber))
			var perr *picasso.Error
			if !errors.As(err, &perr) || perr.Code != picasso.EINVALID {
				t.Errorf("%s %.80s: got %v, want an EINVALID *picasso.Error", c.op, c.body, err)
				continue
			}
			if want := "Invalid request body: " + c.message; perr.Message != want {
				t.Errorf("%s %.80s:\n got %q\nwant %q", c.op, c.body, perr.Message, want)
			}
		}
	})
}

func TestValidateBodyOfOperationWithoutJSONBodyIsInternal(t *testing.T) {
	for _, op := range []string{"noSuchOperation", "getApp", "invokePrivate", ""} {
		if err := ValidateBody(op, map[string]any{}); picasso.ErrorCode(err) != picasso.EINTERNAL {
			t.Errorf("ValidateBody(%q) = %v, want EINTERNAL", op, err)
		}
	}
}

func BenchmarkValidateBodyCreateRoute(b *testing.B) {
	body := decode(b, `{"route":{"type":"sync","path":"/hello","image":"iron/hello","memory":128,"timeout":30,"max_concurrency":1,"is_public":"false","config":{"A":"1","B":"2"},"headers":{"X-A":["1"]}}}`, true)
	for b.Loop() {
		if err := ValidateBody("createRoute", body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateBodyRejected(b *testing.B) {
	body := decode(b, `{"route":{"path":"/hello","image":"iron/hello","memory":"big"}}`, true)
	for b.Loop() {
		if ValidateBody("createRoute", body) == nil {
			b.Fatal("accepted")
		}
	}
}
