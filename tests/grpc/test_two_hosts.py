#!/usr/bin/python3
"""One trace across two hosts: a traced grpc: client on host A calls a traced
`ward serve --grpc` on host B over a real network link.

The hosts are network and UTS namespaces (their own interfaces, loopback and
host name) that the test makes inside a user namespace of its own: it runs
itself again under `unshare -r -n -u` (host A), starts host B with
`unshare -n -u`, joins them by a veth pair (10.77.0.1 on A, 10.77.0.2 on B)
and starts ward serve on B through `nsenter`. Nothing outside the user
namespace changes; where user namespaces or ip(8) are not available it skips
(77) and says why.

Checks: the client's calls reach B by its address on the link; `ward trace
merge` of both hosts' trace files joins each call to the bridge's span on B
with a flow; the merged trace lists both hosts by name (host-a, host-b), and,
their kernel being one (one boot id), keeps them on its CLOCK_MONOTONIC.

Exit 0: every check passed; 1: one failed; 77: skipped (it says why).
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile

import grpctest
from grpctest import run, setup, skip

CALLS = 4
A_ADDR, B_ADDR = "10.77.0.1", "10.77.0.2"

args, grpc = setup("client", "ward", "lib-dir", "inner")


def ip_tool():
    for path in ("/usr/sbin/ip", "/sbin/ip", shutil.which("ip")):
        if path and os.access(path, os.X_OK):
            return path
    return None


def sh(*cmd):
    r = subprocess.run(list(cmd), capture_output=True, text=True)
    assert r.returncode == 0, "%s: %s" % (" ".join(cmd), r.stderr.strip())


def as_host_a():
    """Outside: run this test again as host A (a user, network and UTS
    namespace of its own); its exit status."""
    ip = ip_tool()
    if not ip:
        skip("no ip(8) to join the two hosts (iproute2)")
    unshare = shutil.which("unshare")
    nsenter = shutil.which("nsenter")
    if not unshare or not nsenter:
        skip("no unshare/nsenter (util-linux)")
    probe = subprocess.run([unshare, "-r", "-n", "-u", "--fork", ip, "link", "add", "wprobe0",
                            "type", "veth", "peer", "name", "wprobe1"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        skip("this machine lets no user namespace make network namespaces and links: %s" %
             probe.stderr.strip())
    cmd = [unshare, "-r", "-n", "-u", "--fork", sys.executable, os.path.abspath(__file__),
           "--inner", "1", "--client", args.client, "--ward", args.ward, "--lib-dir",
           args.lib_dir, "--py", args.py]
    return subprocess.run(cmd).returncode


class HostB:
    """A network and UTS namespace named host-b, linked to ours by veth."""

    def __init__(self, ip):
        self.ip = ip
        self.holder = subprocess.Popen(
            ["unshare", "-n", "-u", "--fork", "sh", "-c",
             "hostname host-b && %s link set lo up && echo ready && exec cat" % ip],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.holder.stdout.readline().strip() == "ready", "host B did not start"
        sh(ip, "link", "add", "wa0", "type", "veth", "peer", "name", "wb0")
        sh(ip, "link", "set", "wb0", "netns", str(self.holder.pid))
        sh(ip, "addr", "add", A_ADDR + "/24", "dev", "wa0")
        sh(ip, "link", "set", "wa0", "up")
        self.run(ip, "addr", "add", B_ADDR + "/24", "dev", "wb0")
        self.run(ip, "link", "set", "wb0", "up")

    def enter(self, *cmd):
        """cmd as run on host B."""
        return ["nsenter", "-t", str(self.holder.pid), "-n", "-u", "--"] + list(cmd)

    def run(self, *cmd):
        sh(*self.enter(*cmd))

    def close(self):
        self.holder.stdin.close()
        self.holder.wait()


def run_client(address, trace_dir):
    """grpc-trace-client on address, traced into trace_dir; the (trace,
    span) of the outer span it printed."""
    env = dict(os.environ, WARD_TRACE="info:" + trace_dir)
    r = subprocess.run([args.client, address], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, "grpc-trace-client exited %d: %s" % (r.returncode, r.stderr)
    words = r.stdout.split("\n")[0].split()
    assert words[0] == "outer", r.stdout
    return words[1], words[2]


def check_one_trace(tmp, b):
    a_dir, b_dir = os.path.join(tmp, "host-a"), os.path.join(tmp, "host-b")
    os.mkdir(a_dir)
    os.mkdir(b_dir)
    address = "@ward-two-hosts-%d-%d" % (os.getpid(), random.randrange(1 << 30))
    serve, (trace, outer) = grpctest.serve_traced(
        b.enter(args.ward, "serve", "--listen", address, "--grpc", B_ADDR + ":0", "--load",
                os.path.join(args.lib_dir, "libcalc.so")), b_dir,
        lambda port: run_client("grpc:%s:%d" % (B_ADDR, port), a_dir))
    spans, outs, ins, meta = grpctest.merge(args.ward, tmp, a_dir, b_dir)
    for call in grpctest.client_calls(spans, trace, outer, CALLS):
        grpctest.bridge_span(spans, call, serve.pid, trace)  # on host B
        fid = "0x" + call["id"]
        assert fid in outs and fid in ins, "no flow %s (out %s, in %s)" % (fid, outs, ins)
    hosts = meta.get("ward-hosts", [])
    names = sorted(h["host"] for h in hosts)
    assert names == ["host-a", "host-b"], "hosts of the merged trace: %s" % hosts
    assert len({h["boot_id"] for h in hosts}) == 1, "one kernel, one boot id: %s" % hosts
    assert meta.get("ward-clock") == "monotonic", "one kernel's clock: %s" % meta
    print("ok: a grpc: call from host-a into ward serve --grpc on host-b is one trace, "
          "a flow from each call; both hosts named, on one clock")


def main():
    if not os.path.exists(os.path.join(args.lib_dir, "libcalc.so")):
        raise AssertionError("libcalc.so is not built")
    if not args.inner:
        sys.exit(as_host_a())
    ip = ip_tool()
    sh("hostname", "host-a")
    sh(ip, "link", "set", "lo", "up")
    tmp = tempfile.mkdtemp(prefix="ward-two-hosts-")
    b = HostB(ip)
    try:
        check_one_trace(tmp, b)
    finally:
        b.close()
        shutil.rmtree(tmp, ignore_errors=True)


run(main)
