package openapi

import (
	"slices"
	"strings"
)

// PathOp is one operation of the document: an HTTP method on a path
// template such as "/v1/{project_id}/apps/{app}".
type PathOp struct {
	Method      string // as net/http names it, e.g. "GET"
	Path        string
	OperationID string
}

var pathOps = collectPathOps()

// Paths lists every operation of the document, sorted by path and method.
// The gateway's tests compare it with the router's routes.
func Paths() []PathOp { return slices.Clone(pathOps) }

func collectPathOps() []PathOp {
	var ops []PathOp
	for path, item := range document.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, PathOp{Method: method, Path: path, OperationID: op.OperationID})
		}
	}
	slices.SortFunc(ops, func(a, b PathOp) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return ops
}
