package local

import (
	"maps"
	"slices"
	"strings"

	"github.com/picasso-faas/picasso"
)

var _ picasso.ConfigChecker = (*Runtime)(nil)

// runtimeVars are the variables the runtime sets itself; config must not
// shadow them (HEADER_* is reserved as a prefix, below).
var runtimeVars = []string{"PATH", "METHOD", "ROUTE", "REQUEST_URL", "CALL_ID", "CALL_ATTEMPT"}

// loaderVars are variables that make a dynamic loader, a shell or an
// interpreter run code or load files other than the function's: a config
// key that sets one would let whoever edits the route run anything.
var loaderVars = []string{
	"BASH_ENV", "ENV", "IFS", "CDPATH", "GLOBIGNORE", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND",
	"BROWSER", "EDITOR", "VISUAL", "PAGER", "SHELL",
	"GCONV_PATH", "GETCONF_DIR", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS",
	"GLIBC_TUNABLES", "MALLOC_CHECK_", "MALLOC_TRACE",
	"NODE_OPTIONS", "NODE_PATH", "NODE_REPL_EXTERNAL_MODULE",
	"RUBYOPT", "RUBYLIB", "GEM_HOME", "GEM_PATH",
	"PERLLIB", "PERLIO", "PERLDB_OPTS",
	"JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH",
	"LUA_INIT", "LUA_PATH", "LUA_CPATH", "TCLLIBPATH", "PHPRC", "PHP_INI_SCAN_DIR",
	"GIT_CONFIG_GLOBAL", "GIT_EXEC_PATH", "GIT_SSH", "GIT_SSH_COMMAND",
	"OPENSSL_CONF", "OPENSSL_ENGINES", "SSLKEYLOGFILE",
}

// loaderPrefixes are whole families of such variables.
var loaderPrefixes = []string{"LD_", "PYTHON", "PERL5", "MALLOC_", "DYLD_", "NODE_", "BASH_FUNC_", "HEADER_"}

var reservedVars = func() map[string]bool {
	set := map[string]bool{}
	for _, v := range slices.Concat(runtimeVars, loaderVars) {
		set[v] = true
	}
	return set
}()

// reservedVar reports whether a variable name may not come from config.
func reservedVar(name string) bool {
	if reservedVars[name] {
		return true
	}
	for _, p := range loaderPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// CheckConfig refuses app and route config keys that would become a
// variable the runtime sets itself or one that controls a loader, shell
// or interpreter; see the package documentation.
func (rt *Runtime) CheckConfig(config map[string]string) error {
	for _, key := range slices.Sorted(maps.Keys(config)) {
		if name := envName(key); reservedVar(name) {
			return picasso.Errorf(picasso.EINVALID,
				"Config key %q is not allowed with the local runtime: it sets %s, which the runtime reserves (it sets it itself, or it controls a loader, shell or interpreter)", key, name)
		}
	}
	return nil
}
