#!/usr/bin/python3
"""ward serve --grpc, called by Debian's python3-grpcio.

The services are examples/calc's Calculator (libcalc.so) and tests/grpc's
Slow (libnap.so), co-hosted by one `ward serve` on a free loopback
port; the messages come from `protoc --python_out` of their .proto files.
Exit 0: every check passed; 1: one failed (it says which); 77: skipped (it
says why).
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from grpctest import read_port, setup

args, grpc = setup("ward", "lib-dir", "example", "deadline-host")
import calc_pb2  # noqa: E402
import reflection_pb2  # noqa: E402
import slow_pb2  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory  # noqa: E402

CALC = os.path.join(args.lib_dir, "libcalc.so")
SLOW = os.path.join(args.lib_dir, "libnap.so")


class Host:
    """A ward process of a check (self.proc), stopped (SIGKILL) if it fails."""

    def stop(self):
        """SIGTERM; the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def channel(self):
        return grpc.insecure_channel("127.0.0.1:%d" % self.port)


class Serve(Host):
    """A `ward serve` of its own."""

    def __init__(self, grpc_arg="127.0.0.1:0", extra=()):
        self.address = "@ward-grpc-test-%d-%d" % (os.getpid(), random.randrange(1 << 30))
        cmd = [args.ward, "serve", "--listen", self.address, "--load", CALC, "--load", SLOW]
        if grpc_arg:
            cmd += ["--grpc", grpc_arg]
        cmd += list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.port = None
        for line in self.proc.stdout:  # "gRPC (...) on port N", then "N libraries on ..."
            if " on port " in line:
                self.port = int(line.split()[-1])
            if "librar" in line:
                break
        if self.proc.poll() is not None:
            raise AssertionError("ward serve exited with %s" % self.proc.returncode)
        if grpc_arg and not self.port:
            raise AssertionError("ward serve did not say its gRPC port")

    def maps(self):
        with open("/proc/%d/maps" % self.proc.pid) as f:
            return f.read()


class Gateway(Host):
    """A `ward gateway` to a ward address."""

    def __init__(self, address):
        self.proc = subprocess.Popen([args.ward, "gateway", "--grpc", "127.0.0.1:0", "--to",
                                      address], stdout=subprocess.PIPE, text=True)
        self.port = read_port(self.proc, "service")  # then "N services at ..."
        if not self.port:
            self.kill()
            raise AssertionError("ward gateway did not say its port")


class Program(Host):
    """A gRPC server program of the tests that says its port on its first
    line ("...: gRPC on port N")."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[-1])


def method(ch, path, req_type, reply_type):
    return ch.unary_unary(path, request_serializer=req_type.SerializeToString,
                          response_deserializer=reply_type.FromString)


def add(ch):
    return method(ch, "/calc.Calculator/Add", calc_pb2.BinaryOp, calc_pb2.Result)


def sleep(ch):
    return method(ch, "/grpctest.Slow/Sleep", slow_pb2.Nap, slow_pb2.Woke)


def expect_error(call, code, details=None):
    try:
        call()
    except grpc.RpcError as e:
        if e.code() != code:
            raise AssertionError("expected %s, got %s (%s)" % (code, e.code(), e.details()))
        if details is not None and e.details() != details:
            raise AssertionError("expected the message %r, got %r" % (details, e.details()))
        return
    raise AssertionError("expected %s, the call succeeded" % code)


def reflect(ch, requests, version="v1alpha"):
    """The responses of one reflection stream to requests (v1's messages are
    v1alpha's, in another package)."""
    info = ch.stream_stream(
        "/grpc.reflection.%s.ServerReflection/ServerReflectionInfo" % version,
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
    return list(info(iter(requests), timeout=30))


def check_reflection_on(ch):
    """Services listed, and Add called with types learned from reflection alone."""
    Req = reflection_pb2.ServerReflectionRequest
    listed, calc, missing, by_name = reflect(ch, [
        Req(list_services=""), Req(file_containing_symbol="calc.Calculator.Add"),
        Req(file_containing_symbol="nope.Nothing"), Req(file_by_filename="ward/grpctest.proto")])
    names = [x.name for x in listed.list_services_response.service]
    for want in ("calc.Calculator", "grpctest.Slow", "grpc.reflection.v1alpha.ServerReflection",
                 "grpc.reflection.v1.ServerReflection"):
        assert want in names, names
    v1, = reflect(ch, [Req(file_containing_symbol="grpctest.Slow")], version="v1")
    assert [descriptor_pb2.FileDescriptorProto.FromString(b).name
            for b in v1.file_descriptor_response.file_descriptor_proto] == ["ward/grpctest.proto"]
    assert missing.error_response.error_code == 5, missing  # NOT_FOUND
    files = [descriptor_pb2.FileDescriptorProto.FromString(b)
             for b in calc.file_descriptor_response.file_descriptor_proto]
    assert [f.name for f in files] == ["ward/calc.proto", "ward/ward.proto"], files
    assert [descriptor_pb2.FileDescriptorProto.FromString(b).name
            for b in by_name.file_descriptor_response.file_descriptor_proto] == \
        ["ward/grpctest.proto"]
    pool = descriptor_pool.DescriptorPool()
    for f in reversed(files):  # what a file depends on first
        pool.Add(f)
    m = pool.FindServiceByName("calc.Calculator").methods_by_name["Add"]
    factory = message_factory.MessageFactory(pool)
    In, Out = factory.GetPrototype(m.input_type), factory.GetPrototype(m.output_type)
    call = ch.unary_unary("/calc.Calculator/Add", request_serializer=In.SerializeToString,
                          response_deserializer=Out.FromString)
    assert call(In(a=40, b=2), timeout=30).value == 42
    garbage = ch.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    r = reflection_pb2.ServerReflectionResponse.FromString(
        list(garbage(iter([b"\xff\xff\xff"]), timeout=30))[0])
    assert r.error_response.error_code == 3, r  # INVALID_ARGUMENT


def check_reflection(s):
    with s.channel() as ch:
        check_reflection_on(ch)


def check_add(s):
    with s.channel() as ch:
        r = add(ch)(calc_pb2.BinaryOp(a=40, b=2), timeout=30)
        assert r.value == 42, r


def check_handler_error(s):
    with s.channel() as ch:
        div = method(ch, "/calc.Calculator/Div", calc_pb2.BinaryOp, calc_pb2.Result)
        expect_error(lambda: div(calc_pb2.BinaryOp(a=1, b=0), timeout=30),
                     grpc.StatusCode.INVALID_ARGUMENT, "division by zero")
        expect_error(lambda: add(ch)(calc_pb2.BinaryOp(a=2**63 - 1, b=1), timeout=30),
                     grpc.StatusCode.INVALID_ARGUMENT, "the sum does not fit in int64")


def check_bad_request(s):
    with s.channel() as ch:
        raw = ch.unary_unary("/calc.Calculator/Add")
        expect_error(lambda: raw(b"\xff\xff\xff", timeout=30), grpc.StatusCode.INVALID_ARGUMENT)


def check_deadline(s):
    with s.channel() as ch:
        expect_error(lambda: sleep(ch)(slow_pb2.Nap(ms=20000, value=1), timeout=0.3),
                     grpc.StatusCode.DEADLINE_EXCEEDED)
        r = add(ch)(calc_pb2.BinaryOp(a=1, b=2), timeout=30)  # and the host goes on
        assert r.value == 3, r


def check_late_answers(s):
    """Calls whose deadline passes while their handler runs (their end reaches
    the bridge without any other call to carry it), then the handlers answer
    into calls gRPC has closed: the answers go nowhere, the host goes on."""
    with s.channel() as ch:
        for i in range(5):
            expect_error(lambda: sleep(ch)(slow_pb2.Nap(ms=300, value=i), timeout=0.05),
                         grpc.StatusCode.DEADLINE_EXCEEDED)
        time.sleep(0.6)  # the handlers have answered by now
        r = add(ch)(calc_pb2.BinaryOp(a=2, b=3), timeout=30)
        assert r.value == 5, r


def check_unimplemented(s):
    with s.channel() as ch:
        for path in ("/calc.Calculator/Mul", "/calc.Nothing/Add", "/no-slash", "/a/b/c"):
            raw = ch.unary_unary(path)
            expect_error(lambda: raw(b"", timeout=30), grpc.StatusCode.UNIMPLEMENTED)


def check_oneway(s):
    with s.channel() as ch:
        log = method(ch, "/calc.Calculator/Log", calc_pb2.LogLine, calc_pb2.Blob)
        r = log(calc_pb2.LogLine(text="from grpc"), timeout=30)
        assert r.ByteSize() == 0, r  # ward.NoReply: the empty message


def check_too_large(s):
    with s.channel() as ch:
        echo = method(ch, "/calc.Calculator/Echo", calc_pb2.Blob, calc_pb2.Blob)
        r = echo(calc_pb2.Blob(data=b"x" * 100000), timeout=30)
        assert len(r.data) == 100000
        expect_error(lambda: echo(calc_pb2.Blob(data=b"x" * (5 << 20)), timeout=30),
                     grpc.StatusCode.RESOURCE_EXHAUSTED)


def check_concurrent(s):
    """100 calls in flight at once: 50 that wait on the host's timers, 50 adds."""
    with s.channel() as ch:
        futures = []
        for i in range(100):
            if i % 2:
                futures.append((i, sleep(ch).future(slow_pb2.Nap(ms=200, value=i), timeout=60)))
            else:
                futures.append((i + 1, add(ch).future(calc_pb2.BinaryOp(a=i, b=1), timeout=60)))
        for want, f in futures:
            assert f.result().value == want


def check_garbage(s):
    """Bytes that are not HTTP/2 cost their connection only."""
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    rng = random.Random(15)
    attempts = [
        bytes(rng.randrange(256) for _ in range(4096)),             # random bytes
        preface + b"\x00\x00\x06\x04\x00\x00\x00",                  # a truncated SETTINGS frame
        preface + b"\xff\xff\xff\x00\x00\x00\x00\x00\x01" + b"A" * 100,  # a 16 MiB DATA frame
        preface + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"           # SETTINGS, then a HEADERS
        + b"\x00\x40\x00\x01\x05\x00\x00\x00\x01" + bytes(rng.randrange(256) for _ in range(64)),
    ]
    for junk in attempts:
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as sock:
            sock.sendall(junk)
            try:
                sock.shutdown(socket.SHUT_WR)
                sock.recv(65536)
            except OSError:
                pass
        assert s.proc.poll() is None, "ward serve died of garbage"
        check_add(s)


def check_tls(tmp):
    if not shutil.which("openssl"):
        print("  (TLS not checked: no openssl to make a certificate)")
        return
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    s = Serve(extra=("--grpc-cert", cert, "--grpc-key", key))
    try:
        with open(cert, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        with grpc.secure_channel("localhost:%d" % s.port, creds) as ch:
            assert add(ch)(calc_pb2.BinaryOp(a=40, b=2), timeout=30).value == 42
        with s.channel() as ch:  # plaintext to a TLS port does not get through
            expect_error(lambda: add(ch)(calc_pb2.BinaryOp(a=1, b=1), timeout=5),
                         grpc.StatusCode.UNAVAILABLE)
        assert s.stop() == 0
    finally:
        s.kill()


def check_maps_only_with_grpc(s):
    """libgrpc is mapped by a ward serve with --grpc, and by no other."""
    assert "libgrpc.so" in s.maps() and "libward-grpc.so" in s.maps()
    plain = Serve(grpc_arg=None)
    try:
        maps = plain.maps()
        assert "libgrpc.so" not in maps and "libward-grpc.so" not in maps, "ward serve maps libgrpc"
        assert plain.stop() == 0
    finally:
        plain.kill()


def sigterm_with_a_call_in_flight(host):
    """SIGTERM to host (a Serve or a Gateway) while a slow call is in flight:
    the call still gets its answer, the host exits 0."""
    with host.channel() as ch:
        add(ch)(calc_pb2.BinaryOp(a=0, b=0), timeout=30)  # the connection is up
        f = sleep(ch).future(slow_pb2.Nap(ms=1500, value=7), timeout=60)
        time.sleep(0.3)  # to let the call reach the host (no harm if it has not)
        host.proc.send_signal(signal.SIGTERM)
        assert f.result().value == 7
    assert host.proc.wait(timeout=60) == 0


def check_sigterm_finishes_calls():
    """SIGTERM with a call in flight: the call still gets its answer, the host exits 0."""
    s = Serve()
    try:
        sigterm_with_a_call_in_flight(s)
    finally:
        s.kill()


def check_gateway():
    """ward gateway: gRPC calls to the services of another ward process."""
    s = Serve(grpc_arg=None)
    gw = None
    try:
        gw = Gateway(s.address)
        with gw.channel() as ch:
            assert add(ch)(calc_pb2.BinaryOp(a=40, b=2), timeout=30).value == 42
            div = method(ch, "/calc.Calculator/Div", calc_pb2.BinaryOp, calc_pb2.Result)
            expect_error(lambda: div(calc_pb2.BinaryOp(a=1, b=0), timeout=30),
                         grpc.StatusCode.INVALID_ARGUMENT, "division by zero")
            for path in ("/calc.Calculator/Mul", "/calc.Nothing/Add"):
                raw = ch.unary_unary(path)
                expect_error(lambda: raw(b"", timeout=30), grpc.StatusCode.UNIMPLEMENTED)
            log = method(ch, "/calc.Calculator/Log", calc_pb2.LogLine, calc_pb2.Blob)
            assert log(calc_pb2.LogLine(text="via the gateway"), timeout=30).ByteSize() == 0
            check_reflection_on(ch)
            expect_error(lambda: sleep(ch)(slow_pb2.Nap(ms=20000, value=1), timeout=0.3),
                         grpc.StatusCode.DEADLINE_EXCEEDED)
            futures = [sleep(ch).future(slow_pb2.Nap(ms=100, value=i), timeout=60)
                       for i in range(100)]
            assert [f.result().value for f in futures] == list(range(100))
            # the ward service dies mid-call: UNAVAILABLE, now and for the next call
            f = sleep(ch).future(slow_pb2.Nap(ms=20000, value=1), timeout=60)
            time.sleep(0.3)  # to let the call reach the host (no harm if it has not)
            s.kill()
            try:
                f.result()
                raise AssertionError("the call outlived its service")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.UNAVAILABLE, e
            expect_error(lambda: add(ch)(calc_pb2.BinaryOp(a=1, b=1), timeout=30),
                         grpc.StatusCode.UNAVAILABLE)
        assert gw.stop() == 0
    finally:
        s.kill()
        if gw:
            gw.kill()


def listening_addresses(pid, port):
    """The local addresses (hex, as /proc/net/tcp* says them) on which
    process pid listens on port."""
    found = []
    for table in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, table)) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.split(":")[1], 16) == port:
                found.append(local.split(":")[0])
    return found


def check_default_address_is_loopback():
    """--grpc PORT, with no host: bound to 127.0.0.1 only (or its IPv4-mapped
    IPv6 form, as gRPC may listen), and answering there."""
    s = Serve(grpc_arg="0")
    try:
        found = listening_addresses(s.proc.pid, s.port)
        assert found and all(a in ("0100007F", "0000000000000000FFFF00000100007F")
                             for a in found), "--grpc 0 listens on %s" % found
        with s.channel() as ch:
            assert add(ch)(calc_pb2.BinaryOp(a=40, b=2), timeout=30).value == 42
        assert s.stop() == 0
    finally:
        s.kill()


def check_gateway_sigterm_finishes_calls():
    """ward gateway, SIGTERM with a call in flight: the call still gets its
    answer, the gateway exits 0."""
    s = Serve(grpc_arg=None)
    gw = None
    try:
        gw = Gateway(s.address)
        sigterm_with_a_call_in_flight(gw)
    finally:
        s.kill()
        if gw:
            gw.kill()


def check_grpc_timeout_is_the_time_left():
    """A call's grpc-timeout reaches the bridge's dispatch as the time left
    (what ward gateway gives its ward call as timeout); none without one."""
    p = Program([args.deadline_host])
    try:
        with p.channel() as ch:
            ask = ch.unary_unary("/any.Service/Method")
            for seconds in (5, 120):
                left = int(ask(b"", timeout=seconds))
                # grpc-timeout is rounded up to its unit (up to a second, in S)
                assert 0 < left <= seconds * 1000 + 1000, "timeout %d s: %d ms left" % (seconds,
                                                                                       left)
                assert left > seconds * 1000 // 2, "timeout %d s: only %d ms left" % (seconds, left)
            assert ask(b"") == b"none", "no deadline, yet a time left"
        assert p.stop() == 0
    finally:
        p.kill()


def check_example():
    """examples/calc/calc-grpc-server, the program of docs/grpc.md."""
    p = Program([args.example, "127.0.0.1:0"])
    try:
        with p.channel() as ch:
            assert add(ch)(calc_pb2.BinaryOp(a=40, b=2), timeout=30).value == 42
        assert p.stop() == 0
    finally:
        p.kill()


def main():
    failed = 0
    s = Serve()
    tmp = tempfile.mkdtemp(prefix="ward-grpc-test-")
    checks = [check_add, check_handler_error, check_bad_request, check_deadline,
              check_late_answers, check_unimplemented, check_oneway, check_too_large, check_concurrent,
              check_garbage, check_reflection, check_maps_only_with_grpc]
    try:
        for check in checks:
            try:
                check(s)
                print("ok   " + check.__name__)
            except Exception as e:  # noqa: BLE001 -- report it and go on
                failed += 1
                print("FAIL %s: %r" % (check.__name__, e))
        later = [check_sigterm_finishes_calls, lambda: check_tls(tmp), check_gateway,
                 check_gateway_sigterm_finishes_calls, check_default_address_is_loopback]
        if args.deadline_host:
            later.append(check_grpc_timeout_is_the_time_left)
        if args.example:
            later.append(check_example)
        for check in later:
            name = check.__name__ if check.__name__ != "<lambda>" else "check_tls"
            try:
                check()
                print("ok   " + name)
            except Exception as e:  # noqa: BLE001
                failed += 1
                print("FAIL %s: %r" % (name, e))
        status = s.stop()
        if status != 0:
            failed += 1
            print("FAIL ward serve exited with %d after SIGTERM" % status)
    finally:
        s.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


main()
