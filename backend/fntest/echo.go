package fntest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Echo is the body the echo image answers with: the request exactly as
// the function received it.
type Echo struct {
	Method string            `json:"method"`
	URL    string            `json:"url"`
	Header http.Header       `json:"header"`
	Env    map[string]string `json:"env"`
	Body   string            `json:"body"`
}

// functionResponse is what a function answers, before Fn rewrites it.
type functionResponse struct {
	status int
	header http.Header
	body   []byte
}

// echo is the echo image. Through a trigger it answers the way an FDK
// does: its status in Fn-Http-Status and its headers as Fn-Http-H-*; the
// header it sets without the prefix is one Fn drops.
func echo(r *http.Request, env map[string]string, header http.Header, body []byte) functionResponse {
	method := header.Get("Fn-Http-Method")
	if method == "" {
		method = r.Method
	}
	url := header.Get("Fn-Http-Request-Url")
	if url == "" {
		url = "http://" + r.Host + r.URL.RequestURI()
	}
	out, _ := json.Marshal(Echo{Method: method, URL: url, Header: header, Env: env, Body: string(body)})
	status := http.StatusOK
	if n, err := strconv.Atoi(r.URL.Query().Get("status")); err == nil && n >= 200 && n <= 599 {
		status = n
	}
	return functionResponse{
		status: status,
		header: http.Header{
			"Content-Type":          {"application/json"},
			"Fn-Http-Status":        {strconv.Itoa(status)},
			"Fn-Http-H-X-Echo-Call": {header.Get("Fn-Call-Id")},
			"Fn-Fdk-Version":        {"fdk-go/0.0.50"},
		},
		body: out,
	}
}
