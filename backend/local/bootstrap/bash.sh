# Picasso's bash bootstrap: runs the handler script of the package (the
# working directory) once per call, the event JSON on its stdin, and
# answers its stdout as text; see docs/packages.md for the protocol.
export LC_ALL=C
script="./$1"
exec 3<&0 4>&1 0</dev/null 1>&2
out=/tmp/picasso-out
while IFS= read -r n <&3; do
	IFS= read -r -N "$n" request <&3 || exit 0
	event=${request#*\"event\":}
	event=${event%,\"context\":*}
	status=0
	printf '%s' "$event" | bash "$script" >"$out" || status=$?
	printf '\036picasso-end\036\n' >&2
	if [ "$status" -eq 0 ]; then
		size=$(wc -c <"$out")
		printf 'text %d\n' "$size" >&4
		cat "$out" >&4
	else
		msg="{\"type\":\"ExitStatus\",\"message\":\"$1 exited with status $status\"}"
		printf 'error %d\n' "${#msg}" >&4
		printf '%s' "$msg" >&4
	fi
done
