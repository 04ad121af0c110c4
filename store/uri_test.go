package store

import (
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func TestParseURIMySQL(t *testing.T) {
	for _, tc := range []struct {
		uri                         string
		user, passwd, net, addr, db string
	}{
		{"mysql://picasso:s3cret@db.example:3307/picasso", "picasso", "s3cret", "tcp", "db.example:3307", "picasso"},
		{"mysql://picasso:s3cret@db.example/picasso", "picasso", "s3cret", "tcp", "db.example:3306", "picasso"},
		{"mysql+pymysql://root:pw@127.0.0.1/picasso?charset=utf8", "root", "pw", "tcp", "127.0.0.1:3306", "picasso"},
		{"mysql://root@localhost/db", "root", "", "tcp", "localhost:3306", "db"},
		{"mysql://u:p%40ss%2Fw:rd@[::1]:3306/db", "u", "p@ss/w:rd", "tcp", "[::1]:3306", "db"},
		{"mysql://u:pa/ss@h/db", "u", "pa/ss", "tcp", "h:3306", "db"},
		{"mysql://u:pw@/db?unix_socket=/run/mysqld/mysqld.sock", "u", "pw", "unix", "/run/mysqld/mysqld.sock", "db"},
	} {
		driver, dsn, err := ParseURI(tc.uri)
		if err != nil {
			t.Errorf("ParseURI(%q): %v", tc.uri, err)
			continue
		}
		if driver != DriverMySQL {
			t.Errorf("ParseURI(%q) driver %q", tc.uri, driver)
		}
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Errorf("ParseURI(%q) made a bad DSN %q: %v", tc.uri, dsn, err)
			continue
		}
		got := []string{cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName}
		want := []string{tc.user, tc.passwd, tc.net, tc.addr, tc.db}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("ParseURI(%q) = %q, want %q", tc.uri, got, want)
		}
		// Every connection reads and writes UTC and says how many rows
		// an update matched; none allows several statements.
		if !cfg.ParseTime || cfg.Loc != time.UTC || cfg.Params["time_zone"] != "'+00:00'" ||
			!cfg.ClientFoundRows || cfg.MultiStatements {
			t.Errorf("ParseURI(%q) DSN %q lacks the session settings", tc.uri, dsn)
		}
	}
}

func TestParseURIMySQLTimeouts(t *testing.T) {
	_, dsn, err := ParseURI("mysql://u:p@h/db?connect_timeout=3&read_timeout=30&write_timeout=31")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout != 3*time.Second || cfg.ReadTimeout != 30*time.Second || cfg.WriteTimeout != 31*time.Second {
		t.Errorf("timeouts %v %v %v", cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout)
	}
}

func TestParseURISQLite(t *testing.T) {
	for _, tc := range []struct{ uri, path string }{
		{"sqlite:///var/lib/picasso/picasso.db", "/var/lib/picasso/picasso.db"},
		{"sqlite://picasso.db", "picasso.db"},
		{"sqlite://data/picasso.db", "data/picasso.db"},
		{"sqlite::memory:", ":memory:"},
	} {
		driver, dsn, err := ParseURI(tc.uri)
		if err != nil {
			t.Errorf("ParseURI(%q): %v", tc.uri, err)
			continue
		}
		path, params, _ := strings.Cut(dsn, "?")
		if driver != DriverSQLite || path != tc.path {
			t.Errorf("ParseURI(%q) = %s %q, want sqlite %q", tc.uri, driver, path, tc.path)
		}
		if !strings.Contains(params, "_pragma=foreign_keys(1)") {
			t.Errorf("ParseURI(%q) DSN %q does not enforce foreign keys", tc.uri, dsn)
		}
	}
}

func TestParseURIErrors(t *testing.T) {
	const password = "Hunter2Secret"
	for _, tc := range []struct{ uri, want string }{
		{"", "missing scheme"},
		{"/var/lib/picasso.db", "missing scheme"},
		{"postgres://u:" + password + "@h/db", `unknown scheme "postgres"`},
		{"mysql://u:" + password + "@h", "missing database name"},
		{"mysql://u:" + password + "@h/", "missing database name"},
		{"mysql://u:" + password + "@h:abc/db", `invalid port "abc"`},
		{"mysql://u:" + password + "@h:70000/db", `invalid port "70000"`},
		{"mysql://u:" + password + "@/db", "missing host"},
		{"mysql://u:" + password + "%zz@h/db", "malformed percent-escape in the password"},
		{"mysql://u:" + password + "@x@h/db", "malformed mysql URI"},
		{"mysql://u:" + password + "@h/db?sslmode=on", `unsupported option "sslmode"`},
		{"mysql://u:" + password + "@h/db?local_infile=1", `unsupported option "local_infile"`},
		{"mysql://u:" + password + "@h/db?connect_timeout=soon", `invalid option connect_timeout="soon"`},
		{"sqlite://", "missing database path"},
		{"sqlite:///tmp/x.db?mode=ro", "sqlite URIs take no options"},
	} {
		_, _, err := ParseURI(tc.uri)
		if err == nil {
			t.Errorf("ParseURI(%q) succeeded, want %q", tc.uri, tc.want)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) {
			t.Errorf("ParseURI(%q) error %q, want %q", tc.uri, msg, tc.want)
		}
		if strings.Contains(msg, password) || strings.Contains(msg, "\n") {
			t.Errorf("ParseURI(%q) error %q leaks the password or spans lines", tc.uri, msg)
		}
	}
}
