// Package testenv lets integration tests find the real services they need
// (MariaDB, Keystone) and decide what to do when one is missing: skip on a
// developer's laptop, fail in CI, where PICASSO_REQUIRE_SERVICES=1 is set.
package testenv

import (
	"net"
	"os"
	"strconv"
	"testing"
)

// RequireServicesVar, when "1", turns every would-be skip into a failure.
const RequireServicesVar = "PICASSO_REQUIRE_SERVICES"

// Unavailable ends the test because a service it needs is missing: a skip
// normally, a failure when services are required.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireServicesVar) == "1" {
		t.Fatalf("required service unavailable: "+format, args...)
	}
	t.Skipf("service unavailable: "+format, args...)
}

// MySQLDSN returns the go-sql-driver DSN of the MariaDB server tests use
// to create their own databases (PICASSO_TEST_MYSQL, default root on
// 127.0.0.1:3306).
func MySQLDSN() string {
	if dsn := os.Getenv("PICASSO_TEST_MYSQL"); dsn != "" {
		return dsn
	}
	return "root@tcp(127.0.0.1:3306)/"
}

// FreePort returns a TCP port on loopback that nothing listens on now: one
// the system handed out and that was freed at once.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RefusedAddr returns a loopback host:port of a FreePort, where a
// connection is refused rather than left to time out.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(FreePort(t))
}
