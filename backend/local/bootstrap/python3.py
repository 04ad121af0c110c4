# Picasso's Python bootstrap: loads the handler ("module.function") from
# the package directory (the working directory) and serves calls one at a
# time over the protocol of docs/packages.md.
import importlib, json, os, sys, time, traceback

END = b"\x1epicasso-end\x1e\n"

def main(handler_name):
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # print() goes to the call's log, not the protocol
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.path.insert(0, os.getcwd())
    handler, load_error = None, None
    try:
        module, _, function = handler_name.rpartition(".")
        handler = getattr(importlib.import_module(module), function)
    except BaseException as e:
        load_error = e
        traceback.print_exc()
    while True:
        header = proto_in.readline()
        if not header:
            return
        body = read_exactly(proto_in, int(header))
        request = json.loads(body)
        if load_error is not None:
            kind, out = "error", error_of(load_error)
        else:
            kind, out = call(handler, request)
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(2, END)
        proto_out.write(b"%s %d\n" % (kind, len(out)) + out)

def read_exactly(f, n):
    buf = b""
    while len(buf) < n:
        chunk = f.read(n - len(buf))
        if not chunk:
            raise SystemExit(0)
        buf += chunk
    return buf

class Context:
    def __init__(self, c):
        self.call_id = c["call_id"]
        self.request_id = c["request_id"]
        self.app = c["app"]
        self.route = c["route"]
        self.deadline_ms = c["deadline_ms"]

    def get_remaining_time_in_millis(self):
        return max(0, int(self.deadline_ms - time.time() * 1000))

def call(handler, request):
    try:
        result = handler(request["event"], Context(request["context"]))
        return b"result", json.dumps(result).encode()
    except BaseException as e:
        traceback.print_exc()
        return b"error", error_of(e)

def error_of(e):
    return json.dumps({"type": type(e).__name__, "message": str(e)}).encode()

if __name__ == "__main__":
    main(sys.argv[1])
