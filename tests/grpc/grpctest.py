"""What the gRPC tests share: their arguments, the skip rule (exit 77 with a
reason: the build had no libgrpc or protoc, or this python3 has no grpc
module), the path to the messages protoc --python_out generated, and for the
trace tests: a traced ward process and the spans of a merged trace."""
import argparse
import json
import os
import random
import signal
import subprocess
import sys

SKIP = 77


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def setup(*options):
    """Parse --OPTION for each name given, plus --py and --missing; skip when
    the test cannot run; return (args, the grpc module)."""
    parser = argparse.ArgumentParser()
    for name in options + ("py", "missing"):
        parser.add_argument("--" + name)
    args = parser.parse_args()
    if args.missing:
        skip(args.missing)
    try:
        import grpc
    except ImportError:
        skip("no grpc module for %s: install python3-grpcio (scripts/deps.sh)" % sys.executable)
    sys.path.insert(0, args.py)
    return args, grpc


def run(main, *failures):
    """main(); a failed assertion (or one of failures) is the test's
    failure: said on stdout, exit 1."""
    try:
        main()
    except (AssertionError,) + failures as e:
        print("FAIL: %s" % e)
        sys.exit(1)


def read_port(proc, last_word):
    """The gRPC port a ward serve or ward gateway says on its first lines
    ("gRPC (...) on port N"), read up to the line with last_word; None when
    it says none."""
    port = None
    for line in proc.stdout:
        if " on port " in line:
            port = int(line.split()[-1])
        if last_word in line:
            break
    return port


def start(cmd, trace_dir, last_word):
    """cmd traced into trace_dir; its gRPC port, read from its first lines
    (up to the one with last_word)."""
    env = dict(os.environ, WARD_TRACE="info:" + trace_dir)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    port = read_port(proc, last_word)
    if proc.poll() is not None or not port:
        proc.kill()
        raise AssertionError("%s did not start (exit %s)" % (cmd[1], proc.poll()))
    return proc, port


def spans_and_flows(merged_path):
    """The RPC span begins ({name, pid, trace_id, span_id, parent_span_id})
    and the ids of flow starts and ends of a merged Chrome JSON."""
    with open(merged_path) as f:
        doc = json.load(f)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    spans, outs, ins = [], set(), set()
    for e in events:
        a = e.get("args") or {}
        if e.get("ph") == "B" and "trace_id" in a:
            spans.append(dict(name=e["name"], pid=e["pid"], trace=a["trace_id"],
                              id=a["span_id"], parent=a["parent_span_id"]))
        elif e.get("ph") == "s":
            outs.add(str(e["id"]))
        elif e.get("ph") == "f":
            ins.add(str(e["id"]))
    return spans, outs, ins


def merge(ward, tmp, *dirs):
    """ward trace merge --json of dirs into a new file in tmp; (its spans,
    flow starts, flow ends, the document's metadata)."""
    merged = os.path.join(tmp, "merged-%d.json" % random.randrange(1 << 30))
    r = subprocess.run([ward, "trace", "merge", "--json", "-o", merged] + list(dirs),
                       capture_output=True, text=True)
    assert r.returncode == 0, "ward trace merge: %s" % r.stderr
    with open(merged) as f:
        doc = json.load(f)
    return spans_and_flows(merged) + ((doc.get("metadata") or {}) if isinstance(doc, dict) else {},)


def client_calls(spans, trace, outer, calls):
    """The call spans of grpc-trace-client (tests/grpc/grpc-trace-client.c)
    whose own span is outer: `calls` of them, each in trace, child of outer."""
    pids = [s["pid"] for s in spans if s["name"] == "test.Outer/Run" and s["id"] == outer]
    assert len(pids) == 1, "want the client's span %s, have %s" % (outer, spans)
    found = [s for s in spans if s["name"] == "calc.Calculator/Add" and s["trace"] == trace and
             s["pid"] == pids[0]]
    assert len(found) == calls, "want %d call spans in trace %s, have %s" % (calls, trace, spans)
    for s in found:
        assert s["parent"] == outer, "call span %s: parent %s, want %s" % (s, s["parent"], outer)
    return found


def serve_traced(cmd, trace_dir, call):
    """A ward serve (cmd) traced into trace_dir, call(its gRPC port), then
    SIGTERM, after which its trace file is complete; (the process, what call
    returned). The process is killed if anything fails."""
    serve, port = start(cmd, trace_dir, "librar")
    try:
        result = call(port)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) == 0, "ward serve exited %s" % serve.returncode
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
    return serve, result


def bridge_span(spans, call, pid, trace):
    """The one span of the bridge (in process pid, trace) whose parent is
    call: the gRPC side of a grpc: call into ward serve --grpc."""
    found = [s for s in spans if s["name"] == "grpc:" + call["name"] and s["pid"] == pid and
             s["trace"] == trace and s["parent"] == call["id"]]
    assert len(found) == 1, "call %s: bridge spans %s" % (call, spans)
    return found[0]
