// Picasso's Node.js bootstrap: loads the handler ("module.function") from
// the package directory (the working directory) and serves calls one at a
// time over the protocol of docs/packages.md.
'use strict';
const fs = require('fs');
const path = require('path');

const END = Buffer.from('\x1epicasso-end\x1e\n');
const protoOut = 1;
// console.log goes to the call's log, not the protocol.
process.stdout.write = process.stderr.write.bind(process.stderr);

function errorOf(e) {
  const type = e && e.constructor && e.constructor.name ? e.constructor.name : 'Error';
  const message = e && e.message !== undefined ? String(e.message) : String(e);
  return Buffer.from(JSON.stringify({ type, message }));
}

let handler = null;
let loadError = null;
try {
  const spec = process.argv[process.argv.length - 1];
  const dot = spec.lastIndexOf('.');
  const mod = require(path.join(process.cwd(), spec.slice(0, dot)));
  handler = mod[spec.slice(dot + 1)];
  if (typeof handler !== 'function') throw new TypeError(`${spec} is not a function`);
} catch (e) {
  loadError = e;
  console.error(e && e.stack ? e.stack : String(e));
}

let pending = Buffer.alloc(0);
const chunk = Buffer.alloc(65536);

function readRequest() {
  for (;;) {
    const nl = pending.indexOf(10);
    if (nl >= 0) {
      const n = parseInt(pending.subarray(0, nl).toString(), 10);
      if (pending.length >= nl + 1 + n) {
        const body = pending.subarray(nl + 1, nl + 1 + n);
        pending = pending.subarray(nl + 1 + n);
        return JSON.parse(body.toString());
      }
    }
    let got;
    try {
      got = fs.readSync(0, chunk, 0, chunk.length, null);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      throw e;
    }
    if (got === 0) process.exit(0);
    pending = Buffer.concat([pending, chunk.subarray(0, got)]);
  }
}

function respond(kind, out) {
  fs.writeSync(2, END);
  const frame = Buffer.concat([Buffer.from(`${kind} ${out.length}\n`), out]);
  for (let off = 0; off < frame.length;) off += fs.writeSync(protoOut, frame, off);
}

async function serve() {
  for (;;) {
    const request = readRequest();
    if (loadError) {
      respond('error', errorOf(loadError));
      continue;
    }
    const c = request.context;
    const context = {
      callId: c.call_id, requestId: c.request_id, app: c.app, route: c.route,
      getRemainingTimeInMillis: () => Math.max(0, c.deadline_ms - Date.now()),
    };
    try {
      const result = await handler(request.event, context);
      respond('result', Buffer.from(JSON.stringify(result === undefined ? null : result)));
    } catch (e) {
      console.error(e && e.stack ? e.stack : String(e));
      respond('error', errorOf(e));
    }
  }
}

serve();
