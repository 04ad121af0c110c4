package store

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Driver names of database/sql, as ParseURI returns them.
const (
	DriverMySQL  = "mysql"
	DriverSQLite = "sqlite"
)

// mysqlURIPattern splits a MySQL URI the way SQLAlchemy does, which is what the
// original Picasso read its --db-uri with: the password runs up to the
// first "@", so it only needs escaping for "@" itself (as %40).
var mysqlURIPattern = regexp.MustCompile(`^(?:([^:/@]*)(?::([^@]*))?@)?` + // user:password@
	`(?:\[([^\]/?@]*)\]|([^/:?@\[\]]*))` + // [ipv6] or host
	`(?::([^/?@]*))?` + // :port
	`(?:/([^?]*))?` + // /database
	`(?:\?(.*))?$`) // ?options

// pymysqlOptions are query options of the original URIs that have no
// meaning here (the connection is always utf8mb4, autocommit, with the
// driver's defaults), so they are accepted and dropped.
var pymysqlOptions = map[string]bool{
	"charset":       true,
	"use_unicode":   true,
	"binary_prefix": true,
	"autocommit":    true,
	"client_flag":   true,
	"program_name":  true,
}

// sqlitePragmas make every pooled connection enforce foreign keys, wait
// for a busy writer instead of failing, and let readers run beside the
// writer (WAL). Transactions take the write lock when they begin, so two
// writers never deadlock upgrading from a read lock. Times are written as
// sortable UTC text.
const sqlitePragmas = "_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
	"&_txlock=immediate&_time_format=sqlite"

// ParseURI turns a database URI into a database/sql driver name and DSN.
// It accepts the forms the original Picasso did:
//
//	mysql://user:password@host[:port]/database[?options]
//	mysql+pymysql://user:password@host[:port]/database[?options]
//	sqlite:///absolute/path.db
//	sqlite://relative/path.db
//	sqlite::memory:
//
// Errors are one line that never contains the password.
func ParseURI(uri string) (driver, dsn string, err error) {
	if uri == "sqlite::memory:" || uri == "sqlite://:memory:" {
		return DriverSQLite, ":memory:?" + sqlitePragmas, nil
	}
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok || scheme == "" {
		return "", "", errors.New(`missing scheme: expected mysql://user:password@host/database or sqlite:///path/to/file.db`)
	}
	switch strings.ToLower(scheme) {
	case "mysql", "mysql+pymysql", "mysql+mysqldb", "mariadb", "mariadb+pymysql":
		dsn, err := mysqlDSN(rest)
		return DriverMySQL, dsn, err
	case "sqlite":
		dsn, err := sqliteDSN(rest)
		return DriverSQLite, dsn, err
	default:
		return "", "", fmt.Errorf("unknown scheme %q: expected mysql or sqlite", scheme)
	}
}

func sqliteDSN(path string) (string, error) {
	switch {
	case path == "":
		return "", errors.New("missing database path: expected sqlite:///path/to/file.db")
	case strings.ContainsAny(path, "?#"):
		return "", errors.New(`sqlite URIs take no options ("?" or "#" in the path)`)
	}
	return path + "?" + sqlitePragmas, nil
}

func mysqlDSN(rest string) (string, error) {
	m := mysqlURIPattern.FindStringSubmatch(rest)
	if m == nil {
		return "", errors.New(`malformed mysql URI: expected mysql://user:password@host[:port]/database (write "@" in a password as %40)`)
	}
	user, password, ipv6, host, port, database, query := m[1], m[2], m[3], m[4], m[5], m[6], m[7]

	cfg := mysql.NewConfig()
	var err error
	if cfg.User, err = url.PathUnescape(user); err != nil {
		return "", errors.New("malformed percent-escape in the user name")
	}
	if cfg.Passwd, err = url.PathUnescape(password); err != nil {
		return "", errors.New("malformed percent-escape in the password")
	}
	if cfg.DBName, err = url.PathUnescape(database); err != nil {
		return "", errors.New("malformed percent-escape in the database name")
	}
	if cfg.DBName == "" {
		return "", errors.New("missing database name: expected mysql://user:password@host[:port]/database")
	}
	if strings.Contains(cfg.DBName, "/") {
		return "", fmt.Errorf("invalid database name %q", cfg.DBName)
	}
	if port == "" {
		port = "3306"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("invalid port %q: must be a number from 1 to 65535", port)
	}
	if ipv6 != "" {
		host = "[" + ipv6 + "]"
	}
	cfg.Net, cfg.Addr = "tcp", host+":"+port
	if err := applyMySQLOptions(cfg, query); err != nil {
		return "", err
	}
	if cfg.Net == "tcp" && host == "" {
		return "", errors.New("missing host: expected mysql://user:password@host[:port]/database")
	}

	// Timestamps are written and read as UTC whatever the server's zone,
	// and text is utf8mb4 whatever the server's default.
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Params = map[string]string{
		"time_zone": "'+00:00'",
		"sql_mode":  "'TRADITIONAL'",
	}
	cfg.Collation = "utf8mb4_bin"
	// Updates report the rows they matched, not the rows they changed, so
	// "no row" reliably means "not found".
	cfg.ClientFoundRows = true
	// The driver escapes arguments into the statement itself (safe with
	// utf8mb4) instead of preparing, executing and closing a server-side
	// statement: one round trip per query instead of three, which is what
	// a commit-per-call queue needs.
	cfg.InterpolateParams = true
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	return cfg.FormatDSN(), nil
}

func applyMySQLOptions(cfg *mysql.Config, query string) error {
	if query == "" {
		return nil
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return errors.New("malformed options after \"?\"")
	}
	for name, vs := range values {
		value := vs[len(vs)-1]
		switch name {
		case "unix_socket":
			cfg.Net, cfg.Addr = "unix", value
		case "connect_timeout", "read_timeout", "write_timeout":
			seconds, err := strconv.Atoi(value)
			if err != nil || seconds < 1 {
				return fmt.Errorf("invalid option %s=%q: must be a number of seconds", name, value)
			}
			d := time.Duration(seconds) * time.Second
			switch name {
			case "connect_timeout":
				cfg.Timeout = d
			case "read_timeout":
				cfg.ReadTimeout = d
			default:
				cfg.WriteTimeout = d
			}
		default:
			if !pymysqlOptions[name] {
				return fmt.Errorf("unsupported option %q", name)
			}
		}
	}
	return nil
}
